package app

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// listLog records the invoice list requests a sandbox receives.
type listLog struct {
	mu      sync.Mutex
	queries []string
}

func (l *listLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == "/v2/invoices" {
			l.mu.Lock()
			l.queries = append(l.queries, r.URL.RawQuery)
			l.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (l *listLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.queries...)
}

// The poller lists a gateway only while one of its payments is pending, with
// one request per round (paid_after; expiry is learnt from the payment
// itself past its expiry time) asking no further back than the oldest
// pending payment, and stops listing once nothing is pending.
func TestPollerListsPaidOnlyWhilePending(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Step: 10 * time.Millisecond})
	log := &listLog{}
	srv := httptest.NewServer(log.wrap(sb))
	t.Cleanup(func() { srv.Close(); sb.Close() })
	ciph, _ := newMemoryCipher(nil)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lunas.db"), sqlite.Options{Cipher: ciph, SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	shop, err := seedDemo(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := buildEngine(ctx, db, engineOptions{XenditURL: srv.URL, XenditKey: sb.Credentials().XenditSecretKey, RatePerMinute: -1,
		Intervals: engine.Intervals{List: 30 * time.Millisecond, PollFirst: 30 * time.Millisecond, Send: 20 * time.Millisecond,
			TrackFirst: 20 * time.Millisecond, TrackMax: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)

	time.Sleep(300 * time.Millisecond)
	if q := log.snapshot(); len(q) != 0 {
		t.Fatalf("%d list requests with no payment pending: %q", len(q), q)
	}

	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
	ordered := time.Now()
	ext, _, err := demoBuyer(ctx, db, x, shop, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a list request for the pending payment", func() bool { return len(log.snapshot()) >= 2 })
	sb.PayXenditInvoice(ext, 0)
	waitFor(t, "the payment to settle", func() bool {
		var st domain.PaymentStatus
		db.Read(ctx, func(tx domain.ReadTx) error {
			p, err := tx.GetPaymentByExternalID(ext)
			st = p.Status
			return err
		})
		return st == domain.PaymentSettled
	})
	time.Sleep(100 * time.Millisecond) // a round already under way may finish
	before := log.snapshot()
	floor := ordered.Add(-6 * time.Minute) // a payment cannot be paid before it exists (5 min allowed for clock skew)
	for _, q := range before {
		v, err := url.ParseQuery(q)
		if err != nil || v.Get("paid_after") == "" || v.Has("expired_after") {
			t.Errorf("list request %q: want paid_after only", q)
			continue
		}
		if since, err := time.Parse(time.RFC3339, v.Get("paid_after")); err != nil || since.Before(floor) {
			t.Errorf("list request %q asks for payments paid before the pending one was created (%s)", q, ordered.Format(time.RFC3339))
		}
	}
	time.Sleep(300 * time.Millisecond)
	if after := log.snapshot(); len(after) != len(before) {
		t.Errorf("%d list requests after nothing was pending any more", len(after)-len(before))
	}
}

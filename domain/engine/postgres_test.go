package engine_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/postgres"
	"lunas/domain/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func newPostgresFixture(t *testing.T, opts ...opt) *fixture {
	t.Helper()
	url := pgtest.NewDatabase(t)
	return newFixtureOn(t, func(ciph *gcm, clk *clock) (domain.Store, error) {
		return postgres.Open(context.Background(), url, postgres.Options{Cipher: ciph, Now: clk.Now})
	}, opts...)
}

// On PostgreSQL a settlement batch creates its transfers without waiting
// for each insert (engine.TransferQueuer). A REFID that is already taken
// then fails the whole batch, and the engine applies the batch again payment
// by payment, where the store answers at once and a fresh REFID is drawn:
// every payment settles, every REFID once.
func TestSettlementBatchWithATakenREFIDOnPostgres(t *testing.T) {
	var mu sync.Mutex
	next := []string{"LNS-261122-TAKEN00001", "LNS-261122-TAKEN00002", "LNS-261122-TAKEN00001"}
	var logged syncBuffer
	f := newPostgresFixture(t, func(c *engine.Config) {
		c.Log = slog.New(slog.NewTextHandler(&logged, nil))
		c.NewRefID = func(now time.Time) string {
			mu.Lock()
			defer mu.Unlock()
			if len(next) > 0 {
				r := next[0]
				next = next[1:]
				return r
			}
			return engine.NewRefID(now)
		}
	})
	first := f.order(100000)
	f.settle(first, 100000)
	if n := len(f.transfers()); n != 2 {
		t.Fatalf("first order: %d transfers, want 2 (seller and supplier)", n)
	}
	// Two payments in one batch; the first transfer drawn is a taken REFID.
	a, b := f.order(200000), f.order(300000)
	f.gw.pay(a, 200000)
	f.gw.pay(b, 300000)
	if err := f.e.PollNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "settlement batch failed; isolating") {
		t.Errorf("the batch with the taken REFID did not fail and was not applied again payment by payment:\n%s", logged.String())
	}
	xs := f.transfers()
	if len(xs) != 6 {
		t.Fatalf("%d transfers, want 6: %+v", len(xs), xs)
	}
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x.RefID] {
			t.Fatalf("REFID %s twice", x.RefID)
		}
		seen[x.RefID] = true
	}
	f.db.Read(context.Background(), func(tx domain.ReadTx) error {
		for _, ext := range []string{first, a, b} {
			p, err := tx.GetPaymentByExternalID(ext)
			if err != nil || p.Status != domain.PaymentSettled {
				t.Errorf("payment %s: %s, %v", ext, p.Status, err)
			}
		}
		return nil
	})
	f.checkLedger()
}

// syncBuffer is a bytes.Buffer for a logger used from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

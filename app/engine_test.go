package app

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
	"lunas/gateways"
	"lunas/gateways/xendit"
)

func TestMailerFromSettings(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"), sqlite.Options{SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := mailerFromSettings(ctx, db, "")
	if err != nil || m != nil {
		t.Fatalf("no smtp.host: want nil mailer, got %v %v", m, err)
	}
	set := func(k, v string) {
		if err := db.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting(k, v) }); err != nil {
			t.Fatal(err)
		}
	}
	set("smtp.host", "mail.example.com:x")
	set("smtp.from", "toko@example.com")
	if _, err := mailerFromSettings(ctx, db, ""); err == nil {
		t.Fatal("bad port accepted")
	}
	set("smtp.host", "mail.example.com:465")
	if m, err := mailerFromSettings(ctx, db, "secret"); err != nil || m == nil {
		t.Fatalf("got %v %v", m, err)
	}
}

func TestXenditLimitersShareTheInvoiceEndpoint(t *testing.T) {
	p := xenditLimiters(0)
	ask, ok := p.Engine["xendit/payment.status"].(chain)
	if !ok || len(ask) != 2 || ask[1] != p.ListPages {
		t.Fatalf("one-by-one payment checks must take their share of the invoice window the list pages use: %#v", p.Engine["xendit/payment.status"])
	}
	if p.Engine["xendit/payment.list"] != nil {
		t.Fatal("list pages are paced by the adapter, page by page; an engine limiter would charge a list twice")
	}
	if p.Engine["xendit/payout.status"] == p.Engine["xendit/payout.watch"] || p.Engine["xendit/payout.watch"] == nil {
		t.Fatal("the reversal watch needs a budget of its own on top of the status window")
	}
	for k, v := range p.Engine {
		if c, ok := v.(chain); ok {
			v = c[0]
		}
		if _, ok := v.(*gateways.WindowLimiter); !ok {
			t.Fatalf("%s is a %T, want a sliding window (a token bucket overshoots Xendit's window)", k, v)
		}
	}
	if p := xenditLimiters(-1); p.Engine != nil || p.ListPages != nil {
		t.Fatal("negative rate must disable limiting")
	}
}

func TestXenditRateFollowsTheKeysMode(t *testing.T) {
	cases := []struct {
		asked int
		key   string
		want  int
	}{
		{0, "xnd_development_abc", 0}, // 0: the test-mode 60
		{0, "xnd_production_abc", 600},
		{120, "xnd_production_abc", 120},
		{-1, "xnd_production_abc", -1},
	}
	for _, c := range cases {
		if got := xenditRate(c.asked, c.key); got != c.want {
			t.Errorf("xenditRate(%d, %s...) = %d, want %d", c.asked, c.key[:8], got, c.want)
		}
	}
}

// A 429 from Xendit on any endpoint the engine paces holds that endpoint's
// engine limiter until the reset Xendit asked for (Rate-Limit-Reset).
func TestXenditRateLimitHoldsEngineLimiters(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Rate-Limit-Reset", "58.37")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error_code":"RATE_LIMIT_EXCEEDED"}`))
	}))
	defer srv.Close()
	p := xenditLimiters(0)
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: "xnd_development_x", Retry: gateways.RetryPolicy{MaxAttempts: 1},
		OnRateLimit: p.OnRateLimit, Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	calls := map[string]func() error{
		"xendit/" + engine.OpPayoutCreate: func() error {
			_, err := x.Send(ctx, domain.PayoutRequest{RefID: "R1", Channel: "BCA", AccountNumber: "1", AccountHolder: "A", Amount: 1})
			return err
		},
		"xendit/" + engine.OpPayoutStatus: func() error { _, err := x.Status(ctx, "R1"); return err },
		"xendit/" + engine.OpBalance:      func() error { _, err := x.Balance(ctx); return err },
		"xendit/" + engine.OpPaymentStatus: func() error {
			_, err := x.PaymentStatus(ctx, "O1")
			return err
		},
	}
	for key, call := range calls {
		before := time.Now()
		if err := call(); !gateways.IsRateLimited(err) {
			t.Fatalf("%s: %v", key, err)
		}
		l := p.Engine[key]
		if c, ok := l.(chain); ok {
			l = c[1] // the shared invoice window
		}
		w := l.(*gateways.WindowLimiter)
		if held := w.Held(); held.Sub(before) < 58370*time.Millisecond {
			t.Fatalf("%s: engine limiter held until %v, want >= 58.37 s after the 429", key, held.Sub(before))
		}
	}
	if !p.ListPages.(*gateways.WindowLimiter).Held().After(time.Now()) {
		t.Fatal("the invoice list pages share the held invoice window")
	}
}

package app

import (
	"context"
	"path/filepath"
	"testing"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/gateways"
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

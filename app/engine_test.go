package app

import (
	"context"
	"path/filepath"
	"testing"

	"lunas/domain"
	"lunas/domain/sqlite"
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
	l := xenditLimiters(0)
	list, status := l["xendit/payment.list"].(costLimiter), l["xendit/payment.status"].(costLimiter)
	if list.l != status.l || list.n != 2 || status.n != 1 {
		t.Fatalf("invoice list and status must share one bucket, list costing 2: %+v %+v", list, status)
	}
	if xenditLimiters(-1) != nil {
		t.Fatal("negative rate must disable limiting")
	}
}

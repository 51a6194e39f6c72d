package sqlite

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"lunas/domain"
)

// upTo is the embedded migrations up to and including number last: a shop
// as an older Lunas left it.
func upTo(t *testing.T, last string) migrationSource {
	t.Helper()
	m := fstest.MapFS{}
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() > last {
			continue
		}
		b, _ := fs.ReadFile(migrationFS, "migrations/"+e.Name())
		m["migrations/"+e.Name()] = &fstest.MapFile{Data: b}
	}
	return migrationSource{fsys: m, dir: "migrations"}
}

// TestSealLegacyContactsFromV9: a shop of the previous schema (migrations up
// to 0009) with payee and buyer emails in plaintext is upgraded: the
// emails read back the same before and after SealLegacyContacts, which
// seals them, clears the plaintext (none left in the file or its WAL) and
// does nothing the second time; new rows are sealed from the start.
func TestSealLegacyContactsFromV9(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(ctx, path, Options{Cipher: newGCM(t)}, upTo(t, "0009_audit_keyed.sql"))
	if err != nil {
		t.Fatal(err)
	}
	const pe, be = "ani.maker@contoh.id", "pembeli.setia@contoh.id"
	if _, err := old.w.ExecContext(ctx, `INSERT INTO payees(id, name, channel, verification, email, created_at, updated_at)
		VALUES (1, 'Bu Ani', 'BCA', 'unverified', ?, 1, 1)`, pe); err != nil {
		t.Fatal(err)
	}
	if _, err := old.w.ExecContext(ctx, `INSERT INTO orders(id, external_id, source, buyer_name, buyer_email, shipping, fees,
		discount, total, status, created_at) VALUES (1, 'INV-1', 'manual', 'Pak Budi', ?, 0, 0, 0, 10000, 'open', 1)`, be); err != nil {
		t.Fatal(err)
	}
	old.Close()

	cipher := newGCM(t)
	db := openTest(t, path, Options{Cipher: cipher})
	read := func() (string, string) {
		t.Helper()
		var p domain.Payee
		var o domain.Order
		if err := db.Read(ctx, func(tx domain.ReadTx) (err error) {
			if p, err = tx.GetPayee(1); err != nil {
				return err
			}
			o, err = tx.GetOrderByExternalID("INV-1")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p.Email, o.BuyerEmail
	}
	if p, o := read(); p != pe || o != be {
		t.Fatalf("before sealing: %q %q", p, o)
	}
	n, err := db.SealLegacyContacts(ctx)
	if err != nil || n != 2 {
		t.Fatalf("SealLegacyContacts = %d, %v; want 2", n, err)
	}
	if p, o := read(); p != pe || o != be {
		t.Fatalf("after sealing: %q %q", p, o)
	}
	if n, err := db.SealLegacyContacts(ctx); err != nil || n != 0 {
		t.Fatalf("second run = %d, %v", n, err)
	}
	const ne = "baru@contoh.id"
	if err := db.Write(ctx, func(tx domain.Tx) error {
		return tx.CreatePayee(&domain.Payee{Name: "Baru", Channel: "BRI", Email: ne})
	}); err != nil {
		t.Fatal(err)
	}
	var plain int
	db.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM payees WHERE email <> ''").Scan(&plain)
	if plain != 0 {
		t.Fatalf("%d payees with a plaintext email", plain)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(path + suffix)
		for _, s := range []string{pe, be, ne} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%q in plaintext in %s", s, filepath.Base(path+suffix))
			}
		}
	}
}

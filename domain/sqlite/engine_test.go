package sqlite

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// A transfer's destination is sealed at rest (never plaintext), bound to its
// row, and reads back as written.
func TestDestinationSealedAndBoundToItsTransfer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lunas.db")
	c := newGCM(t)
	db := openTest(t, path, Options{Cipher: c})
	s := makeSeed(t, db)
	const acct, holder = "7788990011223", "Ratna Sulistyowati"
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	write(t, db, func(tx domain.Tx) error {
		return tx.(*Tx).SaveDestination(s.transfer.ID, engine.Destination{Bank: "BCA", AccountNumber: acct, AccountHolder: holder, Email: "r@example.com"}, at)
	})
	db.Read(ctx, func(tx domain.ReadTx) error {
		d, err := tx.(*Tx).GetDestination(s.transfer.ID)
		if err != nil || d.AccountNumber != acct || d.AccountHolder != holder || d.Bank != "BCA" || d.Email != "r@example.com" {
			t.Errorf("GetDestination = %+v, %v", d, err)
		}
		if _, err := tx.(*Tx).GetDestination(s.transfer.ID + 99); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing destination: %v", err)
		}
		return nil
	})
	// Written once: a second destination for the same transfer is refused.
	if err := db.Write(ctx, func(tx domain.Tx) error {
		return tx.(*Tx).SaveDestination(s.transfer.ID, engine.Destination{Bank: "BNI", AccountNumber: "1"}, at)
	}); err == nil {
		t.Error("a transfer's destination was replaced")
	}
	db.Close()
	for _, name := range []string{"lunas.db", "lunas.db-wal"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		for _, p := range []string{acct, holder} {
			if bytes.Contains(raw, []byte(p)) {
				t.Errorf("%s holds %q in plain text", name, p)
			}
		}
	}
}

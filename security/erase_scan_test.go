package security

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// TestEraseLeavesNoCopyOnDisk: a payee with an email, a payout rule named
// after them, six mails in the outbox (sent and queued, to them and about
// them) and a sealed transfer destination is erased; then the raw bytes of
// the database file, its WAL and SHM, and of a backup made afterwards hold
// no copy of their name, holder name, email or account number.
func TestEraseLeavesNoCopyOnDisk(t *testing.T) {
	f := newFixture(t)
	owner, _ := f.owner()
	const name, holder, email, acct = "Ratna Kusumawati", "RATNA KUSUMAWATI", "ratna.kusuma@contoh.id", "8765432109"
	p := domain.Payee{Name: name, Channel: "BCA", AccountNumber: acct, AccountHolder: holder, Email: email,
		Verification: domain.VerifyOK}
	err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		if err := tx.CreatePayee(&p); err != nil {
			return err
		}
		r := domain.PayoutRule{Name: "Bagi hasil " + name, Shares: []domain.Share{{Role: domain.RoleSeller, PayeeID: p.ID, BPS: 8000}}}
		return tx.CreatePayoutRule(&r)
	})
	if err != nil {
		t.Fatal(err)
	}
	ob := f.settled("o-ratna", p.ID, 500_000, 400_000)
	f.assess(ob, "R-RATNA", 400_000)
	err = f.db.Write(f.ctx, func(tx domain.Tx) error {
		x, err := tx.GetTransfer("R-RATNA")
		if err != nil {
			return err
		}
		if err := tx.(engine.DestinationTx).SaveDestination(x.ID, engine.Destination{Bank: "BCA", AccountNumber: acct,
			AccountHolder: holder, Email: email}, f.clk.Now()); err != nil {
			return err
		}
		ob := tx.(interface{ EnqueueMail(*engine.Mail) error })
		for i, m := range []engine.Mail{
			{Kind: "payout", To: email, Name: name, Data: map[string]string{"payee": name}},
			{Kind: "payout", To: email, Name: name, Data: map[string]string{"amount": "400000"}},
			{Kind: "payout", To: "RATNA.KUSUMA@contoh.id", Name: "", Data: map[string]string{}},
			{Kind: "payment", To: "buyer@contoh.id", Name: "Pembeli", Data: map[string]string{"payee": name}},
			{Kind: "payment", To: "buyer@contoh.id", Name: "Pembeli", Data: map[string]string{"note": "cc " + email}},
			{Kind: "payout", To: email, Name: holder, Data: map[string]string{}},
		} {
			m.Key = "k" + string(rune('a'+i))
			m.NextAt, m.CreatedAt = f.clk.Now(), f.clk.Now()
			if err := ob.EnqueueMail(&m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.succeed("R-RATNA")
	if err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		return tx.SetObligationStatus(ob.ID, domain.ObligationOpen, domain.ObligationPaid)
	}); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute)
	// The scan below can fail: before the erasure it finds the payee.
	if !containsAny(readDBFiles(t, f.path), name) {
		t.Fatalf("the raw scan does not see %q before the erasure: it would prove nothing after it", name)
	}
	if err := f.svc.ErasePayee(f.ctx, owner, p.ID); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "after-erase.db")
	if err := f.db.Backup(f.ctx, backup); err != nil {
		t.Fatal(err)
	}
	needles := []string{name, holder, email, "RATNA.KUSUMA", acct, "Ratna", "ratna.kusuma"}
	scan := func(when string) {
		files := readDBFiles(t, f.path)
		b, err := os.ReadFile(backup)
		if err != nil {
			t.Fatal(err)
		}
		files[backup] = b
		for file, content := range files {
			for _, n := range needles {
				if bytes.Contains(content, []byte(n)) {
					t.Errorf("%s: %q still in %s", when, n, filepath.Base(file))
				}
			}
		}
	}
	scan("while open")
	f.db.Close()
	scan("after closing")
	f.open()
}

package storetest

import (
	"errors"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// testTrustRules: per-payee trust rules (migration 0011) are stored one per
// payee, replaced and switched on by a save, switched off once with a
// reason; payouts to one account are counted from the transfers' fixed
// destinations; and any change of the payee's bank or account number
// switches the rule off in the same transaction, audited.
func testTrustRules(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	var _ engine.TrustTx = Tx(nil) // the engine's port
	e.read(func(tx Tx) error {
		if _, err := tx.GetTrustRule(s.Payee.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("GetTrustRule before any: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err := e.db.Read(ctx, func(tx domain.ReadTx) error {
		return full(t, tx.(domain.Tx)).SaveTrustRule(&domain.TrustRule{PayeeID: s.Payee.ID, MaxAmount: 1, MinPayouts: 1, SetBy: "sari"})
	}); !errors.Is(err, b.ReadOnly) {
		t.Fatalf("SaveTrustRule in Read: %v", err)
	}
	for _, bad := range []domain.TrustRule{
		{PayeeID: s.Payee.ID, MaxAmount: 0, MinPayouts: 3, SetBy: "sari"},
		{PayeeID: s.Payee.ID, MaxAmount: 500_000, MinPayouts: 0, SetBy: "sari"},
		{PayeeID: s.Payee.ID, MaxAmount: 500_000, MinPayouts: 3},
	} {
		if err := e.tryWrite(func(tx Tx) error { return tx.SaveTrustRule(&bad) }); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("SaveTrustRule(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	r := domain.TrustRule{PayeeID: s.Payee.ID, MaxAmount: 300_000, MinPayouts: 2, SetBy: "sari"}
	e.write(func(tx Tx) error { return tx.SaveTrustRule(&r) })
	e.clock.Add(time.Minute)
	r2 := domain.TrustRule{PayeeID: s.Payee.ID, MaxAmount: 500_000, MinPayouts: 3, SetBy: "sari"}
	e.write(func(tx Tx) error { return tx.SaveTrustRule(&r2) })
	if r2.ID != r.ID || !r2.Active {
		t.Fatalf("second save: id %d (first %d), active %v: want the same rule replaced", r2.ID, r.ID, r2.Active)
	}
	e.read(func(tx Tx) error {
		got, err := tx.GetTrustRule(s.Payee.ID)
		if err != nil {
			return err
		}
		if got.MaxAmount != 500_000 || got.MinPayouts != 3 || !got.Active || got.OffReason != "" || got.SetBy != "sari" ||
			!got.CreatedAt.Equal(day0.Truncate(time.Microsecond)) || !got.UpdatedAt.Equal(day0.Add(time.Minute).Truncate(time.Microsecond)) {
			t.Errorf("stored rule %+v", got)
		}
		all, err := tx.ListTrustRules()
		if err != nil || len(all) != 1 || all[0].ID != r.ID {
			t.Errorf("ListTrustRules = %+v, %v", all, err)
		}
		return nil
	})

	// Payouts to one account: succeeded transfers with that destination.
	const acct = "8410099887"
	mk := func(ref string, st domain.TransferStatus, bank, account string) {
		e.write(func(tx Tx) error {
			x := domain.Transfer{RefID: ref, ObligationID: s.Oblig.ID, PayeeID: s.Payee.ID, Channel: "xendit", Amount: 1000, Status: st, CreatedBy: "engine"}
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
			return tx.SaveDestination(x.ID, engine.Destination{Bank: bank, AccountNumber: account}, day0)
		})
	}
	mk("T-OK1", domain.TransferSucceeded, "BCA", acct)
	mk("T-OK2", domain.TransferSucceeded, "BCA", acct)
	mk("T-FAIL", domain.TransferFailed, "BCA", acct)
	mk("T-OTHER", domain.TransferSucceeded, "BCA", "1234567890")
	mk("T-BANK", domain.TransferSucceeded, "BNI", acct)
	mk("T-OK3", domain.TransferSucceeded, "BCA", acct)
	e.read(func(tx Tx) error {
		for _, c := range []struct {
			bank, acct string
			upTo, want int
		}{
			{"BCA", acct, 10, 3}, {"BCA", acct, 2, 2}, {"BCA", "1234567890", 10, 1}, {"BNI", acct, 10, 1}, {"MANDIRI", acct, 10, 0},
		} {
			if n, err := tx.SucceededPayoutsTo(s.Payee.ID, c.bank, c.acct, c.upTo); err != nil || n != c.want {
				t.Errorf("SucceededPayoutsTo(%s %s, %d) = %d, %v; want %d", c.bank, c.acct, c.upTo, n, err, c.want)
			}
		}
		return nil
	})

	// An edit that keeps bank and account keeps the rule; an account change
	// switches it off, audited, in the same transaction.
	audits := func() (n int) {
		e.read(func(tx Tx) error {
			es, err := tx.ListAudit(0, 0)
			for _, a := range es {
				if a.Action == "trust.off" {
					n++
				}
			}
			return err
		})
		return n
	}
	p := s.Payee
	p.Name = "Bu Ratna Batik"
	e.write(func(tx Tx) error { return tx.UpdatePayee(&p) })
	e.read(func(tx Tx) error {
		if got, err := tx.GetTrustRule(p.ID); err != nil || !got.Active {
			t.Errorf("rule after a name change: %+v, %v; want still on", got, err)
		}
		return nil
	})
	for i, change := range []func(p *domain.Payee){
		func(p *domain.Payee) { p.AccountNumber = "8410099888" },
		func(p *domain.Payee) { p.Channel = "BNI" },
	} {
		e.write(func(tx Tx) error { return tx.SaveTrustRule(&r2) })
		change(&p)
		e.clock.Add(time.Minute)
		e.write(func(tx Tx) error { return tx.UpdatePayee(&p) })
		e.read(func(tx Tx) error {
			got, err := tx.GetTrustRule(p.ID)
			if err != nil || got.Active || got.OffReason != domain.TrustOffAccountChanged || !got.OffAt.Equal(e.clock.Now().Truncate(time.Microsecond)) {
				t.Errorf("change %d: rule %+v, %v; want off for account_changed", i, got, err)
			}
			return nil
		})
		if n := audits(); n != i+1 {
			t.Errorf("change %d: %d trust.off audit entries, want %d", i, n, i+1)
		}
	}
	e.write(func(tx Tx) error {
		if off, err := tx.SwitchOffTrustRule(p.ID, domain.TrustOffRiskFlag, e.clock.Now()); err != nil || off {
			t.Errorf("switching off a rule that is off: %v, %v; want false", off, err)
		}
		if err := tx.SaveTrustRule(&r2); err != nil {
			return err
		}
		if off, err := tx.SwitchOffTrustRule(p.ID, domain.TrustOffRiskFlag, e.clock.Now()); err != nil || !off {
			t.Errorf("switching off: %v, %v; want true", off, err)
		}
		return nil
	})
	e.read(func(tx Tx) error {
		if got, err := tx.GetTrustRule(p.ID); err != nil || got.Active || got.OffReason != domain.TrustOffRiskFlag {
			t.Errorf("after a risk flag: %+v, %v", got, err)
		}
		return nil
	})
}

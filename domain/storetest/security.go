package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/risk"
)

func testUsers(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	locked := day0.Add(time.Hour).Truncate(time.Microsecond)
	u := domain.User{Name: "Sari", Role: domain.RoleOwner, PasswordHash: "$argon2id$x", TOTPSecret: "JBSWY3DPEHPK3PXP"}
	e.write(func(tx Tx) error {
		if n, err := tx.CountUsers(); err != nil || n != 0 {
			t.Errorf("users before = %d, %v", n, err)
		}
		if err := tx.CreateUser(&u); err != nil {
			return err
		}
		return tx.CreateUser(&domain.User{Name: "adi", Role: domain.RoleStaff, PasswordHash: "h"})
	})
	e.read(func(tx Tx) error {
		got, err := tx.GetUserByName("sARI")
		if err != nil || got.ID != u.ID || got.TOTPSecret != u.TOTPSecret || got.Role != domain.RoleOwner || got.Name != "Sari" {
			t.Errorf("by name, any case = %+v, %v", got, err)
		}
		cred, err := tx.GetUserCredentials("SARI")
		if err != nil || cred.PasswordHash != u.PasswordHash || cred.TOTPSecret != "" {
			t.Errorf("credentials = %+v, %v", cred, err)
		}
		if _, err := tx.GetUser(99); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing user: %v", err)
		}
		if _, err := tx.GetUserCredentials("nobody"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing credentials: %v", err)
		}
		list, err := tx.ListUsers()
		if err != nil || len(list) != 2 || list[0].Name != "adi" || list[1].Name != "Sari" || list[1].TOTPSecret != "" {
			t.Errorf("users = %+v, %v", list, err)
		}
		return nil
	})
	e.write(func(tx Tx) error {
		if err := tx.SetUserAuthState(u.ID, 3, locked, 100); err != nil {
			return err
		}
		return tx.SetUserAuthState(u.ID, 4, locked, 50) // the last step never goes back
	})
	e.write(func(tx Tx) error {
		for _, c := range []struct {
			step int64
			ok   bool
		}{{100, false}, {101, true}, {101, false}, {99, false}} {
			ok, err := tx.ClaimTOTPStep(u.ID, c.step)
			if err != nil || ok != c.ok {
				t.Errorf("claim step %d = %v, %v; want %v", c.step, ok, err, c.ok)
			}
		}
		return nil
	})
	e.read(func(tx Tx) error {
		got, err := tx.GetUser(u.ID)
		if err != nil || got.Failures != 4 || !got.LockedUntil.Equal(locked) || got.TOTPLastStep != 101 {
			t.Errorf("auth state = %+v, %v", got, err)
		}
		return nil
	})
	u.TOTPConfirmed, u.Disabled, u.TOTPSecret, u.Role = true, true, "NEWSECRET", domain.RoleViewer
	e.write(func(tx Tx) error { return tx.UpdateUser(&u) })
	e.read(func(tx Tx) error {
		got, _ := tx.GetUser(u.ID)
		if !got.TOTPConfirmed || !got.Disabled || got.TOTPSecret != "NEWSECRET" || got.Role != domain.RoleViewer {
			t.Errorf("updated user = %+v", got)
		}
		return nil
	})
	if err := e.tryWrite(func(tx Tx) error { return tx.UpdateUser(&domain.User{ID: 99, Name: "x", Role: domain.RoleStaff}) }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("update missing user: %v", err)
	}
	// Recovery codes: replaced as a set, each used once.
	e.write(func(tx Tx) error {
		if err := tx.ReplaceRecoveryCodes(u.ID, []string{"h1", "h2", "h3"}); err != nil {
			return err
		}
		return tx.ReplaceRecoveryCodes(u.ID, []string{"h4", "h5"})
	})
	e.write(func(tx Tx) error {
		for _, c := range []struct {
			h  string
			ok bool
		}{{"h1", false}, {"h4", true}, {"h4", false}} {
			if ok, err := tx.UseRecoveryCode(u.ID, c.h); err != nil || ok != c.ok {
				t.Errorf("use %s = %v, %v", c.h, ok, err)
			}
		}
		if n, err := tx.RecoveryCodesLeft(u.ID); err != nil || n != 1 {
			t.Errorf("codes left = %d, %v", n, err)
		}
		return nil
	})
	// The TOTP secret needs the key; the credentials do not.
	lockedDB := e.open(Options{})
	if err := lockedDB.Read(ctx, func(tx domain.ReadTx) error { return errOnly(tx.(Tx).GetUser(u.ID)) }); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("user without the key: %v", err)
	}
	if err := lockedDB.Read(ctx, func(tx domain.ReadTx) error { return errOnly(tx.(Tx).GetUserCredentials("sari")) }); err != nil {
		t.Errorf("credentials without the key: %v", err)
	}
}

func testSecrets(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	e.read(func(tx Tx) error {
		if _, err := tx.VaultHeader(); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("vault before creation: %v", err)
		}
		return nil
	})
	e.write(func(tx Tx) error {
		if err := tx.PutVaultHeader([]byte{1, 2, 0, 3}); err != nil {
			return err
		}
		if err := tx.PutVaultHeader([]byte("{\"v\":2}")); err != nil {
			return err
		}
		if err := tx.SetSecret("xendit.secret_key", "xnd_dev_1", "sari"); err != nil {
			return err
		}
		if err := tx.SetSecret("xendit.secret_key", "xnd_dev_2", "sari"); err != nil {
			return err
		}
		return tx.SetSecret("smtp.password", "pw", "sari")
	})
	e.read(func(tx Tx) error {
		if h, err := tx.VaultHeader(); err != nil || string(h) != "{\"v\":2}" {
			t.Errorf("vault header = %q, %v", h, err)
		}
		if v, err := tx.Secret("xendit.secret_key"); err != nil || v != "xnd_dev_2" {
			t.Errorf("secret = %q, %v", v, err)
		}
		if _, err := tx.Secret("nope"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing secret: %v", err)
		}
		if names, err := tx.SecretNames(); err != nil || !slices.Equal(names, []string{"smtp.password", "xendit.secret_key"}) {
			t.Errorf("names = %v, %v", names, err)
		}
		return nil
	})
	e.write(func(tx Tx) error { return tx.DeleteSecret("smtp.password") })
	e.read(func(tx Tx) error {
		if names, _ := tx.SecretNames(); !slices.Equal(names, []string{"xendit.secret_key"}) {
			t.Errorf("after delete = %v", names)
		}
		return nil
	})
	locked := e.open(Options{})
	if err := locked.Write(ctx, func(tx domain.Tx) error { return tx.(Tx).SetSecret("a", "b", "c") }); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("set secret without the key: %v", err)
	}
	if err := locked.Read(ctx, func(tx domain.ReadTx) error { return errOnly(tx.(Tx).Secret("xendit.secret_key")) }); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("read secret without the key: %v", err)
	}
}

func testFlags(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	f1 := domain.Flag{RefID: "LNS-1", PayeeID: s.Payee.ID, Rule: "large", Block: true, ReasonID: "Bu Ratna: besar", ReasonEN: "Bu Ratna: large", Evidence: "name=Bu Ratna; amt=1"}
	f2 := domain.Flag{RefID: "LNS-2", Rule: "velocity", ReasonID: "cepat", ReasonEN: "fast"}
	e.write(func(tx Tx) error {
		if err := tx.CreateFlag(&f1); err != nil {
			return err
		}
		return tx.CreateFlag(&f2)
	})
	e.write(func(tx Tx) error { return tx.ResolveFlag(f2.ID, domain.FlagCleared, "ok", "sari") })
	if err := e.tryWrite(func(tx Tx) error { return tx.ResolveFlag(f2.ID, domain.FlagRejected, "again", "sari") }); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("second resolve: %v", err)
	}
	e.write(func(tx Tx) error { return tx.PseudonymiseFlags(s.Payee.ID, []string{"Bu Ratna", ""}, "Terhapus #1") })
	e.read(func(tx Tx) error {
		got, err := tx.GetFlag(f1.ID)
		if err != nil || !got.Block || got.Status != domain.FlagOpen || got.ReasonID != "Terhapus #1: besar" || got.Evidence != "name=Terhapus #1; amt=1" ||
			got.ReasonEN != "Terhapus #1: large" || !got.CreatedAt.Equal(day0.Truncate(time.Microsecond)) {
			t.Errorf("flag 1 = %+v, %v", got, err)
		}
		if _, err := tx.GetFlag(99); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing flag: %v", err)
		}
		open, _ := tx.ListFlags(domain.FlagOpen, "", domain.Page{})
		byRef, _ := tx.ListFlags("", "LNS-2", domain.Page{})
		all, _ := tx.ListFlags("", "", domain.Page{Limit: 1})
		if len(open) != 1 || open[0].ID != f1.ID || len(byRef) != 1 || byRef[0].Note != "ok" || byRef[0].ResolvedBy != "sari" || byRef[0].ResolvedAt.IsZero() ||
			len(all) != 1 || all[0].ID != f2.ID {
			t.Errorf("open %+v, by ref %+v, newest %+v", open, byRef, all)
		}
		return nil
	})
	list := []risk.WatchEntry{{Ref: "DTTOT-1", Name: "Fulan", Aliases: []string{"Abu F", "F."}, BirthDate: "1970-01-01", Kind: "person", Nationality: "ID"}, {Name: "Kelompok X"}}
	e.write(func(tx Tx) error {
		if err := tx.ReplaceWatchlist([]risk.WatchEntry{{Name: "old"}}); err != nil {
			return err
		}
		return tx.ReplaceWatchlist(list)
	})
	e.read(func(tx Tx) error {
		got, err := tx.Watchlist()
		if err != nil || len(got) != 2 || got[0].Name != "Fulan" || !slices.Equal(got[0].Aliases, list[0].Aliases) || got[0].BirthDate != "1970-01-01" || got[1].Name != "Kelompok X" {
			t.Errorf("watchlist = %+v, %v", got, err)
		}
		return nil
	})
}

func testRiskFacts(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	e.clock.Add(time.Hour)
	e.write(func(tx Tx) error {
		for i, st := range []domain.TransferStatus{domain.TransferSucceeded, domain.TransferFailed, domain.TransferApproved} {
			e.clock.Add(time.Minute)
			x := domain.Transfer{RefID: "R-" + string(rune('a'+i)), ObligationID: s.Oblig.ID, PayeeID: s.Payee.ID, Amount: domain.Rupiah(1000 * (i + 1)), Status: st}
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
		}
		if err := tx.RecordAccountUse("R-a", s.Payee.ID, "fp-old"); err != nil {
			return err
		}
		if err := tx.RecordAccountUse("R-a", s.Payee.ID, "fp-1"); err != nil { // re-assessed
			return err
		}
		return tx.RecordAccountUse("R-c", s.Payee.ID, "fp-2")
	})
	e.read(func(tx Tx) error {
		rec, err := tx.PayeeRecentTransfers(s.Payee.ID, day0.Add(30*time.Minute), "R-c")
		if err != nil || len(rec) != 1 || rec[0].RefID != "R-a" || rec[0].Amount != 1000 {
			t.Errorf("recent = %+v, %v", rec, err)
		}
		if n, err := tx.PayeeSucceededPayouts(s.Payee.ID); err != nil || n != 1 {
			t.Errorf("succeeded = %d, %v", n, err)
		}
		for fp, want := range map[string]bool{"fp-1": true, "fp-2": false, "fp-old": false} {
			if ok, err := tx.AccountPaidBefore(s.Payee.ID, fp); err != nil || ok != want {
				t.Errorf("paid before %s = %v, %v", fp, ok, err)
			}
		}
		if sum, err := tx.OrderPayoutTotal(s.Order.ID, "R-c"); err != nil || sum != 256000+1000 {
			t.Errorf("order payout total = %d, %v", sum, err)
		}
		if n, err := tx.PayeeOpenWork(s.Payee.ID); err != nil || n != 3 { // the open obligation, LNS-1 and R-c
			t.Errorf("open work = %d, %v", n, err)
		}
		return nil
	})
	e.write(func(tx Tx) error {
		if err := tx.SecureDelete(); err != nil {
			return err
		}
		p := s.Payee
		p.Name, p.AccountNumber, p.AccountHolder, p.Email, p.Erased = "Terhapus #1", "", "", "", true
		return tx.UpdatePayee(&p)
	})
	e.read(func(tx Tx) error {
		p, err := tx.GetPayee(s.Payee.ID)
		if err != nil || p.AccountNumber != "" || !p.Erased || p.Name != "Terhapus #1" {
			t.Errorf("erased payee = %+v, %v", p, err)
		}
		return nil
	})
}

// An erased payee's copies outside the payees row go: mail to or about
// them, their name in payout rule names, their transfers' sealed
// destinations, their account fingerprints. Other payees' stay.
func testErasePayeeCopies(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	now := day0.Truncate(time.Microsecond)
	e.write(func(tx Tx) error {
		if err := tx.SaveDestination(s.Transfer.ID, engine.Destination{Bank: "BCA", AccountNumber: "8410099887", AccountHolder: "Ratna", Email: "r@example.com"}, now); err != nil {
			return err
		}
		for i, m := range []engine.Mail{
			{Kind: engine.MailPayeePaid, To: "R@Example.com", Key: "a", NextAt: now, CreatedAt: now},
			{Kind: engine.MailBuyerPaid, To: "andi@example.com", Name: "Andi", Data: map[string]string{"seller": "Bu Ratna"}, Key: "b", NextAt: now, CreatedAt: now},
			{Kind: engine.MailBuyerPaid, To: "other@example.com", Name: "Other", Key: "c", NextAt: now, CreatedAt: now},
		} {
			m.ID = int64(i)
			if err := tx.EnqueueMail(&m); err != nil {
				return err
			}
		}
		return tx.RecordAccountUse(s.Transfer.RefID, s.Payee.ID, "fp-1")
	})
	e.write(func(tx Tx) error {
		return tx.ErasePayeeCopies(s.Payee.ID, []string{"Bu Ratna", ""}, "r@example.com", "Terhapus #1")
	})
	e.read(func(tx Tx) error {
		due, _ := tx.DueMail(now, 10)
		if len(due) != 1 || due[0].To != "other@example.com" {
			t.Errorf("mail left = %+v", due)
		}
		if r, _ := tx.GetPayoutRule(s.Rule.ID); r.Name != "konsinyasi" {
			t.Errorf("unrelated rule renamed: %q", r.Name)
		}
		d, err := tx.GetDestination(s.Transfer.ID)
		if err != nil || d.AccountNumber != "" || d.AccountHolder != "" || d.Email != "" || d.Bank != "BCA" {
			t.Errorf("destination after erasure = %+v, %v", d, err)
		}
		if n, _ := tx.PayeeOpenWork(s.Payee.ID); n == 0 {
			t.Error("the transfer itself went")
		}
		return nil
	})
	e.write(func(tx Tx) error {
		r := domain.PayoutRule{Name: "Konsinyasi Bu Ratna"}
		if err := tx.CreatePayoutRule(&r); err != nil {
			return err
		}
		if err := tx.ErasePayeeCopies(s.Payee.ID, []string{"Bu Ratna"}, "", "Terhapus #1"); err != nil {
			return err
		}
		got, err := tx.GetPayoutRule(r.ID)
		if err != nil || got.Name != "Konsinyasi Terhapus #1" {
			t.Errorf("rule after erasure = %q, %v", got.Name, err)
		}
		return nil
	})
}

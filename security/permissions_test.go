package security

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/risk"
)

// TestPermissionTableAtServiceLayer calls every guarded service action (the
// security service's and the engine's manual actions) as owner, staff and
// viewer. Allowed calls may fail for other reasons (no such transfer) but
// never with ErrPermission; refused calls fail with ErrPermission and write
// nothing, not even an audit entry.
func TestPermissionTableAtServiceLayer(t *testing.T) {
	keyring.MockInit()
	f := newFixture(t)
	owner, _ := f.owner()
	staff, _ := f.user(owner, "ani", domain.RoleStaff)
	viewer, _ := f.user(owner, "dewi", domain.RoleViewer)
	p := f.payee("Siti Aminah", "1234567890", "")
	eng, err := engine.New(engine.Config{Store: f.db, Codes: f.svc, Risk: f.svc.Checker(), Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var flagID int64
	f.db.Write(ctx, func(tx domain.Tx) error {
		st, _ := wtx(tx)
		fl := domain.Flag{RefID: "R-X", PayeeID: p.ID, Rule: "velocity", ReasonID: "id", ReasonEN: "en"}
		err := st.CreateFlag(&fl)
		flagID = fl.ID
		return err
	})

	// Which roles may: o = owner, s = staff, v = viewer. Written from the
	// issue, not copied from the permission table.
	actions := []struct {
		name  string
		roles string
		call  func(a domain.Actor) error
	}{
		{"add user", "o", func(a domain.Actor) error {
			_, err := f.svc.AddUser(ctx, a, "new-"+string(a.Role), domain.RoleViewer, "a-long-password-1")
			return err
		}},
		{"list users", "o", func(a domain.Actor) error { _, err := f.svc.ListUsers(ctx, a); return err }},
		{"set role", "o", func(a domain.Actor) error { return f.svc.SetRole(ctx, a, viewer.UserID, domain.RoleViewer) }},
		{"disable user", "o", func(a domain.Actor) error { return f.svc.SetDisabled(ctx, a, viewer.UserID, false) }},
		{"reset two-factor", "o", func(a domain.Actor) error { _, err := f.svc.ResetTwoFactor(ctx, a, 999); return err }},
		{"set gateway key", "o", func(a domain.Actor) error { return f.svc.SetSecret(ctx, a, "xendit.secret_key", "xnd_1") }},
		{"list secret names", "o", func(a domain.Actor) error { _, err := f.svc.SecretNames(ctx, a); return err }},
		{"delete secret", "o", func(a domain.Actor) error { return f.svc.DeleteSecret(ctx, a, "nothing.here") }},
		{"remember vault", "o", func(a domain.Actor) error { return f.svc.RememberVault(ctx, a, false) }},
		{"read AML thresholds", "osv", func(a domain.Actor) error { _, err := f.svc.GetRiskConfig(ctx, a); return err }},
		{"change a setting", "o", func(a domain.Actor) error { return f.svc.SaveSetting(ctx, a, "poll.interval", "5s") }},
		{"change AML thresholds", "o", func(a domain.Actor) error { return f.svc.SetRiskConfig(ctx, a, risk.DefaultConfig()) }},
		{"list flags", "osv", func(a domain.Actor) error {
			_, err := f.svc.ListFlags(ctx, a, domain.FlagOpen, "", domain.Page{})
			return err
		}},
		{"export flags", "osv", func(a domain.Actor) error { return f.svc.ExportFlags(ctx, a, "", &bytes.Buffer{}) }},
		{"resolve flag", "o", func(a domain.Actor) error { return f.svc.ResolveFlag(ctx, a, flagID+1000, domain.FlagCleared, "ok") }},
		{"export personal data", "o", func(a domain.Actor) error { return f.svc.ExportPayee(ctx, a, p.ID, "json", &bytes.Buffer{}) }},
		{"erase payee", "o", func(a domain.Actor) error { return f.svc.ErasePayee(ctx, a, 999) }},
		{"import watchlist", "o", func(a domain.Actor) error {
			_, err := f.svc.ImportWatchlist(ctx, a, "w.csv", strings.NewReader("nama\nContoh Satu\n"))
			return err
		}},
		{"verify audit", "os", func(a domain.Actor) error { _, err := f.svc.VerifyAudit(ctx, a); return err }},
		{"approval code", "o", func(a domain.Actor) error { return f.svc.VerifyCode(ctx, a, "12") }},
		{"approve transfer", "o", func(a domain.Actor) error { return eng.Approve(ctx, a, "12", "R-NONE") }},
		{"reject transfer", "o", func(a domain.Actor) error { return eng.Reject(ctx, a, "R-NONE", "no") }},
		{"check status", "os", func(a domain.Actor) error { _, err := eng.CheckNow(ctx, a, "R-NONE"); return err }},
		{"retry same REFID", "os", func(a domain.Actor) error { _, err := eng.Retry(ctx, a, "R-NONE"); return err }},
		{"send again", "os", func(a domain.Actor) error { _, err := eng.SendAgain(ctx, a, "R-NONE", ""); return err }},
		{"cancel transfer", "o", func(a domain.Actor) error { _, err := eng.Cancel(ctx, a, "R-NONE"); return err }},
		{"pause engine", "o", func(a domain.Actor) error { return eng.Pause(ctx, a) }},
		{"lock vault", "o", func(a domain.Actor) error { return f.svc.LockVault(ctx, a) }},
	}
	auditLen := func() int64 {
		var n int64
		f.db.Read(ctx, func(tx domain.ReadTx) error {
			es, err := tx.ListAudit(0, 0)
			if len(es) > 0 {
				n = es[len(es)-1].Seq
			}
			return err
		})
		return n
	}
	for _, a := range actions {
		for _, actor := range []domain.Actor{owner, staff, viewer} {
			allowed := strings.ContainsRune(a.roles, rune(actor.Role[0]))
			before := auditLen()
			err := a.call(actor)
			if f.vault.Locked() { // "lock vault" worked: unlock for the next checks
				if err := f.vault.Unlock(ctx, owner.UserID, ownerPW); err != nil {
					t.Fatal(err)
				}
			}
			if allowed && errors.Is(err, domain.ErrPermission) {
				t.Errorf("%s as %s: refused (%v), want allowed", a.name, actor.Role, err)
			}
			if !allowed {
				if !errors.Is(err, domain.ErrPermission) {
					t.Errorf("%s as %s: err = %v, want ErrPermission", a.name, actor.Role, err)
				}
				if after := auditLen(); after != before {
					t.Errorf("%s as %s: refused call wrote %d audit entries", a.name, actor.Role, after-before)
				}
			}
		}
	}
}

package security

import (
	"errors"
	"testing"

	"lunas/domain"
)

func TestSettingsRefuseSecretsAndAudit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	for _, k := range []string{"smtp.password", "xendit.secret_key", "h2h.pin", "midtrans.server_key"} {
		if err := f.svc.SaveSetting(f.ctx, owner, k, "x"); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("plain setting %s accepted: %v", k, err)
		}
	}
	if err := f.svc.SaveSetting(f.ctx, owner, "shop.name", "Batik Sari"); err != nil {
		t.Fatal(err)
	}
	var es []domain.AuditEntry
	f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { es, err = tx.ListAudit(0, 0); return err })
	last := es[len(es)-1]
	if last.Action != "settings.change" || last.Subject != "settings:shop.name" || last.Actor != "sari" {
		t.Fatalf("last audit entry %+v", last)
	}
	if err := f.svc.SetSecret(f.ctx, owner, "not a name", "x"); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("bad secret name: %v", err)
	}
	if _, err := f.svc.Secret(f.ctx, "xendit.secret_key"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unset secret: %v", err)
	}
	if err := f.svc.SetSecret(f.ctx, owner, "xendit.secret_key", "xnd_1"); err != nil {
		t.Fatal(err)
	}
	f.vault.Lock()
	if _, err := f.svc.Secret(f.ctx, "xendit.secret_key"); !errors.Is(err, domain.ErrLocked) {
		t.Fatalf("secret while locked: %v", err)
	}
}

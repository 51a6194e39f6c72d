package security

import (
	"context"
	"strings"

	"lunas/domain"
)

// SaveSetting stores a plain (non-secret) setting for the settings screen,
// with the permission check and an audit entry holding the new value. Keys
// that name secrets are refused: those go through SetSecret, encrypted.
func (s *Service) SaveSetting(ctx context.Context, actor domain.Actor, key, value string) error {
	if err := actor.Can(domain.PermChangeSettings); err != nil {
		return err
	}
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 100 {
		return domain.Invalid("key", "nama pengaturan tidak valid / invalid setting name")
	}
	if looksSecret(key) {
		return domain.Invalid("key", "simpan kunci dan kata sandi sebagai rahasia / store keys and passwords as secrets")
	}
	if key == settingRiskConfig {
		return domain.Invalid("key", "use SetRiskConfig for AML thresholds")
	}
	return s.store.Write(ctx, func(tx domain.Tx) error {
		if err := tx.SetSetting(key, value); err != nil {
			return err
		}
		return Audit(tx, actor, "settings.change", "settings:"+key, clip(value, 200))
	})
}

func looksSecret(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"password", "secret", "pin", "server_key", "api_key", "apikey", "token", "approver"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

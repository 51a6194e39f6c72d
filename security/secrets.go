package security

import (
	"context"
	"regexp"

	"lunas/domain"
)

// Well-known secret names. Gateways may add their own ("<gateway>.<what>").
const (
	SecretSMTPPassword = "smtp.password"
)

var secretName = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_:-]+)+$`)

// SetSecret stores a gateway key, PIN or password encrypted through the vault.
func (s *Service) SetSecret(ctx context.Context, actor domain.Actor, name, value string) error {
	if err := actor.Can(domain.PermManageKeys); err != nil {
		return err
	}
	if !secretName.MatchString(name) {
		return domain.Invalid("name", "secret name must look like gateway.key_name")
	}
	if value == "" {
		return domain.Invalid("value", "nilai kosong / the value is empty")
	}
	return s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		if err := st.SetSecret(name, value, actor.Name); err != nil {
			return err
		}
		return Audit(tx, actor, "secret.set", "secret:"+name, "value replaced (not logged)")
	})
}

// DeleteSecret removes a stored secret.
func (s *Service) DeleteSecret(ctx context.Context, actor domain.Actor, name string) error {
	if err := actor.Can(domain.PermManageKeys); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		if err := st.DeleteSecret(name); err != nil {
			return err
		}
		return Audit(tx, actor, "secret.delete", "secret:"+name, "")
	})
}

// SecretNames lists which secrets are set, never their values.
func (s *Service) SecretNames(ctx context.Context, actor domain.Actor) ([]string, error) {
	if err := actor.Can(domain.PermManageKeys); err != nil {
		return nil, err
	}
	var out []string
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		out, err = st.SecretNames()
		return err
	})
	return out, err
}

// Secret returns a decrypted secret for the app's own wiring (gateway
// clients, the mailer); it is not for people, so it takes no actor. It
// returns an error matching domain.ErrLocked while the vault is locked and
// domain.ErrNotFound when unset.
func (s *Service) Secret(ctx context.Context, name string) (string, error) {
	var v string
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		v, err = st.Secret(name)
		return err
	})
	return v, err
}

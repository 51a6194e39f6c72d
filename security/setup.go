package security

import (
	"context"
	"errors"

	"lunas/domain"
)

// HasUsers reports whether an owner account exists (false on first run).
func (s *Service) HasUsers(ctx context.Context) (bool, error) {
	need, err := s.NeedsOwner(ctx)
	return !need, err
}

// BeginOwner is the first step of the first-run wizard: it checks the name
// and password and prepares a TOTP enrolment (secret, QR, recovery codes)
// without storing anything, so an abandoned wizard leaves no half-made owner.
func (s *Service) BeginOwner(ctx context.Context, name, password string) (Enrolment, error) {
	if err := errors.Join(validName(name), ValidatePassword(password)); err != nil {
		return Enrolment{}, err
	}
	if need, err := s.NeedsOwner(ctx); err != nil {
		return Enrolment{}, err
	} else if !need {
		return Enrolment{}, ErrOwnerExists
	}
	name, _ = cleanUserName(name) // validName accepted it
	key, qr, err := newTOTP(s.opts.Issuer, name)
	if err != nil {
		return Enrolment{}, err
	}
	img, _ := key.Image(256, 256)
	return Enrolment{Name: name, Secret: key.Secret(), URL: key.URL(), QRPNG: qr, QR: img,
		RecoveryCodes: newRecoveryCodes()}, nil
}

// FinishOwner completes the wizard once a code from the authenticator
// matches enr's secret: it creates the owner, the vault and the hashed
// recovery codes in one transaction and returns the signed-in owner. The
// code's time step is used up, so it cannot sign in again.
func (s *Service) FinishOwner(ctx context.Context, name, password string, enr Enrolment, code string) (domain.Actor, error) {
	if err := errors.Join(validName(name), ValidatePassword(password)); err != nil {
		return domain.Actor{}, err
	}
	now := s.now()
	step, ok := matchTOTP(enr.Secret, code, now)
	if !ok || len(enr.RecoveryCodes) != RecoveryCodeCount {
		return domain.Actor{}, ErrBadCredentials
	}
	hash := HashPassword(password, s.opts.PasswordParams)
	var actor domain.Actor
	err := s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		if n, err := st.CountUsers(); err != nil {
			return err
		} else if n > 0 {
			return ErrOwnerExists
		}
		clean, err := cleanUserName(name)
		if err != nil {
			return err
		}
		u := domain.User{Name: clean, Role: domain.RoleOwner, PasswordHash: hash}
		if err := st.CreateUser(&u); err != nil {
			return err
		}
		if err := s.vault.Create(tx, u.ID, password); err != nil {
			return err
		}
		u.TOTPSecret, u.TOTPConfirmed, u.TOTPLastStep = enr.Secret, true, step
		if err := st.UpdateUser(&u); err != nil {
			return err
		}
		hashes := make([]string, len(enr.RecoveryCodes))
		for i, c := range enr.RecoveryCodes {
			hashes[i] = hashRecovery(u.ID, c)
		}
		if err := st.ReplaceRecoveryCodes(u.ID, hashes); err != nil {
			return err
		}
		actor = u.Actor()
		if err := Audit(tx, actor, "vault.create", "vault", "data key created, wrapped for owner "+u.Name); err != nil {
			return err
		}
		if err := Audit(tx, actor, "user.create", "user:"+u.Name, "first-run owner; two-factor confirmed"); err != nil {
			return err
		}
		return Audit(tx, actor, "login", "user:"+u.Name, "signed in with authenticator code (first run)")
	})
	if err != nil {
		if !errors.Is(err, ErrVaultExists) {
			s.vault.Lock()
		}
		return domain.Actor{}, err
	}
	return actor, nil
}

// ClearFlag is ResolveFlag with the "cleared" decision (the UI's flag queue).
func (s *Service) ClearFlag(ctx context.Context, actor domain.Actor, id int64, note string) error {
	return s.ResolveFlag(ctx, actor, id, domain.FlagCleared, note)
}

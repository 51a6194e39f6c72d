package security

import (
	"context"
	"errors"

	"lunas/domain"
)

// Logout records that a person signed out. The vault key stays in memory:
// the engine keeps working (see docs/SECURITY.md).
func (s *Service) Logout(ctx context.Context, actor domain.Actor) error {
	return s.audit(ctx, actor, "logout", "user:"+actor.Name, "")
}

// ScreenLocked records an idle auto-lock of the screen (IdleTimer expired).
func (s *Service) ScreenLocked(ctx context.Context, actor domain.Actor) error {
	return s.audit(ctx, actor, "session.lock", "user:"+actor.Name, "idle auto-lock")
}

// RegenerateRecoveryCodes gives the actor ten new recovery codes after a
// fresh authenticator code; the old ones stop working.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, actor domain.Actor, code string) ([]string, error) {
	now := s.now()
	var codes []string
	var codeErr error
	err := s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		u, err := st.GetUser(actor.UserID)
		if err != nil {
			return err
		}
		if now.Before(u.LockedUntil) {
			codeErr = &LockedOutError{Until: u.LockedUntil}
			return codeErr
		}
		if looksLikeRecovery(code) {
			codeErr = ErrBadCredentials
			return codeErr
		}
		if _, err := s.checkCode(st, u, code, now); err != nil {
			codeErr = err
			return err
		}
		codes = newRecoveryCodes()
		hashes := make([]string, len(codes))
		for i, c := range codes {
			hashes[i] = hashRecovery(u.ID, c)
		}
		if err := st.ReplaceRecoveryCodes(u.ID, hashes); err != nil {
			return err
		}
		return Audit(tx, actor, "recovery_code.regenerate", "user:"+u.Name, "ten new recovery codes")
	})
	if codeErr != nil && !errors.Is(codeErr, ErrLockedOut) {
		_ = s.recordFailure(ctx, actor.Name, "recovery codes: "+codeReason(codeErr))
	}
	if err != nil {
		return nil, err
	}
	return codes, nil
}

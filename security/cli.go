package security

// Sign-in for the command line (added by the integration engineer).

import (
	"context"
	"errors"
	"sort"
	"time"

	"lunas/domain"
)

// PasswordSignIn signs a person in with name and password only, for the
// headless commands (export, import, reconcile) on the shop's own computer,
// which have no one to type an authenticator code. It counts failures and
// locks out like Login and audits the sign-in; the actor it returns has the
// user's role, so every permission is still enforced. Actions that move
// money (approval) keep asking for a fresh code through VerifyCode.
func (s *Service) PasswordSignIn(ctx context.Context, name, password string) (domain.Actor, error) {
	u, err := s.credentials(ctx, name)
	if errors.Is(err, domain.ErrNotFound) {
		_, _ = CheckPassword(password, s.dummyHash())
		_ = s.recordFailure(ctx, name, "unknown user (command line)")
		return domain.Actor{}, ErrBadCredentials
	}
	if err != nil {
		return domain.Actor{}, err
	}
	if s.now().Before(u.LockedUntil) {
		_ = s.audit(ctx, u.Actor(), "login.refused", "user:"+u.Name, "command line; locked out")
		return domain.Actor{}, &LockedOutError{Until: u.LockedUntil}
	}
	if ok, err := CheckPassword(password, u.PasswordHash); err != nil {
		return domain.Actor{}, err
	} else if !ok {
		_ = s.recordFailure(ctx, u.Name, "wrong password (command line)")
		return domain.Actor{}, ErrBadCredentials
	}
	if u.Disabled {
		_ = s.audit(ctx, u.Actor(), "login.refused", "user:"+u.Name, "command line; user disabled")
		return domain.Actor{}, ErrDisabled
	}
	err = s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		if u.Failures > 0 {
			if err := st.SetUserAuthState(u.ID, 0, time.Time{}, 0); err != nil {
				return err
			}
		}
		return Audit(tx, u.Actor(), "login", "user:"+u.Name, "signed in with password on the command line")
	})
	if err != nil {
		return domain.Actor{}, err
	}
	return u.Actor(), nil
}

// FirstOwner returns the name of the earliest enabled owner (the default
// user of the command line), or domain.ErrNotFound when there is none.
func (s *Service) FirstOwner(ctx context.Context) (string, error) {
	var name string
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		us, err := st.ListUsers()
		if err != nil {
			return err
		}
		sort.Slice(us, func(i, j int) bool { return us[i].ID < us[j].ID })
		for _, u := range us {
			if u.Role == domain.RoleOwner && !u.Disabled {
				name = u.Name
				return nil
			}
		}
		return domain.ErrNotFound
	})
	return name, err
}

// ActiveUsers counts the users who are not disabled, for the engine's
// UserCount (self-approval is refused when someone else could approve).
func (s *Service) ActiveUsers(ctx context.Context) (int, error) {
	n := 0
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		us, err := st.ListUsers()
		for _, u := range us {
			if !u.Disabled {
				n++
			}
		}
		return err
	})
	return n, err
}

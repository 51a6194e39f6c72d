package security

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestChangePasswordHonoursLockout: wrong current passwords count like failed
// sign-ins; once locked out, even the right current password is refused
// (no password oracle), and sign-in is refused too; after the lockout the
// change works.
func TestChangePasswordHonoursLockout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	max := f.svc.opts.MaxFailures
	for i := 0; i < max; i++ {
		if err := f.svc.ChangePassword(f.ctx, owner, fmt.Sprintf("wrong-guess-%03d", i), "new-password-123"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d: %v, want ErrBadCredentials", i+1, err)
		}
	}
	err := f.svc.ChangePassword(f.ctx, owner, ownerPW, "new-password-123")
	var lo *LockedOutError
	if !errors.Is(err, ErrLockedOut) || !errors.As(err, &lo) {
		t.Fatalf("right password while locked out: %v, want ErrLockedOut", err)
	}
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, "000000"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("sign-in after %d wrong current passwords: %v, want ErrLockedOut", max, err)
	}
	f.clk.Add(lo.Until.Sub(f.clk.Now()) + time.Second)
	if err := f.svc.ChangePassword(f.ctx, owner, ownerPW, "new-password-123"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

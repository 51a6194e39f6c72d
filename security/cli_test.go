package security

import (
	"errors"
	"testing"

	"lunas/domain"
)

// TestPasswordSignIn: the command line's sign-in checks the password, keeps
// the role, refuses disabled users, and counts failures towards the same
// lockout as Login; a success resets the count.
func TestPasswordSignIn(t *testing.T) {
	f := newFixture(t)
	owner, _ := f.owner()
	f.user(owner, "akuntan", domain.RoleViewer)
	staff, _ := f.user(owner, "admin", domain.RoleStaff)
	if err := f.svc.SetDisabled(f.ctx, owner, staff.UserID, true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, user, pw string
		want           error
		role           domain.Role
	}{
		{"owner", "sari", ownerPW, nil, domain.RoleOwner},
		{"viewer keeps the viewer role", "akuntan", "akuntan-password-1", nil, domain.RoleViewer},
		{"wrong password", "akuntan", "salah", ErrBadCredentials, ""},
		{"unknown user", "siapa", "apa-saja-123", ErrBadCredentials, ""},
		{"disabled user", "admin", "admin-password-1", ErrDisabled, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := f.svc.PasswordSignIn(f.ctx, c.user, c.pw)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == nil && (a.Role != c.role || a.UserID == 0) {
				t.Fatalf("actor = %+v", a)
			}
		})
	}
	for i := 0; i < 6; i++ {
		f.svc.PasswordSignIn(f.ctx, "akuntan", "salah")
	}
	if _, err := f.svc.PasswordSignIn(f.ctx, "akuntan", "akuntan-password-1"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("after repeated failures: %v, want ErrLockedOut", err)
	}
	if name, err := f.svc.FirstOwner(f.ctx); err != nil || name != "sari" {
		t.Fatalf("FirstOwner = %q, %v", name, err)
	}
	if n, err := f.svc.ActiveUsers(f.ctx); err != nil || n != 2 {
		t.Fatalf("ActiveUsers = %d, %v; want 2 (admin is disabled)", n, err)
	}
}

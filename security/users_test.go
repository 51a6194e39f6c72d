package security

import (
	"errors"
	"testing"
	"time"

	"lunas/domain"
)

func TestLoginRefusesWrongPasswordAndWrongCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, enr := f.owner()
	tests := []struct {
		name, user, pw, code string
	}{
		{"wrong password", "sari", "not-the-password", f.code(enr.Secret)},
		{"wrong code", "sari", ownerPW, "000000"},
		{"empty code", "sari", ownerPW, ""},
		{"unknown user", "nobody", ownerPW, f.code(enr.Secret)},
		{"wrong recovery code", "sari", ownerPW, "AAAAA-BBBBB"},
	}
	for _, tc := range tests {
		if tc.code == "000000" && f.code(enr.Secret) == "000000" {
			continue
		}
		_, err := f.svc.Login(f.ctx, tc.user, tc.pw, tc.code)
		if !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%s: err = %v, want ErrBadCredentials", tc.name, err)
		}
	}
	if _, err := f.svc.Login(f.ctx, "SARI", ownerPW, f.code(enr.Secret)); err != nil {
		t.Fatalf("right password and code (name in other case): %v", err)
	}
}

func TestReplayedCodeRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, enr := f.owner()
	c := f.code(enr.Secret)
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, c); !errors.Is(err, ErrCodeReplayed) {
		t.Fatalf("replayed sign-in code: err = %v, want ErrCodeReplayed", err)
	}
	// An approval code is a fresh step too; the same code cannot approve twice.
	f.clk.Add(30 * time.Second)
	c = f.code(enr.Secret)
	if err := f.svc.VerifyCode(f.ctx, owner, c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.VerifyCode(f.ctx, owner, c); !errors.Is(err, ErrCodeReplayed) {
		t.Fatalf("replayed approval code: err = %v", err)
	}
	// The previous step's code, still inside the clock-drift window, is older
	// than the last used step: also a replay.
	f.clk.Add(30 * time.Second)
	old := f.code(enr.Secret)
	f.clk.Add(30 * time.Second)
	if err := f.svc.VerifyCode(f.ctx, owner, f.code(enr.Secret)); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.VerifyCode(f.ctx, owner, old); !errors.Is(err, ErrCodeReplayed) && !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("older step after a newer one: err = %v", err)
	}
	f.clk.Add(30 * time.Second)
	if err := f.svc.VerifyCode(f.ctx, owner, "123"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("malformed code: %v", err)
	}
}

func TestLockoutAfterFiveFailuresWithGrowingDelay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, enr := f.owner()
	for i := 1; i <= 5; i++ {
		if _, err := f.svc.Login(f.ctx, "sari", "wrong-password", f.code(enr.Secret)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Locked: even the right password and code are refused.
	_, err := f.svc.Login(f.ctx, "sari", ownerPW, f.code(enr.Secret))
	var lo *LockedOutError
	if !errors.As(err, &lo) || !errors.Is(err, ErrLockedOut) {
		t.Fatalf("6th attempt: err = %v, want LockedOutError", err)
	}
	first := lo.Until.Sub(f.clk.Now())
	if first != 30*time.Second {
		t.Fatalf("first lockout %v, want 30s", first)
	}
	// After the delay one more failure locks for twice as long.
	f.clk.Add(31 * time.Second)
	if _, err := f.svc.Login(f.ctx, "sari", "wrong-password", ""); !errors.Is(err, ErrBadCredentials) {
		t.Fatal(err)
	}
	_, err = f.svc.Login(f.ctx, "sari", ownerPW, f.code(enr.Secret))
	if !errors.As(err, &lo) || lo.Until.Sub(f.clk.Now()) != time.Minute {
		t.Fatalf("second lockout: %v", err)
	}
	f.clk.Add(61 * time.Second)
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, f.code(enr.Secret)); err != nil {
		t.Fatalf("after the lockout the right credentials work: %v", err)
	}
	// Success resets the count: four more failures do not lock.
	for i := 0; i < 4; i++ {
		f.svc.Login(f.ctx, "sari", "wrong-password", "")
	}
	f.clk.Add(30 * time.Second)
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, f.code(enr.Secret)); err != nil {
		t.Fatalf("4 failures after a success must not lock: %v", err)
	}
}

func TestWrongApprovalCodesLockOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, enr := f.owner()
	for i := 0; i < 5; i++ {
		if err := f.svc.VerifyCode(f.ctx, owner, "999999"); err == nil && f.code(enr.Secret) != "999999" {
			t.Fatal("wrong code accepted")
		}
	}
	if err := f.svc.VerifyCode(f.ctx, owner, f.code(enr.Secret)); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("after 5 wrong approval codes: %v, want ErrLockedOut", err)
	}
}

func TestRecoveryCodeWorksExactlyOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, enr := f.owner()
	if len(enr.RecoveryCodes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(enr.RecoveryCodes))
	}
	rc := enr.RecoveryCodes[3]
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, rc); err != nil {
		t.Fatalf("recovery code refused: %v", err)
	}
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, rc); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("recovery code accepted twice: %v", err)
	}
	// Typed in lower case without the dash, another code still works once.
	lower := []byte(enr.RecoveryCodes[4])
	for i, c := range lower {
		if c >= 'A' && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, string(lower)); err != nil {
		t.Fatalf("recovery code in lower case: %v", err)
	}
	if n, _ := f.svc.RecoveryCodesLeft(f.ctx, owner); n != 8 {
		t.Fatalf("%d codes left, want 8", n)
	}
	// Recovery codes sign in; they never approve money.
	if err := f.svc.VerifyCode(f.ctx, owner, enr.RecoveryCodes[5]); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("recovery code approved: %v", err)
	}
	// Codes are stored hashed: no code appears in the database.
	f.db.Close()
	raw := readDBFiles(t, f.path)
	for _, c := range enr.RecoveryCodes {
		if containsAny(raw, c, normaliseRecovery(c)) {
			t.Fatalf("recovery code %s stored in plain text", c)
		}
	}
	f.open()
}

func TestStaffWaitsForOwnerUnlockAfterRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	_, staffEnr := f.user(owner, "ani", domain.RoleStaff)
	f.db.Close()
	f.vault = NewVault(VaultOptions{Params: testParams})
	f.open()
	if _, err := f.svc.Login(f.ctx, "ani", "ani-password-1", f.code(staffEnr.Secret)); !errors.Is(err, domain.ErrLocked) {
		t.Fatalf("staff sign-in with a locked vault: %v, want ErrLocked", err)
	}
	if err := f.svc.UnlockVault(f.ctx, "sari", ownerPW); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(f.ctx, "ani", "ani-password-1", f.code(staffEnr.Secret)); err != nil {
		t.Fatalf("staff after owner unlock: %v", err)
	}
}

func TestDisabledUserAndLastOwner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	staff, enr := f.user(owner, "ani", domain.RoleStaff)
	if err := f.svc.SetDisabled(f.ctx, owner, staff.UserID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(f.ctx, "ani", "ani-password-1", f.code(enr.Secret)); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled user signed in: %v", err)
	}
	if err := f.svc.SetRole(f.ctx, owner, owner.UserID, domain.RoleStaff); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("last owner demoted: %v", err)
	}
	if err := f.svc.SetDisabled(f.ctx, owner, owner.UserID, true); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("owner disabled themselves: %v", err)
	}
	if _, err := f.svc.CreateOwner(f.ctx, "evil", "another-password"); !errors.Is(err, ErrOwnerExists) {
		t.Fatalf("second first-run owner: %v", err)
	}
}

func TestEnrolmentQRAndWeakPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.svc.CreateOwner(f.ctx, "sari", "short"); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("weak password: %v", err)
	}
	enr, err := f.svc.CreateOwner(f.ctx, "sari", ownerPW)
	if err != nil {
		t.Fatal(err)
	}
	if len(enr.QRPNG) < 100 || string(enr.QRPNG[1:4]) != "PNG" {
		t.Fatal("enrolment has no PNG QR image")
	}
	if enr.Secret == "" || len(enr.URL) < 20 || enr.URL[:15] != "otpauth://totp/" {
		t.Fatalf("enrolment URL %q", enr.URL)
	}
}

func TestIdleTimer(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	it := NewIdleTimer(5*time.Minute, clk.Now)
	clk.Add(4 * time.Minute)
	if it.Expired() || it.Remaining() != time.Minute {
		t.Fatalf("expired early, remaining %v", it.Remaining())
	}
	it.Touch()
	clk.Add(4*time.Minute + 59*time.Second)
	if it.Expired() {
		t.Fatal("activity did not reset the timer")
	}
	clk.Add(time.Second)
	if !it.Expired() {
		t.Fatal("not expired after 5 idle minutes")
	}
}

func TestWizardBeginFinishOwner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if has, err := f.svc.HasUsers(f.ctx); err != nil || has {
		t.Fatalf("HasUsers on first run = %v, %v", has, err)
	}
	enr, err := f.svc.BeginOwner(f.ctx, "sari", ownerPW)
	if err != nil {
		t.Fatal(err)
	}
	if enr.QR == nil || len(enr.RecoveryCodes) != RecoveryCodeCount {
		t.Fatalf("enrolment %+v", enr)
	}
	if has, _ := f.svc.HasUsers(f.ctx); has {
		t.Fatal("BeginOwner stored an owner")
	}
	if _, err := f.svc.FinishOwner(f.ctx, "sari", ownerPW, enr, "000000x"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong code: %v", err)
	}
	c := f.code(enr.Secret)
	a, err := f.svc.FinishOwner(f.ctx, "sari", ownerPW, enr, c)
	if err != nil || a.Role != domain.RoleOwner {
		t.Fatalf("FinishOwner = %+v, %v", a, err)
	}
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, c); !errors.Is(err, ErrCodeReplayed) {
		t.Fatalf("wizard code reused for sign-in: %v", err)
	}
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, enr.RecoveryCodes[0]); err != nil {
		t.Fatalf("wizard recovery code: %v", err)
	}
	if _, err := f.svc.FinishOwner(f.ctx, "evil", ownerPW, enr, f.code(enr.Secret)); !errors.Is(err, ErrOwnerExists) {
		t.Fatalf("second owner via wizard: %v", err)
	}
}

func TestRegenerateRecoveryCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, enr := f.owner()
	if _, err := f.svc.RegenerateRecoveryCodes(f.ctx, owner, enr.RecoveryCodes[0]); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("recovery code as proof: %v", err)
	}
	codes, err := f.svc.RegenerateRecoveryCodes(f.ctx, owner, f.code(enr.Secret))
	if err != nil || len(codes) != RecoveryCodeCount {
		t.Fatalf("regenerate = %d codes, %v", len(codes), err)
	}
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, enr.RecoveryCodes[1]); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("old recovery code still works: %v", err)
	}
	if _, err := f.svc.Login(f.ctx, "sari", ownerPW, codes[0]); err != nil {
		t.Fatalf("new recovery code: %v", err)
	}
	if err := f.svc.Logout(f.ctx, owner); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ScreenLocked(f.ctx, owner); err != nil {
		t.Fatal(err)
	}
}

package security

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lunas/domain"
	"lunas/domain/risk"
)

// Sign-in errors. Users see these messages; the audit log gets the detail.
var (
	// ErrBadCredentials reports a wrong name, password or code. It does not
	// say which, so names cannot be probed.
	ErrBadCredentials = errors.New("nama, kata sandi atau kode salah / wrong name, password or code")
	// ErrCodeReplayed reports a TOTP code that was already used: wait for the next one.
	ErrCodeReplayed = errors.New("kode ini sudah dipakai, tunggu kode berikutnya / this code was already used, wait for the next one")
	// ErrLockedOut matches LockedOutError.
	ErrLockedOut = errors.New("locked out")
	// ErrDisabled reports a disabled user.
	ErrDisabled = errors.New("pengguna dinonaktifkan / user is disabled")
	// ErrOwnerExists reports a second first-run owner creation.
	ErrOwnerExists = errors.New("owner already exists")
	// ErrVaultLocked reports that the vault must be unlocked by an owner
	// (after a restart without a remembered key) before this user can sign in.
	ErrVaultLocked = fmt.Errorf("brankas terkunci: pemilik harus masuk dulu / the owner must sign in first to unlock: %w", domain.ErrLocked)
)

// LockedOutError says until when sign-in is refused after repeated failures.
type LockedOutError struct{ Until time.Time }

// Error implements error.
func (e *LockedOutError) Error() string {
	return fmt.Sprintf("terlalu banyak percobaan gagal, coba lagi pukul %s / too many failed attempts, try again at %s",
		e.Until.Format("15:04:05"), e.Until.Format("15:04:05"))
}

// Is makes LockedOutError match ErrLockedOut.
func (e *LockedOutError) Is(t error) bool { return t == ErrLockedOut }

func validName(name string) error {
	_, err := cleanUserName(name)
	return err
}

// ErrNameTaken reports a new user name that is, or looks like, an existing
// user's or a reserved one ("engine", "system"). It matches domain.ErrInvalid.
var ErrNameTaken = &domain.ValidationError{Field: "name", Message: "nama ini sudah dipakai atau tampak sama dengan " +
	"pengguna lain / this name is taken or looks like another user's"}

// cleanUserName returns the name as stored: NFKC, trimmed, without
// invisible, control or bidi characters (refused), 1-64 characters, and
// not looking like a reserved name.
func cleanUserName(name string) (string, error) {
	n, err := risk.CleanName(name)
	if err != nil {
		return "", err
	}
	if n == "" || len([]rune(n)) > 64 {
		return "", domain.Invalid("name", "nama pengguna 1-64 karakter, bukan 'engine' atau 'system' / user name must be 1-64 characters")
	}
	for _, r := range []string{domain.EngineActor.Name, "system"} {
		if risk.LooksLike(n, r) {
			return "", ErrNameTaken
		}
	}
	return n, nil
}

// checkNewUserName is cleanUserName plus: no existing user's name looks
// like it (Unicode TR39 skeletons, case folded), inside the transaction
// that creates the user.
func checkNewUserName(st secReader, name string) (string, error) {
	n, err := cleanUserName(name)
	if err != nil {
		return "", err
	}
	us, err := st.ListUsers()
	if err != nil {
		return "", err
	}
	for _, u := range us {
		if risk.LooksLike(n, u.Name) {
			return "", ErrNameTaken
		}
	}
	return n, nil
}

func validRole(r domain.Role) error {
	switch r {
	case domain.RoleOwner, domain.RoleStaff, domain.RoleViewer:
		return nil
	}
	return domain.Invalid("role", "peran tidak dikenal %q / unknown role", r)
}

// NeedsOwner reports whether this is the first run: no user exists yet.
func (s *Service) NeedsOwner(ctx context.Context) (bool, error) {
	var n int
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		n, err = st.CountUsers()
		return err
	})
	return n == 0, err
}

// enrol gives u a new TOTP secret and recovery codes inside tx.
func (s *Service) enrol(st secWriter, u *domain.User) (Enrolment, error) {
	key, qr, err := newTOTP(s.opts.Issuer, u.Name)
	if err != nil {
		return Enrolment{}, err
	}
	u.TOTPSecret, u.TOTPConfirmed, u.TOTPLastStep = key.Secret(), false, 0
	if err := st.UpdateUser(u); err != nil {
		return Enrolment{}, err
	}
	codes := newRecoveryCodes()
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = hashRecovery(u.ID, c)
	}
	if err := st.ReplaceRecoveryCodes(u.ID, hashes); err != nil {
		return Enrolment{}, err
	}
	img, _ := key.Image(256, 256)
	return Enrolment{UserID: u.ID, Name: u.Name, Secret: key.Secret(), URL: key.URL(), QRPNG: qr, QR: img, RecoveryCodes: codes}, nil
}

// CreateOwner is the first run: it creates the owner, the vault (its data
// key wrapped by the owner's password) and the owner's two-factor enrolment,
// all in one transaction. The owner then signs in with a code from the app,
// which confirms the enrolment.
func (s *Service) CreateOwner(ctx context.Context, name, password string) (Enrolment, error) {
	if err := validName(name); err != nil {
		return Enrolment{}, err
	}
	if err := ValidatePassword(password); err != nil {
		return Enrolment{}, err
	}
	hash := HashPassword(password, s.opts.PasswordParams)
	var enr Enrolment
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
		if enr, err = s.enrol(st, &u); err != nil {
			return err
		}
		actor := u.Actor()
		if err := Audit(tx, actor, "vault.create", "vault", "data key created, wrapped for owner "+u.Name); err != nil {
			return err
		}
		return Audit(tx, actor, "user.create", "user:"+u.Name, "first-run owner; two-factor enrolment issued")
	})
	if err != nil {
		if !errors.Is(err, ErrVaultExists) {
			s.vault.Lock() // a key made in a rolled-back transaction must not be used
		}
		return Enrolment{}, err
	}
	return enr, nil
}

// AddUser creates a user with a role and returns their two-factor enrolment.
// A new owner also gets a vault slot, so they can unlock it with their password.
func (s *Service) AddUser(ctx context.Context, actor domain.Actor, name string, role domain.Role, password string) (Enrolment, error) {
	if err := actor.Can(domain.PermManageUsers); err != nil {
		return Enrolment{}, err
	}
	if err := errors.Join(validName(name), validRole(role), ValidatePassword(password)); err != nil {
		return Enrolment{}, err
	}
	hash := HashPassword(password, s.opts.PasswordParams)
	var enr Enrolment
	err := s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		clean, err := checkNewUserName(st, name)
		if err != nil {
			return err
		}
		u := domain.User{Name: clean, Role: role, PasswordHash: hash}
		if err := st.CreateUser(&u); err != nil {
			return err
		}
		if role == domain.RoleOwner {
			if err := s.vault.SetSlot(tx, u.ID, password); err != nil {
				return err
			}
		}
		if enr, err = s.enrol(st, &u); err != nil {
			return err
		}
		return Audit(tx, actor, "user.create", "user:"+u.Name, "role "+string(role))
	})
	return enr, err
}

// ListUsers returns every user (no secrets, no hashes).
func (s *Service) ListUsers(ctx context.Context, actor domain.Actor) ([]domain.User, error) {
	if err := actor.Can(domain.PermManageUsers); err != nil {
		return nil, err
	}
	var out []domain.User
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		out, err = st.ListUsers()
		return err
	})
	return out, err
}

// activeOwners counts enabled owners other than exceptID.
func activeOwners(st secReader, exceptID int64) (int, error) {
	us, err := st.ListUsers()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range us {
		if u.Role == domain.RoleOwner && !u.Disabled && u.ID != exceptID {
			n++
		}
	}
	return n, nil
}

// SetRole changes a user's role. The last enabled owner cannot be demoted. A
// demoted owner loses their vault slot; a promoted user gets one at their
// next sign-in.
func (s *Service) SetRole(ctx context.Context, actor domain.Actor, userID int64, role domain.Role) error {
	if err := actor.Can(domain.PermManageUsers); err != nil {
		return err
	}
	if err := validRole(role); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		u, err := st.GetUser(userID)
		if err != nil {
			return err
		}
		if u.Role == domain.RoleOwner && role != domain.RoleOwner {
			if n, err := activeOwners(st, u.ID); err != nil {
				return err
			} else if n == 0 {
				return domain.Invalid("role", "pemilik terakhir tidak bisa diturunkan / the last owner cannot be demoted")
			}
			if err := s.vault.RemoveSlot(tx, u.ID); err != nil {
				return err
			}
		}
		old := u.Role
		u.Role = role
		if err := st.UpdateUser(&u); err != nil {
			return err
		}
		return Audit(tx, actor, "user.role", "user:"+u.Name, string(old)+" -> "+string(role))
	})
}

// SetDisabled disables or re-enables a user. Nobody disables themselves or
// the last enabled owner.
func (s *Service) SetDisabled(ctx context.Context, actor domain.Actor, userID int64, disabled bool) error {
	if err := actor.Can(domain.PermManageUsers); err != nil {
		return err
	}
	if userID == actor.UserID && disabled {
		return domain.Invalid("user", "anda tidak bisa menonaktifkan diri sendiri / you cannot disable yourself")
	}
	return s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		u, err := st.GetUser(userID)
		if err != nil {
			return err
		}
		if disabled && u.Role == domain.RoleOwner {
			if n, err := activeOwners(st, u.ID); err != nil {
				return err
			} else if n == 0 {
				return domain.Invalid("user", "pemilik terakhir tidak bisa dinonaktifkan / the last owner cannot be disabled")
			}
		}
		u.Disabled = disabled
		if err := st.UpdateUser(&u); err != nil {
			return err
		}
		return Audit(tx, actor, "user.disable", "user:"+u.Name, fmt.Sprintf("disabled=%v", disabled))
	})
}

// ResetTwoFactor gives a user a new authenticator secret and recovery codes
// (a lost phone). The old codes stop working at once.
func (s *Service) ResetTwoFactor(ctx context.Context, actor domain.Actor, userID int64) (Enrolment, error) {
	if err := actor.Can(domain.PermManageUsers); err != nil {
		return Enrolment{}, err
	}
	var enr Enrolment
	err := s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		u, err := st.GetUser(userID)
		if err != nil {
			return err
		}
		if enr, err = s.enrol(st, &u); err != nil {
			return err
		}
		return Audit(tx, actor, "user.2fa_reset", "user:"+u.Name, "new authenticator secret and recovery codes")
	})
	return enr, err
}

// ChangePassword changes the actor's own password after checking the old
// one. A wrong old password counts as a failed sign-in and a locked-out user
// is refused (LockedOutError) before the password is looked at. An owner's
// vault slot is re-wrapped with the new password; no data is re-encrypted.
func (s *Service) ChangePassword(ctx context.Context, actor domain.Actor, oldPassword, newPassword string) error {
	if err := ValidatePassword(newPassword); err != nil {
		return err
	}
	u, err := s.credentials(ctx, actor.Name)
	if err != nil {
		return err
	}
	// The same lockout as sign-in: otherwise a borrowed unlocked session
	// could guess the current password here without limit.
	if now := s.now(); now.Before(u.LockedUntil) {
		_ = s.audit(ctx, u.Actor(), "user.password.refused", "user:"+u.Name, "locked out until "+u.LockedUntil.Format(time.RFC3339))
		return &LockedOutError{Until: u.LockedUntil}
	}
	if ok, err := CheckPassword(oldPassword, u.PasswordHash); err != nil {
		return err
	} else if !ok {
		_ = s.recordFailure(ctx, u.Name, "password change: wrong current password")
		return ErrBadCredentials
	}
	hash := HashPassword(newPassword, s.opts.PasswordParams)
	hasSlot, err := s.vault.HasSlot(ctx, u.ID)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		full, err := st.GetUser(u.ID)
		if err != nil {
			return err
		}
		full.PasswordHash = hash
		if err := st.UpdateUser(&full); err != nil {
			return err
		}
		if hasSlot {
			if err := s.vault.SetSlot(tx, u.ID, newPassword); err != nil {
				return err
			}
		}
		return Audit(tx, actor, "user.password", "user:"+u.Name, fmt.Sprintf("password changed; vault key re-wrapped=%v", hasSlot))
	})
}

func (s *Service) credentials(ctx context.Context, name string) (domain.User, error) {
	if n, err := risk.CleanName(name); err == nil && n != "" {
		name = n // stored names are NFKC: "ｓａｒｉ" signs in as "sari"
	}
	var u domain.User
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		u, err = st.GetUserCredentials(name)
		return err
	})
	return u, err
}

// lockoutFor returns how long sign-in is refused after failures failures:
// nothing below MaxFailures, then LockoutBase doubling with each further
// failure up to LockoutMax.
func (s *Service) lockoutFor(failures int) time.Duration {
	if failures < s.opts.MaxFailures {
		return 0
	}
	d := s.opts.LockoutBase
	for i := s.opts.MaxFailures; i < failures && d < s.opts.LockoutMax; i++ {
		d *= 2
	}
	return min(d, s.opts.LockoutMax)
}

// recordFailure counts one failed attempt for name and audits it.
func (s *Service) recordFailure(ctx context.Context, name, why string) error {
	now := s.now()
	return s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		u, err := st.GetUserCredentials(name)
		if errors.Is(err, domain.ErrNotFound) {
			return Audit(tx, domain.Actor{Name: "system"}, "login.failed", "user:"+clip(name, 64), "unknown user")
		}
		if err != nil {
			return err
		}
		f := u.Failures + 1
		var until time.Time
		if d := s.lockoutFor(f); d > 0 {
			until = now.Add(d)
		}
		if err := st.SetUserAuthState(u.ID, f, until, 0); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s; failures=%d", why, f)
		if !until.IsZero() {
			detail += "; locked until " + until.Format(time.RFC3339)
		}
		return Audit(tx, domain.Actor{Name: u.Name}, "login.failed", "user:"+u.Name, detail)
	})
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// dummyHash keeps a sign-in for an unknown name as slow as one for a known name.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy = HashPassword("lunas-dummy-password", s.opts.PasswordParams) })
	return s.dummy
}

// Login checks name, password and a TOTP code (or a one-time recovery code)
// and returns the signed-in actor. An owner's sign-in also unlocks the vault
// when it is locked (after a restart without a remembered key). Failures are
// counted per user; after MaxFailures the user is locked out for a growing time.
func (s *Service) Login(ctx context.Context, name, password, code string) (domain.Actor, error) {
	now := s.now()
	u, err := s.credentials(ctx, name)
	if errors.Is(err, domain.ErrNotFound) {
		_, _ = CheckPassword(password, s.dummyHash())
		_ = s.recordFailure(ctx, name, "unknown user")
		return domain.Actor{}, ErrBadCredentials
	}
	if err != nil {
		return domain.Actor{}, err
	}
	if now.Before(u.LockedUntil) {
		_ = s.audit(ctx, u.Actor(), "login.refused", "user:"+u.Name, "locked out until "+u.LockedUntil.Format(time.RFC3339))
		return domain.Actor{}, &LockedOutError{Until: u.LockedUntil}
	}
	if ok, err := CheckPassword(password, u.PasswordHash); err != nil {
		return domain.Actor{}, err
	} else if !ok {
		_ = s.recordFailure(ctx, u.Name, "wrong password")
		return domain.Actor{}, ErrBadCredentials
	}
	if u.Disabled { // said only to someone who knows the password
		_ = s.audit(ctx, u.Actor(), "login.refused", "user:"+u.Name, "user disabled")
		return domain.Actor{}, ErrDisabled
	}
	if s.vault.Locked() {
		if u.Role != domain.RoleOwner {
			return domain.Actor{}, ErrVaultLocked
		}
		if err := s.vault.Unlock(ctx, u.ID, password); errors.Is(err, ErrWrongPassword) {
			return domain.Actor{}, ErrVaultLocked // an owner promoted since the last unlock has no slot yet
		} else if err != nil {
			return domain.Actor{}, err
		}
		_ = s.audit(ctx, u.Actor(), "vault.unlock", "vault", "unlocked by owner sign-in")
	}
	var codeErr error
	err = s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		full, err := st.GetUser(u.ID)
		if err != nil {
			return err
		}
		how, err := s.checkCode(st, full, code, now)
		if err != nil {
			codeErr = err
			return err
		}
		full.Failures, full.LockedUntil, full.TOTPConfirmed = 0, time.Time{}, true
		if latest, err := st.GetUser(u.ID); err == nil {
			full.TOTPLastStep = latest.TOTPLastStep // claimed just now
		}
		if err := st.UpdateUser(&full); err != nil {
			return err
		}
		if full.Role == domain.RoleOwner {
			if err := s.ensureSlot(tx, full.ID, password); err != nil {
				return err
			}
		}
		return Audit(tx, full.Actor(), "login", "user:"+full.Name, "signed in with "+how)
	})
	if codeErr != nil {
		if errors.Is(codeErr, ErrCodeReplayed) { // valid once: refused, not counted
			_ = s.audit(ctx, u.Actor(), "login.code_replayed", "user:"+u.Name, "replayed two-factor code refused (not counted)")
		} else {
			_ = s.recordFailure(ctx, u.Name, codeReason(codeErr))
		}
		return domain.Actor{}, codeErr
	}
	if err != nil {
		return domain.Actor{}, err
	}
	return u.Actor(), nil
}

func (s *Service) ensureSlot(tx domain.Tx, userID int64, password string) error {
	if ok, err := hasSlotTx(tx, userID); err != nil || ok {
		return err
	}
	return s.vault.SetSlot(tx, userID, password)
}

func codeReason(err error) string {
	if errors.Is(err, ErrCodeReplayed) {
		return "replayed two-factor code"
	}
	return "wrong two-factor code"
}

// checkCode accepts a fresh TOTP code (claiming its time step, so it cannot
// be used again) or an unused recovery code (marking it used). It returns
// how the user proved themselves.
func (s *Service) checkCode(st secWriter, u domain.User, code string, now time.Time) (string, error) {
	if looksLikeRecovery(code) {
		ok, err := st.UseRecoveryCode(u.ID, hashRecovery(u.ID, code))
		if err != nil {
			return "", err
		}
		if !ok {
			return "", ErrBadCredentials
		}
		left, _ := st.RecoveryCodesLeft(u.ID)
		if err := Audit(st, u.Actor(), "recovery_code.used", "user:"+u.Name, fmt.Sprintf("%d left", left)); err != nil {
			return "", err
		}
		return "recovery code", nil
	}
	if u.TOTPSecret == "" {
		return "", ErrBadCredentials
	}
	step, ok := matchTOTP(u.TOTPSecret, code, now)
	if !ok {
		return "", ErrBadCredentials
	}
	claimed, err := st.ClaimTOTPStep(u.ID, step)
	if err != nil {
		return "", err
	}
	if !claimed {
		return "", ErrCodeReplayed
	}
	return "authenticator code", nil
}

// VerifyCode implements the engine's CodeVerifier: the approver's fresh TOTP
// code (one code approves a batch; a replayed code is refused). Only a code
// that was never valid counts towards the lockout; a replayed one is refused
// without counting (a double-click must not lock the owner out).
func (s *Service) VerifyCode(ctx context.Context, actor domain.Actor, code string) error {
	return s.VerifyApprovalCode(ctx, actor, code, "")
}

// approvalUse is the last approval a user's code was claimed for.
type approvalUse struct {
	step    int64
	subject string
}

// VerifyApprovalCode implements engine.ApprovalCodeVerifier: VerifyCode,
// and the same code submitted again for the same approval (subject) within
// its time step is the same approval: accepted, no failure counted.
func (s *Service) VerifyApprovalCode(ctx context.Context, actor domain.Actor, code, subject string) error {
	if err := actor.Can(domain.PermApprove); err != nil {
		return err
	}
	now := s.now()
	var u domain.User
	var codeErr error
	err := s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		if u, err = st.GetUser(actor.UserID); err != nil {
			return err
		}
		if u.Disabled {
			codeErr = ErrDisabled
			return codeErr
		}
		if now.Before(u.LockedUntil) {
			codeErr = &LockedOutError{Until: u.LockedUntil}
			return codeErr
		}
		if looksLikeRecovery(code) { // recovery codes are for signing in, not for approving money
			codeErr = ErrBadCredentials
			return codeErr
		}
		if _, err := s.checkCode(st, u, code, now); errors.Is(err, ErrCodeReplayed) && subject != "" {
			step, _ := matchTOTP(u.TOTPSecret, code, now)
			s.approvalsMu.Lock()
			last, ok := s.approvals[u.ID]
			s.approvalsMu.Unlock()
			if ok && last.step == step && last.subject == subject {
				return nil // the same approval again
			}
			codeErr = err
			return err
		} else if err != nil {
			codeErr = err
			return err
		}
		if subject != "" {
			step, _ := matchTOTP(u.TOTPSecret, code, now)
			s.approvalsMu.Lock()
			if s.approvals == nil {
				s.approvals = map[int64]approvalUse{}
			}
			s.approvals[u.ID] = approvalUse{step: step, subject: subject}
			s.approvalsMu.Unlock()
		}
		if u.Failures > 0 {
			if latest, err := st.GetUser(u.ID); err == nil {
				return st.SetUserAuthState(u.ID, 0, time.Time{}, latest.TOTPLastStep)
			}
		}
		return nil
	})
	if codeErr != nil {
		switch {
		case errors.Is(codeErr, ErrLockedOut), errors.Is(codeErr, ErrDisabled):
		case errors.Is(codeErr, ErrCodeReplayed):
			// A code that was valid, used again: refused, not counted.
			_ = s.audit(ctx, actor, "approval.code_replayed", "user:"+u.Name, "replayed two-factor code refused (not counted)")
		default:
			_ = s.recordFailure(ctx, u.Name, "approval: "+codeReason(codeErr))
		}
		return codeErr
	}
	return err
}

// UnlockVault unlocks the vault with an owner's password without signing in
// (for example so the engine can resume after a restart).
func (s *Service) UnlockVault(ctx context.Context, name, password string) error {
	u, err := s.credentials(ctx, name)
	if errors.Is(err, domain.ErrNotFound) {
		return ErrWrongPassword
	}
	if err != nil {
		return err
	}
	if now := s.now(); now.Before(u.LockedUntil) {
		return &LockedOutError{Until: u.LockedUntil}
	}
	if err := s.vault.Unlock(ctx, u.ID, password); err != nil {
		if errors.Is(err, ErrWrongPassword) {
			_ = s.recordFailure(ctx, u.Name, "vault unlock: wrong password")
		}
		return err
	}
	return s.audit(ctx, u.Actor(), "vault.unlock", "vault", "unlocked with owner password")
}

// LockVault forgets the data key (the engine pauses what needs it).
func (s *Service) LockVault(ctx context.Context, actor domain.Actor) error {
	if err := actor.Can(domain.PermManageKeys); err != nil {
		return err
	}
	if err := s.audit(ctx, actor, "vault.lock", "vault", "data key removed from memory"); err != nil {
		return err
	}
	s.vault.Lock()
	return nil
}

// RememberVault turns "remember on this computer" on or off. Without a
// usable keychain it returns ErrKeychainUnavailable and the owner keeps
// typing the password after each start.
func (s *Service) RememberVault(ctx context.Context, actor domain.Actor, on bool) error {
	if err := actor.Can(domain.PermManageKeys); err != nil {
		return err
	}
	if err := s.vault.Remember(on); err != nil {
		_ = s.audit(ctx, actor, "vault.remember", "vault", fmt.Sprintf("on=%v failed: keychain unavailable", on))
		return err
	}
	return s.audit(ctx, actor, "vault.remember", "vault", fmt.Sprintf("on=%v", on))
}

// RecoveryCodesLeft tells the user how many unused recovery codes remain.
func (s *Service) RecoveryCodesLeft(ctx context.Context, actor domain.Actor) (int, error) {
	var n int
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		n, err = st.RecoveryCodesLeft(actor.UserID)
		return err
	})
	return n, err
}

package security

import (
	"errors"
	"sync"
	"testing"
	"time"

	"lunas/domain"
)

// TestApprovalCodeReplayIsOneApproval: seven concurrent submissions of one
// code for the same approval (a double-click, retries) are one approval and
// no failure; the same code for another approval is refused without
// counting; only codes that were never valid count towards the lockout.
func TestApprovalCodeReplayIsOneApproval(t *testing.T) {
	f := newFixture(t)
	owner, enr := f.owner()
	code := f.code(enr.Secret)
	var wg sync.WaitGroup
	errs := make([]error, 7)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.svc.VerifyApprovalCode(f.ctx, owner, code, "R-1,R-2")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("submission %d: %v", i, err)
		}
	}
	for i := 0; i < 7; i++ { // the same code for another approval, or without one
		if err := f.svc.VerifyApprovalCode(f.ctx, owner, code, "R-3"); !errors.Is(err, ErrCodeReplayed) {
			t.Fatalf("same code, other approval: %v", err)
		}
		if err := f.svc.VerifyCode(f.ctx, owner, code); !errors.Is(err, ErrCodeReplayed) {
			t.Fatalf("same code, no approval named: %v", err)
		}
	}
	u := f.userRow(owner.UserID)
	if u.Failures != 0 || !u.LockedUntil.IsZero() {
		t.Fatalf("after replays: failures %d, locked until %v", u.Failures, u.LockedUntil)
	}
	f.clk.Add(30 * time.Second)
	if err := f.svc.VerifyApprovalCode(f.ctx, owner, f.code(enr.Secret), "R-3"); err != nil {
		t.Fatalf("a fresh code after the replays: %v", err)
	}
	// Codes that were never valid do count, and lock out at the fifth.
	for i := 0; i < 5; i++ {
		if err := f.svc.VerifyCode(f.ctx, owner, "000000"); err == nil {
			t.Fatal("a wrong code was accepted")
		}
	}
	if u := f.userRow(owner.UserID); u.Failures != 5 || u.LockedUntil.IsZero() {
		t.Fatalf("after 5 wrong codes: failures %d, locked until %v", u.Failures, u.LockedUntil)
	}
}

func (f *fixture) userRow(id int64) domain.User {
	f.t.Helper()
	var u domain.User
	if err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { u, err = tx.(secReader).GetUser(id); return err }); err != nil {
		f.t.Fatal(err)
	}
	return u
}

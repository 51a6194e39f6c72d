package security

import (
	"sync"
	"time"
)

// DefaultIdleTimeout locks the screen after this long without input.
const DefaultIdleTimeout = 5 * time.Minute

// IdleTimer is the auto-lock logic the UI drives: Touch on every user input,
// poll Expired (or wait on Remaining) and lock the screen when it says so.
// Locking the screen signs the person out; the vault key stays in memory so
// the engine keeps working (see docs/SECURITY.md).
type IdleTimer struct {
	mu      sync.Mutex
	timeout time.Duration
	now     func() time.Time
	last    time.Time
}

// NewIdleTimer starts a timer; now may be nil (time.Now).
func NewIdleTimer(timeout time.Duration, now func() time.Time) *IdleTimer {
	if now == nil {
		now = time.Now
	}
	if timeout <= 0 {
		timeout = DefaultIdleTimeout
	}
	return &IdleTimer{timeout: timeout, now: now, last: now()}
}

// Touch records activity.
func (t *IdleTimer) Touch() {
	t.mu.Lock()
	t.last = t.now()
	t.mu.Unlock()
}

// Remaining is the time left before the lock (0 when expired).
func (t *IdleTimer) Remaining() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(0, t.timeout-t.now().Sub(t.last))
}

// Expired reports whether the idle time has run out.
func (t *IdleTimer) Expired() bool { return t.Remaining() == 0 }

// SetTimeout changes the idle limit (a setting the owner may change).
func (t *IdleTimer) SetTimeout(d time.Duration) {
	if d <= 0 {
		return
	}
	t.mu.Lock()
	t.timeout = d
	t.mu.Unlock()
}

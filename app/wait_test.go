package app

import (
	"testing"
	"time"
)

// stallLimit is how long a wait in these tests accepts no progress at all.
// The tests run real servers and processes on machines that may be heavily
// loaded (CI, a shared 2-core box under -race): there the work is slower,
// not stuck, so no test here waits on a short fixed deadline.
const stallLimit = 2 * time.Minute

// waitProgress polls until done() holds and reports whether it did. It gives
// up when state(), a summary of how far the awaited work has come (nil: no
// measure), has not changed for stallLimit, or when the test binary's
// -timeout is near, so the caller's failure says what it waited for rather
// than a timeout panic.
func waitProgress(t *testing.T, done func() bool, state func() string) bool {
	t.Helper()
	var last string
	if state != nil {
		last = state()
	}
	moved := time.Now()
	end, hasEnd := t.Deadline()
	poll := 10 * time.Millisecond
	for !done() {
		if state != nil {
			if s := state(); s != last {
				last, moved = s, time.Now()
			}
		}
		if time.Since(moved) > stallLimit || hasEnd && time.Until(end) < 30*time.Second {
			return false
		}
		time.Sleep(poll)
		poll = min(2*poll, 200*time.Millisecond)
	}
	return true
}

// waitFor polls until ok() holds and fails the test if it does not within
// stallLimit (see waitProgress).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	if !waitProgress(t, ok, nil) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

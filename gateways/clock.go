package gateways

import (
	"context"
	"math/rand/v2"
	"time"
)

// Clock is the time a Client and a WindowLimiter read and wait on, and the
// random source of their backoff jitter. Nil means SystemClock. The
// deterministic simulator (package sim) passes a virtual clock, so that
// waits take no real time and a run replays exactly from its seed.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends; then it returns ctx's error.
	Sleep(ctx context.Context, d time.Duration) error
	// Jitter returns a random duration in [0, n].
	Jitter(n time.Duration) time.Duration
}

// SystemClock is the machine's clock and the global random source.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error { return sleepCtx(ctx, d) }

// Jitter implements Clock.
func (SystemClock) Jitter(n time.Duration) time.Duration { return rand.N(n + 1) }

// clockOr returns c, or SystemClock when c is nil.
func clockOr(c Clock) Clock {
	if c == nil {
		return SystemClock{}
	}
	return c
}

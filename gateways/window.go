package gateways

import (
	"context"
	"sync"
	"time"
)

// WindowLimiter admits at most N calls in any window of the given length,
// counted the way Xendit counts its limit: a sliding window over the
// requests themselves, not a token bucket. A token bucket of N a minute
// with a burst of B admits up to N+B calls in some minute when it stays
// busy, and each of those is a 429 at the gateway. Margin is added to the
// window so that calls admitted a window apart still arrive a window apart
// when the network delays one more than the other.
type WindowLimiter struct {
	mu     sync.Mutex
	window time.Duration
	sent   []time.Time // admission times of the last N calls, a ring
	next   int         // the oldest entry of sent
	clock  Clock
	hold   time.Time // no admission before this (a gateway's 429 reset)
}

// Held returns until when the limiter is held (zero when it never was).
func (l *WindowLimiter) Held() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hold
}

// HoldUntil makes Wait admit nothing before t: the gateway answered 429 and
// asked for a wait (Client's Config.OnRateLimit), so no other request to
// that endpoint may go out before its reset. An earlier t than a hold
// already set changes nothing.
func (l *WindowLimiter) HoldUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.hold) {
		l.hold = t
	}
}

// NewWindowLimiter admits n calls per window, plus margin of slack (n <= 0
// is treated as 1).
func NewWindowLimiter(n int, window, margin time.Duration) *WindowLimiter {
	return &WindowLimiter{window: window + margin, sent: make([]time.Time, max(n, 1)), clock: SystemClock{}}
}

// WithClock makes l read and wait on c instead of the machine's clock (the
// simulator's virtual clock) and returns l. Call it before the first Wait.
func (l *WindowLimiter) WithClock(c Clock) *WindowLimiter {
	l.clock = clockOr(c)
	return l
}

// Wait blocks until a call may be made without more than N calls falling
// in one window, or until ctx ends. A call that Wait admits counts even if
// the caller then does not make it.
func (l *WindowLimiter) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err // an ended caller takes no turn
		}
		l.mu.Lock()
		now := l.clock.Now()
		if now.Before(l.hold) {
			wait := l.hold.Sub(now)
			l.mu.Unlock()
			if err := l.clock.Sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		oldest := l.sent[l.next]
		if oldest.IsZero() || now.Sub(oldest) >= l.window {
			l.sent[l.next] = now
			l.next = (l.next + 1) % len(l.sent)
			l.mu.Unlock()
			return nil
		}
		wait := l.window - now.Sub(oldest)
		l.mu.Unlock()
		if err := l.clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

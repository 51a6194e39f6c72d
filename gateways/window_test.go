package gateways

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestWindowLimiterNeverExceedsN: many callers at once never get more
// than N admissions into any window. Time is virtual (vclock): it moves only
// while every caller waits, straight to the earliest wake-up, so the check
// is exact and no slower on a loaded machine.
func TestWindowLimiterNeverExceedsN(t *testing.T) {
	cases := []struct {
		n, callers, calls int
		window, margin    time.Duration
	}{
		{n: 1, callers: 3, calls: 4, window: 30 * time.Millisecond},
		{n: 5, callers: 8, calls: 25, window: 60 * time.Millisecond},
		{n: 60, callers: 16, calls: 150, window: 100 * time.Millisecond},
		{n: 60, callers: 16, calls: 300, window: time.Minute, margin: time.Second},
		{n: 3, callers: 2, calls: 40, window: 50 * time.Millisecond}, // few callers: they come back mid-window
	}
	for _, c := range cases {
		clk := newVClock()
		l := NewWindowLimiter(c.n, c.window, c.margin).WithClock(clk)
		var mu sync.Mutex
		var at []time.Time
		jobs := make(chan struct{}, c.calls)
		for i := 0; i < c.calls; i++ {
			jobs <- struct{}{}
		}
		close(jobs)
		for w := 0; w < c.callers; w++ {
			clk.enter()
			think := time.Duration(7*w+3) * time.Millisecond // callers come back at uneven times
			go func() {
				defer clk.leave()
				for range jobs {
					if err := l.Wait(context.Background()); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					at = append(at, clk.Now()) // time stands still until this caller waits again
					mu.Unlock()
					_ = clk.Sleep(context.Background(), think)
				}
			}()
		}
		clk.run()
		sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
		if len(at) != c.calls {
			t.Fatalf("n=%d: %d admissions, want %d", c.n, len(at), c.calls)
		}
		full := c.window + c.margin
		for i := c.n; i < len(at); i++ {
			if span := at[i].Sub(at[i-c.n]); span < full {
				t.Fatalf("n=%d: admissions %d and %d only %s apart, window %s", c.n, i-c.n, i, span, full)
			}
		}
		// And it does not hold calls back for longer than it must.
		if want := time.Duration((c.calls-1)/c.n) * full; at[len(at)-1].Sub(at[0]) < want {
			t.Fatalf("n=%d: %d calls took %s, want at least %s", c.n, c.calls, at[len(at)-1].Sub(at[0]), want)
		}
	}
}

// The first N calls go at once; the next waits for the window (plus margin)
// to pass, and gives up with the context while it waits.
func TestWindowLimiterWaitsAndCancels(t *testing.T) {
	clk := &hookClock{fakeClock: fakeClock{now: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}}
	start := clk.now
	l := NewWindowLimiter(3, 40*time.Millisecond, 20*time.Millisecond).WithClock(clk)
	for i := 0; i < 3; i++ {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(clk.slept) != 0 {
		t.Fatalf("the first 3 calls waited %v", clk.slept)
	}
	ctx, cancel := context.WithCancel(context.Background())
	clk.onSleep = cancel // the caller gives up while it waits
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("4th call within the window: %v, want Canceled", err)
	}
	clk.onSleep = nil
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(clk.slept) != 1 || clk.slept[0] != 60*time.Millisecond || clk.now.Sub(start) != 60*time.Millisecond {
		t.Fatalf("waited %v, admitted %s after the first; want one wait of window+margin 60ms", clk.slept, clk.now.Sub(start))
	}
}

// hookClock is fakeClock with a hook run at each Sleep.
type hookClock struct {
	fakeClock
	onSleep func()
}

func (c *hookClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.onSleep != nil {
		c.onSleep()
	}
	return c.fakeClock.Sleep(ctx, d)
}

// A caller whose context has ended takes no turn, even when one is free.
func TestWindowLimiterRefusesEndedContext(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}
	l := NewWindowLimiter(1, time.Minute, 0).WithClock(clk)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v, want Canceled", err)
	}
	if err := l.Wait(context.Background()); err != nil || len(clk.slept) != 0 {
		t.Fatalf("the turn was used up by the ended caller: %v, waited %v", err, clk.slept)
	}
}

// vclock is a virtual clock for many goroutines: callers enter and leave;
// run moves time, and only while every caller that entered is asleep, to
// the earliest wake-up. Whatever the machine's load, the limiter sees the
// same times.
type vclock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	running int // callers entered and not asleep
	sleep   []*vsleeper
}

type vsleeper struct {
	until time.Time
	wake  chan struct{}
}

func newVClock() *vclock {
	c := &vclock{now: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *vclock) enter() { c.mu.Lock(); c.running++; c.mu.Unlock() }

func (c *vclock) leave() {
	c.mu.Lock()
	c.running--
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *vclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *vclock) Jitter(time.Duration) time.Duration { return 0 }

func (c *vclock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	s := &vsleeper{until: c.now.Add(d), wake: make(chan struct{})}
	c.sleep = append(c.sleep, s)
	c.running--
	c.cond.Broadcast()
	c.mu.Unlock()
	<-s.wake // run counts the caller as running again before it wakes it
	return ctx.Err()
}

// run moves time until every caller has left.
func (c *vclock) run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for c.running > 0 {
			c.cond.Wait()
		}
		if len(c.sleep) == 0 {
			return
		}
		next := c.sleep[0].until
		for _, s := range c.sleep {
			if s.until.Before(next) {
				next = s.until
			}
		}
		if next.After(c.now) {
			c.now = next
		}
		keep := c.sleep[:0]
		for _, s := range c.sleep {
			if s.until.After(c.now) {
				keep = append(keep, s)
				continue
			}
			c.running++
			close(s.wake)
		}
		c.sleep = keep
	}
}

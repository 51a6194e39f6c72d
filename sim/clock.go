package sim

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Clock is the simulation's virtual clock. Nothing in a run reads the
// machine's clock: the engine (Config.Now, Config.WithTimeout), the store
// (Options.Now), the sandbox (Config.Clock), the gateway clients and their
// rate limiters (gateways.Clock) all read this one. Time moves only when
// the scheduler advances it to the next event, or when a component waits
// (Sleep: a retry's backoff, a rate-limit turn, a request's latency or a
// hang until its deadline), and then it moves at once.
//
// It is used by one goroutine at a time (the engine's worker goroutines
// run one after another), but it is locked anyway so that the standard
// library's helper goroutines (context propagation) may look at it.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*vctx // contexts with a deadline still pending, in no order
	rng    *rand.Rand
}

// NewClock returns a virtual clock at start whose Jitter draws from seed.
func NewClock(start time.Time, seed uint64) *Clock {
	return &Clock{now: start, rng: rand.New(rand.NewPCG(seed, 0x717))}
}

// Now implements gateways.Clock and is the engine's and store's Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AdvanceTo moves the clock to t (never back) and ends every context whose
// deadline passed.
func (c *Clock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	var due []*vctx
	kept := c.timers[:0]
	for _, v := range c.timers {
		if !c.now.Before(v.deadline) {
			due = append(due, v)
		} else {
			kept = append(kept, v)
		}
	}
	clear(c.timers[len(kept):])
	c.timers = kept
	c.mu.Unlock()
	for _, v := range due {
		v.end(context.DeadlineExceeded)
	}
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.AdvanceTo(c.Now().Add(d)) }

// Sleep implements gateways.Clock: time passes at once. When ctx's deadline
// comes first, the clock stops there and ctx's error is returned.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	wake := c.Now().Add(d)
	if dl, ok := ctx.Deadline(); ok && !wake.Before(dl) {
		c.AdvanceTo(dl)
		if err := ctx.Err(); err != nil {
			return err
		}
		return context.DeadlineExceeded
	}
	c.AdvanceTo(wake)
	return ctx.Err()
}

// Jitter implements gateways.Clock from the run's seed.
func (c *Clock) Jitter(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(c.rng.Int64N(int64(n) + 1))
}

// WithTimeout is context.WithTimeout on the virtual clock (engine
// Config.WithTimeout): the context ends when the clock reaches now+d.
func (c *Clock) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	dl := c.Now().Add(d)
	if pd, ok := parent.Deadline(); ok && pd.Before(dl) {
		dl = pd
	}
	v := &vctx{parent: parent, deadline: dl, done: make(chan struct{}), clock: c}
	if d <= 0 {
		v.end(context.DeadlineExceeded)
		return v, func() {}
	}
	c.mu.Lock()
	c.timers = append(c.timers, v)
	c.mu.Unlock()
	if pv, ok := parent.(*vctx); ok {
		v.stopParent = pv.AfterFunc(func() { v.end(pv.Err()) }) // at the same instant, in the same goroutine
	} else if parent.Done() != nil {
		v.stopParent = context.AfterFunc(parent, func() { v.end(parent.Err()) })
	}
	return v, func() { v.end(context.Canceled) }
}

// vctx is a context whose deadline is on the virtual clock. It implements
// the AfterFunc method that package context uses to propagate cancellation
// to children without a goroutine, so children report its error too.
type vctx struct {
	parent     context.Context
	deadline   time.Time
	clock      *Clock
	stopParent func() bool

	mu     sync.Mutex
	done   chan struct{}
	err    error
	afters []*afterFn
}

type afterFn struct {
	f       func()
	stopped bool
}

func (v *vctx) Deadline() (time.Time, bool) { return v.deadline, true }
func (v *vctx) Done() <-chan struct{}       { return v.done }
func (v *vctx) Value(key any) any           { return v.parent.Value(key) }

func (v *vctx) Err() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

// end closes the context with err (once) and runs the functions waiting
// for it; the clock forgets it.
func (v *vctx) end(err error) {
	v.mu.Lock()
	if v.err != nil {
		v.mu.Unlock()
		return
	}
	v.err = err
	close(v.done)
	fns := v.afters
	v.afters = nil
	v.mu.Unlock()
	if v.stopParent != nil {
		v.stopParent()
	}
	c := v.clock
	c.mu.Lock()
	for i, t := range c.timers {
		if t == v {
			last := len(c.timers) - 1
			c.timers[i] = c.timers[last]
			c.timers[last] = nil
			c.timers = c.timers[:last]
			break
		}
	}
	c.mu.Unlock()
	for _, a := range fns {
		if !a.stopped {
			a.f()
		}
	}
}

// AfterFunc runs f once v ends; stop prevents it. f runs in the goroutine
// that ends v (package context only passes functions that cancel a child),
// so a child ends at the same virtual instant as its parent.
func (v *vctx) AfterFunc(f func()) (stop func() bool) {
	v.mu.Lock()
	if v.err != nil {
		v.mu.Unlock()
		go f() // as context.AfterFunc promises; never happens in a run (package context checks Done first)
		return func() bool { return false }
	}
	a := &afterFn{f: f}
	v.afters = append(v.afters, a)
	v.mu.Unlock()
	return func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		if a.stopped || v.err != nil {
			return false
		}
		a.stopped = true
		return true
	}
}

package sim

import (
	"context"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)

// A context from WithTimeout ends exactly when the virtual clock reaches
// its deadline, with DeadlineExceeded, and so do its children; no real time
// passes.
func TestClockDeadlines(t *testing.T) {
	c := NewClock(t0, 1)
	ctx, cancel := c.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	if dl, ok := ctx.Deadline(); !ok || !dl.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("deadline %v %v, want %v", dl, ok, t0.Add(30*time.Second))
	}
	c.Advance(29 * time.Second)
	if ctx.Err() != nil || child.Err() != nil {
		t.Fatalf("ended early: %v %v", ctx.Err(), child.Err())
	}
	c.Advance(time.Second)
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Fatalf("after the deadline: %v, child %v", ctx.Err(), child.Err())
	}
	select {
	case <-child.Done():
	default:
		t.Fatal("the child's Done is open")
	}
	// A shorter parent deadline wins; cancel ends it early and the clock forgets it.
	p, pc := c.WithTimeout(context.Background(), time.Second)
	q, qc := c.WithTimeout(p, time.Minute)
	if dl, _ := q.Deadline(); !dl.Equal(c.Now().Add(time.Second)) {
		t.Fatalf("child deadline %v, want the parent's", dl)
	}
	pc()
	if !errors.Is(q.Err(), context.Canceled) {
		t.Fatalf("child of a cancelled parent: %v", q.Err())
	}
	qc()
	if len(c.timers) != 0 {
		t.Fatalf("%d timers left after cancel", len(c.timers))
	}
}

// Sleep moves the clock at once, and stops at the context's deadline.
func TestClockSleep(t *testing.T) {
	c := NewClock(t0, 1)
	if err := c.Sleep(context.Background(), time.Hour); err != nil || !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("Sleep: %v, now %v", err, c.Now())
	}
	ctx, cancel := c.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := c.Now()
	if err := c.Sleep(ctx, time.Minute); !errors.Is(err, context.DeadlineExceeded) || !c.Now().Equal(start.Add(10*time.Second)) {
		t.Fatalf("Sleep past the deadline: %v, now %v, want the deadline", err, c.Now().Sub(start))
	}
	if j := c.Jitter(time.Second); j < 0 || j > time.Second {
		t.Fatalf("Jitter %v outside [0, 1s]", j)
	}
	if a, b := NewClock(t0, 7).Jitter(time.Hour), NewClock(t0, 7).Jitter(time.Hour); a != b {
		t.Fatalf("jitter of the same seed differs: %v %v", a, b)
	}
}

package gateways

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeClock is a virtual clock: Sleep moves it and takes no real time.
type fakeClock struct {
	now    time.Time
	slept  []time.Duration
	jitter time.Duration // returned by Jitter, capped at n
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Jitter(n time.Duration) time.Duration { return min(c.jitter, n) }

// roundTrip answers every request from a list of statuses, in order.
type roundTrip struct {
	statuses []int
	header   http.Header
	n        int
}

func (rt *roundTrip) RoundTrip(r *http.Request) (*http.Response, error) {
	st := rt.statuses[min(rt.n, len(rt.statuses)-1)]
	rt.n++
	h := rt.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: st, Header: h, Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
}

// With a Clock, retry waits, Retry-After dates and jitter come from it: a
// 429 whose Retry-After date is 7 s after the clock's now waits 7 virtual
// seconds, a 503 waits the jittered backoff, and no real time passes.
func TestClientWaitsOnItsClock(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC), jitter: 30 * time.Millisecond}
	rt := &roundTrip{statuses: []int{429, 503, 200}, header: http.Header{"Retry-After": {clk.now.Add(7 * time.Second).Format(http.TimeFormat)}}}
	c := New(Config{Gateway: "test", BaseURL: "http://gateway.invalid", Transport: rt, Clock: clk, Logger: slog.New(slog.DiscardHandler),
		Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: time.Second, MaxTotalWait: time.Minute}})
	start := time.Now()
	resp, err := c.Do(context.Background(), Call{Method: http.MethodGet, Path: "/x"})
	if err != nil || resp.Status != 200 || resp.Attempts != 3 {
		t.Fatalf("Do = %+v, %v; want 200 after 3 attempts", resp, err)
	}
	// The 503 after attempt 2: a backoff of 400 ms, half fixed plus the jitter.
	want := []time.Duration{7 * time.Second, 200*time.Millisecond + 30*time.Millisecond}
	if len(clk.slept) != 2 || clk.slept[0] != want[0] || clk.slept[1] != want[1] {
		t.Fatalf("slept %v, want %v", clk.slept, want)
	}
	if real := time.Since(start); real > 5*time.Second {
		t.Fatalf("took %v of real time; the waits must be virtual", real)
	}
}

// A retry that would end after the context's deadline on the client's clock
// is not made.
func TestClientDeadlineReadsItsClock(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}
	rt := &roundTrip{statuses: []int{429, 200}, header: http.Header{"Retry-After": {"10"}}}
	c := New(Config{Gateway: "test", BaseURL: "http://gateway.invalid", Transport: rt, Clock: clk, Logger: slog.New(slog.DiscardHandler),
		Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Minute, MaxTotalWait: time.Minute}})
	// The deadline is 5 s after the clock's now: Retry-After 10 s does not fit.
	_, err := c.Do(deadlineCtx{context.Background(), clk.now.Add(5 * time.Second)}, Call{Method: http.MethodGet, Path: "/x"})
	if err == nil || rt.n != 1 || len(clk.slept) != 0 {
		t.Fatalf("err %v after %d requests, slept %v; want the 429 and no retry", err, rt.n, clk.slept)
	}
}

// deadlineCtx reports a deadline without ending at it (as a virtual clock's context).
type deadlineCtx struct {
	context.Context
	dl time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.dl, true }

func TestWindowLimiterWaitsOnItsClock(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}
	l := NewWindowLimiter(2, time.Minute, time.Second).WithClock(clk)
	for range 3 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(clk.slept) != 1 || clk.slept[0] != time.Minute+time.Second {
		t.Fatalf("slept %v, want one wait of the window plus margin (61s)", clk.slept)
	}
}

package gateways

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

var quiet = slog.New(slog.DiscardHandler)

// virtualClock is a clock whose Sleep moves it forward instead of waiting,
// so rate-limit waits are checked without wall time.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// newVirtualClock starts at the machine's time, so that contexts with real
// deadlines compare sensibly; from then on only Sleep moves it.
func newVirtualClock() *virtualClock { return &virtualClock{now: time.Now()} }

// Jitter implements Clock: none, so backoffs are exact.
func (c *virtualClock) Jitter(time.Duration) time.Duration { return 0 }

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return nil
}

// limitedServer answers the first request to each path with 429 and the
// given headers, later ones with 200, and records the virtual time of
// every arrival per path.
type limitedServer struct {
	*httptest.Server
	mu       sync.Mutex
	arrivals map[string][]time.Time
}

func newLimitedServer(t *testing.T, clock *virtualClock, h http.Header) *limitedServer {
	s := &limitedServer{arrivals: map[string][]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.arrivals[r.URL.Path] = append(s.arrivals[r.URL.Path], clock.Now())
		first := len(s.arrivals[r.URL.Path]) == 1
		s.mu.Unlock()
		if first {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error_code":"RATE_LIMIT_EXCEEDED"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *limitedServer) at(path string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.arrivals[path]...)
}

// Issue 11's acceptance: a 429 with only Rate-Limit-Reset: 1.5 holds the
// endpoint for at least 1.5 s before the next request to it, whether that
// request is the client's own retry or another call; other endpoints are
// not held. Virtual clock: no wall time passes.
func TestRateLimitResetHoldsTheEndpoint(t *testing.T) {
	for _, tt := range []struct {
		name    string
		headers http.Header
		want    time.Duration
	}{
		{"Rate-Limit-Reset only", http.Header{"Rate-Limit-Reset": {"1.5"}}, 1500 * time.Millisecond},
		{"fractional reset as Xendit documents it", http.Header{"Rate-Limit-Reset": {"58.37"}, "Rate-Limit-Limit": {"600"}, "Rate-Limit-Remaining": {"0"}}, 58370 * time.Millisecond},
		{"Retry-After only", http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		{"both: the longer wins", http.Header{"Retry-After": {"1"}, "Rate-Limit-Reset": {"3.25"}}, 3250 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, retry := range []bool{false, true} {
				clock := newVirtualClock()
				srv := newLimitedServer(t, clock, tt.headers)
				var told []time.Time
				pol := RetryPolicy{MaxAttempts: 1}
				if retry {
					pol = RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxTotalWait: time.Hour}
				}
				c := New(Config{Gateway: "test", BaseURL: srv.URL, Retry: pol, Clock: clock,
					Logger: quiet,
					OnRateLimit: func(op string, until time.Time) {
						if op == "GET /limited" {
							told = append(told, until)
						}
					}})
				ctx := context.Background()
				_, err := c.Do(ctx, Call{Op: "GET /limited", Path: "/limited"})
				if retry {
					if err != nil {
						t.Fatalf("retry: %v", err)
					}
				} else {
					var ae *APIError
					if !errors.As(err, &ae) || ae.HTTPStatus != 429 || ae.Wait != tt.want {
						t.Fatalf("first call: %v (wait %v)", err, ae)
					}
					if !IsRateLimited(err) || !IsUnknown(err) {
						t.Fatalf("not rate-limited/unknown: %v", err)
					}
					// Another endpoint is not held.
					before := clock.Now()
					if _, err := c.Do(ctx, Call{Op: "GET /other", Path: "/other"}); err == nil || clock.Now() != before {
						t.Fatalf("other endpoint: %v, waited %v", err, clock.Now().Sub(before))
					}
					// The next call to the held endpoint goes out only after the reset.
					if _, err := c.Do(ctx, Call{Op: "GET /limited", Path: "/limited"}); err != nil {
						t.Fatal(err)
					}
				}
				at := srv.at("/limited")
				if len(at) != 2 {
					t.Fatalf("retry=%v: %d requests to the held endpoint", retry, len(at))
				}
				if gap := at[1].Sub(at[0]); gap < tt.want {
					t.Fatalf("retry=%v: next request %v after the 429, want >= %v", retry, gap, tt.want)
				}
				if len(told) != 1 || !told[0].Equal(at[0].Add(tt.want)) {
					t.Fatalf("retry=%v: OnRateLimit told %v, want %v", retry, told, at[0].Add(tt.want))
				}
			}
		})
	}
}

// A call whose deadline comes before the reset is not sent at all.
func TestRateLimitHoldBeyondDeadlineSendsNothing(t *testing.T) {
	clock := newVirtualClock()
	srv := newLimitedServer(t, clock, http.Header{"Rate-Limit-Reset": {"30"}})
	c := New(Config{Gateway: "test", BaseURL: srv.URL, Retry: RetryPolicy{MaxAttempts: 1}, Clock: clock, Logger: quiet})
	if _, err := c.Do(context.Background(), Call{Op: "POST /pay", Method: http.MethodPost, Path: "/pay", IdempotencyKey: "K"}); !IsRateLimited(err) {
		t.Fatal(err)
	}
	// The hold is 30 s; this call may take 20 s at most (on the client's
	// clock, so the real time the first call took does not count).
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(20*time.Second))
	defer cancel()
	_, err := c.Do(ctx, Call{Op: "POST /pay", Method: http.MethodPost, Path: "/pay", IdempotencyKey: "K"})
	var he *HoldError
	if !errors.As(err, &he) || !IsRateLimited(err) || !IsUnknown(err) || !IsRetryable(err) {
		t.Fatalf("%v", err)
	}
	if n := len(srv.at("/pay")); n != 1 {
		t.Fatalf("%d requests reached the gateway, want only the first", n)
	}
}

func TestParseRateLimitReset(t *testing.T) {
	for v, want := range map[string]time.Duration{"58.37": 58370 * time.Millisecond, "1.5": 1500 * time.Millisecond, "60": time.Minute, "0.0001": time.Millisecond, "0": 0} {
		if d, ok := ParseRateLimitReset(v); !ok || d != want {
			t.Errorf("%q: %v %v, want %v", v, d, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-1", "NaN", "1e9"} {
		if d, ok := ParseRateLimitReset(v); ok {
			t.Errorf("%q accepted as %v", v, d)
		}
	}
}

// The engine's limiter shares the hold: Wait admits nothing before it.
func TestWindowLimiterHold(t *testing.T) {
	l := NewWindowLimiter(100, time.Minute, 0)
	hold := 30 * time.Millisecond
	start := time.Now()
	l.HoldUntil(start.Add(hold))
	l.HoldUntil(start) // an earlier hold changes nothing
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got < hold {
		t.Fatalf("admitted after %v, held for %v", got, hold)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.HoldUntil(time.Now().Add(time.Hour))
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v", err)
	}
}

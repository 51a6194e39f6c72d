package gateways

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"
)

// However many callers wait at once, no window holds more than N
// admissions: any N+1 consecutive admissions span at least the window.
func TestWindowLimiterNeverExceedsN(t *testing.T) {
	cases := []struct {
		n, callers, calls int
		window            time.Duration
	}{
		{n: 1, callers: 3, calls: 4, window: 30 * time.Millisecond},
		{n: 5, callers: 8, calls: 25, window: 60 * time.Millisecond},
		{n: 60, callers: 16, calls: 150, window: 100 * time.Millisecond},
	}
	for _, c := range cases {
		l := NewWindowLimiter(c.n, c.window, 0)
		var mu sync.Mutex
		var at []time.Time
		var wg sync.WaitGroup
		jobs := make(chan struct{}, c.calls)
		for i := 0; i < c.calls; i++ {
			jobs <- struct{}{}
		}
		close(jobs)
		for w := 0; w < c.callers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					if err := l.Wait(context.Background()); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					at = append(at, time.Now())
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
		if len(at) != c.calls {
			t.Fatalf("n=%d: %d admissions, want %d", c.n, len(at), c.calls)
		}
		for i := c.n; i < len(at); i++ {
			if span := at[i].Sub(at[i-c.n]); span < c.window {
				t.Fatalf("n=%d: admissions %d and %d only %s apart, window %s", c.n, i-c.n, i, span, c.window)
			}
		}
	}
}

// The first N calls go at once; the next waits for the window (plus margin)
// to pass, and gives up with the context.
func TestWindowLimiterWaitsAndCancels(t *testing.T) {
	l := NewWindowLimiter(3, 40*time.Millisecond, 20*time.Millisecond)
	start := time.Now()
	for i := 0; i < 3; i++ {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("4th call within the window: %v, want DeadlineExceeded", err)
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("4th call admitted after %s, want at least window+margin 60ms", d)
	}
}

// A caller whose context has ended takes no turn, even when one is free.
func TestWindowLimiterRefusesEndedContext(t *testing.T) {
	l := NewWindowLimiter(1, time.Minute, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v, want Canceled", err)
	}
	c2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if err := l.Wait(c2); err != nil {
		t.Fatalf("the turn was used up by the ended caller: %v", err)
	}
}

package sandbox

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the sandbox.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestRateLimitPerEndpointSlidingWindow(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	s, c := newTest(t, Config{Clock: clk.now, RateLimit: RateLimit{Prefix: "xendit.", PerWindow: 3, Window: time.Minute}})
	get := func(path string) (int, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("GET", c.url+path, nil)
		req.SetBasicAuth(c.key, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	type step struct {
		advance time.Duration
		path    string
		want    int
		reset   string // Rate-Limit-Reset
	}
	steps := []step{
		{0, "/balance", 200, "60"},
		{10 * time.Second, "/balance", 200, "50"},
		{10 * time.Second, "/balance", 200, "40"},
		// fourth in the window: refused until the first leaves it (40 s)
		{0, "/balance", 429, "40"},
		// another endpoint has its own window
		{0, "/v2/payouts?reference_id=R1", 200, "60"},
		// a refused request does not count: still 3 in the window
		{39500 * time.Millisecond, "/balance", 429, "0.5"},
		// first request now 60 s old: out of the sliding window
		{500 * time.Millisecond, "/balance", 200, "10"},
		{0, "/balance", 429, "10"},
		// not covered by the prefix
		{0, "/h2h/balance?memberID=x", 0, ""},
	}
	for i, st := range steps {
		clk.add(st.advance)
		code, h := get(st.path)
		if st.want == 0 {
			if code == http.StatusTooManyRequests {
				t.Errorf("step %d %s: 429 for an endpoint outside the limit", i, st.path)
			}
			continue
		}
		if code != st.want {
			t.Fatalf("step %d %s: status %d, want %d", i, st.path, code, st.want)
		}
		if got := h.Get("Rate-Limit-Reset"); got != st.reset {
			t.Errorf("step %d: Rate-Limit-Reset %q, want %q", i, got, st.reset)
		}
		if got := h.Get("Retry-After"); got != "" {
			t.Errorf("step %d: Retry-After %q: Xendit documents none", i, got)
		}
		if h.Get("Rate-Limit-Limit") != "3" {
			t.Errorf("step %d: Rate-Limit-Limit %q", i, h.Get("Rate-Limit-Limit"))
		}
	}
	if got := s.RateLimited("xendit.balance"); got != 3 {
		t.Errorf("RateLimited(xendit.balance) = %d, want 3", got)
	}
	if got := s.RateLimitedTotal(); got != 3 {
		t.Errorf("RateLimitedTotal = %d, want 3", got)
	}
	if got := s.Hits("xendit.balance"); got != 7 {
		t.Errorf("Hits(xendit.balance) = %d, want 7 (refused requests count as hits)", got)
	}
}

func TestRateLimitOffByDefault(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	s, c := newTest(t, Config{Clock: clk.now})
	for i := 0; i < 100; i++ {
		req, _ := http.NewRequest("GET", c.url+"/balance", nil)
		req.SetBasicAuth(c.key, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		code, h := resp.StatusCode, resp.Header
		if code != http.StatusOK {
			t.Fatalf("request %d: status %d with no RateLimit configured", i, code)
		}
		// Xendit's headers are there all the same (test-mode numbers).
		wantRemaining := strconv.Itoa(max(XenditTestModeLimit-i-1, 0))
		if h.Get("Rate-Limit-Limit") != "60" || h.Get("Rate-Limit-Remaining") != wantRemaining || h.Get("Rate-Limit-Reset") == "" {
			t.Fatalf("request %d: headers %v", i, h)
		}
	}
	if s.RateLimitedTotal() != 0 {
		t.Fatal("requests refused with no RateLimit configured")
	}
}

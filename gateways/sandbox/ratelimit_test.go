package sandbox

import (
	"net/http"
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
		advance    time.Duration
		path       string
		want       int
		retryAfter string
	}
	steps := []step{
		{0, "/balance", 200, ""},
		{10 * time.Second, "/balance", 200, ""},
		{10 * time.Second, "/balance", 200, ""},
		// fourth in the window: refused until the first leaves it (40 s)
		{0, "/balance", 429, "40"},
		// another endpoint has its own window
		{0, "/v2/payouts?reference_id=R1", 200, ""},
		// a refused request does not count: still 3 in the window
		{39 * time.Second, "/balance", 429, "1"},
		// first request now 60 s old: out of the sliding window
		{time.Second, "/balance", 200, ""},
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
		if got := h.Get("Retry-After"); got != st.retryAfter {
			t.Errorf("step %d: Retry-After %q, want %q", i, got, st.retryAfter)
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
	s, c := newTest(t, Config{})
	for i := 0; i < 100; i++ {
		if code, _, _ := c.do("GET", "/balance", "", ""); code != http.StatusOK {
			t.Fatalf("request %d: status %d with no RateLimit configured", i, code)
		}
	}
	if s.RateLimitedTotal() != 0 {
		t.Fatal("requests refused with no RateLimit configured")
	}
}

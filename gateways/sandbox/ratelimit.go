package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit makes the sandbox enforce a gateway's request limit the way
// Xendit documents it (reference §1.1): a sliding window per endpoint, and a
// request over the limit is answered 429 RATE_LIMIT_EXCEEDED with
// Retry-After, without doing the work. The zero value enforces nothing.
//
// Window exists so that time-scaled runs can shrink "a minute" by the same
// factor as every other interval: Xendit's test mode is PerWindow 60,
// Window one minute; x100 is PerWindow 60, Window 600ms.
type RateLimit struct {
	// Prefix selects the endpoint names the limit applies to ("xendit."
	// for Xendit; "" for every endpoint). Each endpoint name has its own
	// window, as Xendit counts per endpoint.
	Prefix string
	// PerWindow is the number of requests allowed per endpoint in any
	// Window; 0 turns the limit off.
	PerWindow int
	// Window is the sliding window's length; default one minute.
	Window time.Duration
}

// rateLimiter is the per-endpoint sliding-window state of a RateLimit.
type rateLimiter struct {
	cfg RateLimit

	mu       sync.Mutex
	accepted map[string][]time.Time // accepted request times per endpoint, oldest first
	limited  map[string]int         // 429s answered per endpoint
}

func newRateLimiter(cfg RateLimit) *rateLimiter {
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	return &rateLimiter{cfg: cfg, accepted: map[string][]time.Time{}, limited: map[string]int{}}
}

// admit reports whether a request to endpoint name at now is within the
// limit (and counts it), or else how long until one more would be.
func (l *rateLimiter) admit(name string, now time.Time) (ok bool, remaining int, wait time.Duration) {
	if l == nil || l.cfg.PerWindow <= 0 || !strings.HasPrefix(name, l.cfg.Prefix) {
		return true, -1, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.accepted[name]
	cut := now.Add(-l.cfg.Window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= l.cfg.PerWindow {
		l.accepted[name] = ts
		l.limited[name]++
		return false, 0, ts[0].Add(l.cfg.Window).Sub(now)
	}
	ts = append(ts, now)
	l.accepted[name] = ts
	return true, l.cfg.PerWindow - len(ts), 0
}

// enforceRateLimit answers 429 and returns true when a request to endpoint
// name exceeds Config.RateLimit; otherwise it sets the rate-limit headers
// and returns false. Called by route for every request.
func (s *Server) enforceRateLimit(w http.ResponseWriter, name string) bool {
	if s.rl == nil || s.rl.cfg.PerWindow <= 0 {
		return false
	}
	ok, remaining, wait := s.rl.admit(name, s.Now())
	if remaining < 0 {
		return false // endpoint not covered by the limit
	}
	h := w.Header()
	h.Set("Rate-Limit-Limit", strconv.Itoa(s.rl.cfg.PerWindow))
	h.Set("Rate-Limit-Remaining", strconv.Itoa(remaining))
	if ok {
		return false
	}
	// Retry-After is whole seconds on the wire, so a scaled window still
	// says at least "1"; Rate-Limit-Reset carries the same value.
	secs := int((wait + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("Rate-Limit-Reset", strconv.Itoa(secs))
	s.writeFaultError(w, name, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "rate limit exceeded")
	return true
}

// RateLimited returns how many requests to endpoint name were answered 429
// by Config.RateLimit (injected 429 faults are not counted here).
func (s *Server) RateLimited(name string) int {
	if s.rl == nil {
		return 0
	}
	s.rl.mu.Lock()
	defer s.rl.mu.Unlock()
	return s.rl.limited[name]
}

// RateLimitedTotal returns how many requests were answered 429 by
// Config.RateLimit over all endpoints.
func (s *Server) RateLimitedTotal() int {
	if s.rl == nil {
		return 0
	}
	s.rl.mu.Lock()
	defer s.rl.mu.Unlock()
	n := 0
	for _, c := range s.rl.limited {
		n += c
	}
	return n
}

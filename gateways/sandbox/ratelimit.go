package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit makes the sandbox enforce a gateway's request limit the way
// Xendit documents it (docs.xendit.co/rate-limits; wire fixture
// error_rate_limit_429_doc.http): a sliding window per endpoint, and a
// request over the limit is answered 429 RATE_LIMIT_EXCEEDED, without doing
// the work, with Rate-Limit-Limit, Rate-Limit-Remaining and Rate-Limit-Reset
// (seconds, fractional) and no Retry-After, which Xendit does not document.
// The zero value enforces nothing, but Xendit's answers still carry the
// Rate-Limit-* headers of the test-mode default (60 a minute per endpoint),
// as recorded answers do on every response, 200s included.
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
	cfg     RateLimit
	enforce bool // answer 429 over the limit; otherwise only count for the headers

	mu       sync.Mutex
	accepted map[string][]time.Time // accepted request times per endpoint, oldest first
	limited  map[string]int         // 429s answered per endpoint
}

// XenditTestModeLimit is Xendit's documented default in test mode: 60
// requests a minute per endpoint (docs.xendit.co/rate-limits).
const XenditTestModeLimit = 60

func newRateLimiter(cfg RateLimit) *rateLimiter {
	enforce := cfg.PerWindow > 0
	if !enforce {
		// Count Xendit's endpoints for the headers only.
		cfg = RateLimit{Prefix: "xendit.", PerWindow: XenditTestModeLimit}
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	return &rateLimiter{cfg: cfg, enforce: enforce, accepted: map[string][]time.Time{}, limited: map[string]int{}}
}

// admit reports whether a request to endpoint name at now is within the
// limit (and counts it), or else how long until one more would be.
// wait is the time left until the oldest counted request leaves the window
// (the whole window when none is counted): Rate-Limit-Reset.
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
		if l.enforce {
			l.accepted[name] = ts
			l.limited[name]++
			return false, 0, ts[0].Add(l.cfg.Window).Sub(now)
		}
		ts = ts[1:] // counting only: keep the last PerWindow
	}
	ts = append(ts, now)
	l.accepted[name] = ts
	return true, max(l.cfg.PerWindow-len(ts), 0), ts[0].Add(l.cfg.Window).Sub(now)
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
	h.Set("Rate-Limit-Reset", resetSeconds(wait))
	if ok {
		return false
	}
	s.writeFaultError(w, name, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "rate limit exceeded")
	return true
}

// resetSeconds writes a Rate-Limit-Reset value as Xendit does: seconds with
// up to three decimals ("58.039", "60"), never rounded down to zero while
// a wait remains.
func resetSeconds(d time.Duration) string {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
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

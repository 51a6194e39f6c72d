package sandbox

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind string

// Fault kinds.
const (
	// FaultLatency delays the request by Fault.Latency, then serves it.
	FaultLatency FaultKind = "latency"
	// FaultServerError answers Fault.Status (default 500) without doing the work.
	FaultServerError FaultKind = "5xx"
	// FaultRateLimit answers 429 with Retry-After: Fault.RetryAfter (default
	// "1"; seconds or an HTTP date) without doing the work.
	FaultRateLimit FaultKind = "429"
	// FaultTimeout holds the request without doing the work until the client
	// gives up (or HoldMax passes), then closes the connection.
	FaultTimeout FaultKind = "timeout"
	// FaultDrop does the work, then closes the connection without answering:
	// the money moved but the client cannot know.
	FaultDrop FaultKind = "drop"
	// FaultStale makes a status read return the previous (older) state once:
	// out-of-order news. Applies to status endpoints.
	FaultStale FaultKind = "stale"
	// FaultDuplicate makes a status read return the current state as if
	// unchanged (same body twice); harmless by design, kept for notifications.
	FaultDuplicate FaultKind = "duplicate"
	// FaultReverse makes a payout created under it succeed and then be
	// reversed one Step later. Applies to payout create endpoints.
	FaultReverse FaultKind = "reverse"
)

// Fault is one fault rule for an endpoint name (for example
// "xendit.payout.create"; "*" matches every endpoint). It fires for the next
// Count matching requests, or, when Count is 0, with Probability using the
// server's seeded random source.
type Fault struct {
	Endpoint    string        `json:"endpoint"`
	Kind        FaultKind     `json:"kind"`
	Count       int           `json:"count,omitempty"`
	Probability float64       `json:"probability,omitempty"`
	Latency     time.Duration `json:"latency,omitempty"`     // FaultLatency (JSON: nanoseconds)
	Status      int           `json:"status,omitempty"`      // FaultServerError
	RetryAfter  string        `json:"retry_after,omitempty"` // FaultRateLimit
}

// Faults holds the active fault rules. It is safe for concurrent use.
type Faults struct {
	mu    sync.Mutex
	rules []*Fault
	rng   *rand.Rand
}

func newFaults(seed uint64) *Faults { return &Faults{rng: newRand(seed)} }

// Add activates a rule. A rule with Count 0 and Probability 0 fires once.
func (f *Faults) Add(r Fault) {
	if r.Count == 0 && r.Probability <= 0 {
		r.Count = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &r)
}

// Clear removes every rule.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// Active returns a copy of the active rules.
func (f *Faults) Active() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, len(f.rules))
	for i, r := range f.rules {
		out[i] = *r
	}
	return out
}

// take returns the first rule that fires for endpoint, consuming one count.
func (f *Faults) take(endpoint string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.Endpoint != endpoint && r.Endpoint != "*" {
			continue
		}
		if r.Count > 0 {
			r.Count--
			if r.Count == 0 {
				f.rules = append(f.rules[:i], f.rules[i+1:]...)
			}
			return *r, true
		}
		if r.Probability > 0 && f.rng.Float64() < r.Probability {
			return *r, true
		}
	}
	return Fault{}, false
}

// errorWriter writes a gateway-shaped error body for an injected fault.
type errorWriter func(w http.ResponseWriter, status int, code, message string)

// registerErrorWriter sets the error body shape for endpoints whose name
// starts with prefix + "." (for example "iris").
func (s *Server) registerErrorWriter(prefix string, fn errorWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errw[prefix] = fn
}

func (s *Server) writeFaultError(w http.ResponseWriter, name string, status int, code, msg string) {
	prefix, _, _ := strings.Cut(name, ".")
	s.mu.Lock()
	fn := s.errw[prefix]
	s.mu.Unlock()
	if fn == nil {
		fn = func(w http.ResponseWriter, status int, code, msg string) {
			writeJSON(w, status, map[string]string{"error_code": code, "message": msg})
		}
	}
	fn(w, status, code, msg)
}

type faultCtxKey struct{}

// faultOf returns the fault a handler must apply itself (stale, duplicate,
// reverse), if any.
func faultOf(r *http.Request) (Fault, bool) {
	f, ok := r.Context().Value(faultCtxKey{}).(Fault)
	return f, ok
}

// route registers h for pattern under the endpoint name used by faults and
// hit counts. Transport-level faults are applied here; state-level ones
// (stale, duplicate, reverse) are passed to h through the request context.
func (s *Server) route(mux *http.ServeMux, pattern, name string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.hit(name)
		if s.enforceRateLimit(w, name) {
			return
		}
		f, ok := s.faults.take(name)
		if !ok {
			h(w, r)
			return
		}
		switch f.Kind {
		case FaultLatency:
			s.sleepCtx(r.Context(), f.Latency)
			h(w, r)
		case FaultServerError:
			st := f.Status
			if st < 500 || st > 599 {
				st = http.StatusInternalServerError
			}
			s.writeFaultError(w, name, st, "SERVER_ERROR", "injected server error")
		case FaultRateLimit:
			ra := f.RetryAfter
			if ra == "" {
				ra = "1"
			}
			w.Header().Set("Retry-After", ra)
			if secs, err := strconv.Atoi(ra); err == nil {
				w.Header().Set("Rate-Limit-Reset", fmt.Sprint(secs))
			}
			s.writeFaultError(w, name, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "injected rate limit")
		case FaultTimeout:
			// Read the body first: net/http only notices that the client
			// hung up (and cancels r.Context) once the body is consumed.
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HoldMax)
			defer cancel()
			s.sleepCtx(ctx, s.cfg.HoldMax)
			panic(http.ErrAbortHandler)
		case FaultDrop:
			// Do the work for real, throw the answer away, cut the line.
			h(httptest.NewRecorder(), r)
			dropConnection(w)
		default:
			h(w, r.WithContext(context.WithValue(r.Context(), faultCtxKey{}, f)))
		}
	})
}

// dropConnection closes the client connection without an HTTP answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

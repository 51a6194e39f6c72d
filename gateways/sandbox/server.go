// Package sandbox is a gateway simulator that speaks Xendit, Midtrans (Snap,
// Core, Iris), DOKU (Checkout, Kirim DOKU), iPaymu and an OtomaX-style H2H
// supplier on loopback. It follows the
// documented behaviour (test accounts, status progressions, idempotency and
// the REFID resend rule), injects faults per endpoint on demand, and keeps a
// book of the money it actually paid out so tests can prove nothing was paid
// twice.
//
// One *Server is an http.Handler: use it with httptest.NewServer in tests or
// serve it standalone (lunas sandbox). Tests drive it with Go methods; other
// processes use the same control API over HTTP under /_control/.
//
// Extension points for the gateway parts (each in its own file):
//   - s.route(mux, pattern, name, h) registers an endpoint with fault
//     injection and hit counting under a stable name ("xendit.payout.create");
//   - s.now() is the sandbox clock (Config.Clock plus Advance);
//   - s.mu guards all simulated state; handlers hold it while they read or
//     change objects;
//   - s.track(m) registers an object whose status moves with time
//     (see Timeline); s.advance() moves every tracked object;
//   - s.debit/s.credit/s.balance keep a balance per channel;
//   - s.recordPaid is called exactly when money reaches a payee;
//   - s.registerErrorWriter(prefix, fn) shapes injected 5xx/429 bodies.
package sandbox

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"lunas/domain"
)

// Credentials are the keys the sandbox accepts. DefaultCredentials gives the
// demo values printed by `lunas sandbox`.
type Credentials struct {
	XenditSecretKey     string
	XenditCallbackToken string

	MidtransServerKey string // Core API and Snap (Basic auth user)
	MidtransClientKey string
	IrisCreatorKey    string
	IrisApproverKey   string
	IrisMerchantKey   string // signs Iris notifications
	IrisOTP           string // accepted approval OTP

	H2HMemberID string
	H2HPin      string
	H2HPassword string

	DOKUClientID       string // Client-Id / X-PARTNER-ID
	DOKUSecretKey      string // non-SNAP HMAC and SNAP clientSecret
	DOKUPrivateKey     string // PEM; its public half verifies the access-token signature
	DOKUCustomerNumber string // Kirim DOKU's customerNumber (sender phone)

	IpaymuVA     string
	IpaymuAPIKey string
}

// DefaultCredentials returns the demo credentials. They are not secret: the
// sandbox only listens on loopback and moves no real money.
func DefaultCredentials() Credentials {
	return Credentials{
		XenditSecretKey:     "xnd_development_LunasSandboxSecretKey0001",
		XenditCallbackToken: "lunas-sandbox-callback-token",
		MidtransServerKey:   "SB-Mid-server-LunasSandbox0001",
		MidtransClientKey:   "SB-Mid-client-LunasSandbox0001",
		IrisCreatorKey:      "IRIS-creator-LunasSandbox0001",
		IrisApproverKey:     "IRIS-approver-LunasSandbox0001",
		IrisMerchantKey:     "IRIS-merchant-LunasSandbox0001",
		IrisOTP:             "335163",
		H2HMemberID:         "LUNAS01",
		H2HPin:              "1144",
		H2HPassword:         "sandbox-h2h-pass",
		DOKUClientID:        "BRN-0001-LunasSandbox",
		DOKUSecretKey:       "SK-LunasSandboxDoku0001",
		DOKUPrivateKey:      demoDOKUPrivateKey,
		DOKUCustomerNumber:  "628115678890",
		IpaymuVA:            "1179000899",
		IpaymuAPIKey:        "SANDBOX-LunasIpaymuKey0001",
	}
}

// Config configures a Server. The zero value is usable.
type Config struct {
	// Clock is the time source; nil means time.Now. Tests pass a fake clock
	// (or use Advance) to step status progressions.
	Clock func() time.Time
	// Step is the delay between two status changes of a payout (ACCEPTED ->
	// REQUESTED -> SUCCEEDED) or a payment (PAID -> SETTLED). Default 2s.
	Step time.Duration
	// Seed seeds the random source of probabilistic faults.
	Seed uint64
	// Credentials; zero means DefaultCredentials.
	Credentials Credentials
	// StartBalance is each channel's initial balance; default Rp1.000.000.000.
	StartBalance domain.Rupiah
	// MaxObjects bounds the objects kept per kind (oldest dropped first);
	// default 50000.
	MaxObjects int
	// HoldMax caps how long a "timeout" fault holds a request; default 2m.
	HoldMax time.Duration

	// Xendit wire variants where the sources disagree (reference §8). The
	// defaults follow the recorded answers (gateways/xendit/testdata/wire):
	// {has_more, data}, "message", and HTTP 409 DUPLICATE_ERROR.
	XenditListShape     string // "data" (default: {has_more, data}) or "array" (the API page)
	XenditErrorKey      string // "message" (default) or "error_message" (the API pages)
	XenditDuplicateCode string // "DUPLICATE_ERROR" (default, 409) or "DUPLICATE_TRANSACTION_ERROR" (legacy, 400)
	// XenditInvoiceCursor names the invoice list's paging parameter the
	// sandbox honours: "last_invoice" (default; xendit-go@HEAD) or
	// "last_invoice_id" (xendit-java, xendit-go v1 params); "ignore" honours
	// neither, as a server that does not page would.
	XenditInvoiceCursor string

	// KeyPurge says when idempotency keys are forgotten (keys.go); zero
	// means PurgeAtMidnight.
	KeyPurge KeyPurge

	// RateLimit, when RateLimit.PerWindow > 0, enforces a per-endpoint
	// request limit (429 with Retry-After); see ratelimit.go. Off by default.
	RateLimit RateLimit
}

// Server is the sandbox gateway. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	faults *Faults

	mu     sync.Mutex
	offset time.Duration // added to the clock by Advance
	movers []mover
	// advance bookkeeping: the earliest due change of movers that report
	// one, and whether a full scan is needed regardless.
	nextDue    time.Time
	rescan     bool
	alwaysScan bool
	compactAt  int
	book       map[bookKey]*Payout
	bookSeq    []bookKey
	balances   map[string]domain.Rupiah
	hits       map[string]*hitLog
	errw       map[string]errorWriter
	seq        uint64
	done       chan struct{}
	doneOnce   sync.Once

	x *xenditState // Xendit part; see xendit.go
	// Gateways B state lives in fields declared in their own files' types,
	// reached through ext (keyed by gateway name).
	ext map[string]any

	rl *rateLimiter // Config.RateLimit state; see ratelimit.go

	store *persister // the data file of a sandbox made with Open; see persist.go
}

// New returns a sandbox server with cfg applied over the defaults.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Step <= 0 {
		cfg.Step = 2 * time.Second
	}
	if cfg.Credentials == (Credentials{}) {
		cfg.Credentials = DefaultCredentials()
	}
	if cfg.StartBalance == 0 {
		cfg.StartBalance = 1_000_000_000
	}
	if cfg.MaxObjects <= 0 {
		cfg.MaxObjects = 50000
	}
	if cfg.HoldMax <= 0 {
		cfg.HoldMax = 2 * time.Minute
	}
	if cfg.XenditListShape == "" {
		cfg.XenditListShape = "data"
	}
	if cfg.XenditErrorKey == "" {
		cfg.XenditErrorKey = "message"
	}
	if cfg.XenditInvoiceCursor == "" {
		cfg.XenditInvoiceCursor = "last_invoice"
	}
	if cfg.KeyPurge == "" {
		cfg.KeyPurge = PurgeAtMidnight
	}
	if cfg.XenditDuplicateCode == "" {
		cfg.XenditDuplicateCode = "DUPLICATE_ERROR"
	}
	s := &Server{
		cfg:       cfg,
		mux:       http.NewServeMux(),
		faults:    newFaults(cfg.Seed),
		book:      map[bookKey]*Payout{},
		balances:  map[string]domain.Rupiah{},
		hits:      map[string]*hitLog{},
		errw:      map[string]errorWriter{},
		done:      make(chan struct{}),
		nextDue:   farFuture,
		compactAt: 1024,
		ext:       map[string]any{},
		rl:        newRateLimiter(cfg.RateLimit),
	}
	s.mountControl(s.mux)
	s.mountReconcile(s.mux) // Iris statements, gateways/sandbox/reconcile.go
	s.mountXendit(s.mux)
	s.mountMidtrans(s.mux)
	s.mountH2H(s.mux)
	s.mountDOKU(s.mux)   // gateways/sandbox/doku.go
	s.mountIpaymu(s.mux) // gateways/sandbox/ipaymu.go
	return s
}

// ServeHTTP implements http.Handler.
// A sandbox made with Open saves its books before each answer leaves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.store != nil {
		s.serveSaving(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close releases requests held by timeout faults. The Server stays usable.
func (s *Server) Close() { s.doneOnce.Do(func() { close(s.done) }) }

// Credentials returns the credentials the sandbox accepts.
func (s *Server) Credentials() Credentials { return s.cfg.Credentials }

// Config returns the server's effective configuration.
func (s *Server) Config() Config { return s.cfg }

// Faults returns the fault injector, settable by tests.
func (s *Server) Faults() *Faults { return s.faults }

// Now returns the sandbox's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// now is Now with s.mu held.
func (s *Server) now() time.Time { return s.cfg.Clock().Add(s.offset) }

// Advance moves the sandbox clock forward by d and applies every status
// change that became due.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.offset += d
	}
	s.advance()
}

// nextID returns a process-unique counter value, with s.mu held.
func (s *Server) nextID() uint64 {
	s.seq++
	return s.seq
}

// mover is a simulated object whose status moves with time.
type mover interface {
	// advance applies due changes at now; it returns true when the object
	// has nothing left to do and can be forgotten by the mover list.
	advance(now time.Time) (done bool)
}

// nextDuer is optionally implemented by movers that can say when their next
// change is due; when every tracked mover does, advance skips the scan until
// then. Movers without it are checked on every request.
type nextDuer interface {
	nextDue() (time.Time, bool)
}

// track registers m so that advance moves it. Call with s.mu held.
func (s *Server) track(m mover) {
	s.movers = append(s.movers, m)
	if d, ok := m.(nextDuer); ok {
		if t, ok := d.nextDue(); ok && t.Before(s.nextDue) {
			s.nextDue = t
		}
	} else {
		s.alwaysScan = true
	}
	if len(s.movers) > s.compactAt {
		s.rescan = true // drop finished and evicted movers (amortised)
	}
}

// touch makes the next advance scan every mover; call it after changing a
// tracked object's timeline outside advance (Jump).
func (s *Server) touch() { s.rescan = true }

// farFuture is "nothing due".
var farFuture = time.Unix(1<<40, 0)

// advance moves every tracked object to now. Call with s.mu held. Every
// handler calls it first, so time-based changes appear exactly as if they
// had happened in the background.
func (s *Server) advance() {
	now := s.now()
	if !s.rescan && !s.alwaysScan && now.Before(s.nextDue) {
		return
	}
	s.rescan, s.alwaysScan, s.nextDue = false, false, farFuture
	kept := s.movers[:0]
	for _, m := range s.movers {
		if m.advance(now) {
			continue
		}
		kept = append(kept, m)
		if d, ok := m.(nextDuer); ok {
			if t, ok := d.nextDue(); ok && t.Before(s.nextDue) {
				s.nextDue = t
			}
		} else {
			s.alwaysScan = true
		}
	}
	clear(s.movers[len(kept):])
	s.movers = kept
	s.compactAt = max(2*len(kept), 1024)
}

// NextDue returns when the next step is due, if any remains.
func (t *Timeline) NextDue() (time.Time, bool) {
	if t.reached >= len(t.Steps) {
		return time.Time{}, false
	}
	return t.Start.Add(t.Steps[t.reached].After), true
}

// Step is one status an object reaches, After its creation.
type Step struct {
	After  time.Duration
	Status string
	Code   string // failure code, if any
}

// Timeline is an object's planned status progression. Step 0 is the status
// at creation. It remembers the statuses reached, so a "stale" fault can
// serve an older one.
type Timeline struct {
	Start   time.Time
	Steps   []Step
	reached int // number of steps applied (>= 1)
	changed time.Time
}

// NewTimeline starts a timeline at start with the given steps (Steps[0].After
// should be 0).
func NewTimeline(start time.Time, steps ...Step) *Timeline {
	return &Timeline{Start: start, Steps: steps, reached: 1, changed: start}
}

// Advance applies the steps due at now, calling enter for each in order.
// It returns true when every step has been applied.
func (t *Timeline) Advance(now time.Time, enter func(Step)) bool {
	for t.reached < len(t.Steps) && !now.Before(t.Start.Add(t.Steps[t.reached].After)) {
		st := t.Steps[t.reached]
		t.reached++
		t.changed = t.Start.Add(st.After)
		if enter != nil {
			enter(st)
		}
	}
	return t.reached >= len(t.Steps)
}

// Current returns the latest applied step.
func (t *Timeline) Current() Step { return t.Steps[t.reached-1] }

// Previous returns the step before the current one, if any.
func (t *Timeline) Previous() (Step, bool) {
	if t.reached < 2 {
		return Step{}, false
	}
	return t.Steps[t.reached-2], true
}

// Changed returns when the current step was reached.
func (t *Timeline) Changed() time.Time { return t.changed }

// Jump replaces the future with st, applied at now (control API: pay,
// expire, reverse). Steps already reached are kept for history.
func (t *Timeline) Jump(now time.Time, st Step, then ...Step) {
	st.After = now.Sub(t.Start)
	t.Steps = append(t.Steps[:t.reached], st)
	t.reached++
	t.changed = now
	for _, n := range then {
		n.After += st.After
		t.Steps = append(t.Steps, n)
	}
}

// Pending reports whether steps remain.
func (t *Timeline) Pending() bool { return t.reached < len(t.Steps) }

// hitLog counts requests per endpoint and remembers the last arrival times.
type hitLog struct {
	count int
	times []time.Time
}

const hitTimesKept = 64

// hit records one request to endpoint name. Times are wall-clock, so tests
// can check real waits such as Retry-After.
func (s *Server) hit(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hits[name]
	if h == nil {
		h = &hitLog{}
		s.hits[name] = h
	}
	h.count++
	h.times = append(h.times, time.Now())
	if len(h.times) > hitTimesKept {
		h.times = h.times[len(h.times)-hitTimesKept:]
	}
}

// Hits returns how many requests reached endpoint name (faulted ones too).
func (s *Server) Hits(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.hits[name]; h != nil {
		return h.count
	}
	return 0
}

// HitTimes returns the wall-clock arrival times of the last requests to name.
func (s *Server) HitTimes(name string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.hits[name]; h != nil {
		return append([]time.Time(nil), h.times...)
	}
	return nil
}

// ResetHits forgets all request counts.
func (s *Server) ResetHits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits = map[string]*hitLog{}
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// sleepCtx waits d or until ctx ends or the server closes.
func (s *Server) sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-s.done:
	case <-t.C:
	}
}

// newRand returns the seeded random source for probabilistic faults.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

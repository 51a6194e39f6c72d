package sim

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
	"lunas/gateways"
	"lunas/gateways/doku"
	"lunas/gateways/h2h"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// owner is the shop owner who approves, retries and sends again.
var owner = domain.Actor{UserID: 1, Name: "sari", Role: domain.RoleOwner}

// crashAt says where a planned crash happens within a step.
type crashAt int

const (
	crashNone      crashAt = iota
	crashAtCommit          // at the n-th write transaction of the step
	crashAtRequest         // at the n-th gateway request of the step
)

// crashPlan is a crash armed for the current step; after means just after
// the commit (or after the gateway acted) rather than before.
type crashPlan struct {
	at    crashAt
	n     int
	after bool
}

// world is one simulated shop: its database, the gateways (one sandbox),
// the engine process (absent while it is down) and what the simulator
// knows about them.
type world struct {
	opt   Options
	rng   *rand.Rand // schedule and workload decisions
	frng  *rand.Rand // fault decisions
	refs  *rand.Rand // REFIDs
	clock *Clock
	began time.Time
	prof  profile

	trace  bytes.Buffer
	events int

	dir    string
	dbPath string
	db     *sqlite.DB
	sb     *sandbox.Server

	// The process: nil engine while it is down.
	eng       *engine.Engine
	epoch     int // increases with every start, so loop events of a dead process are dropped
	upSince   time.Time
	bus       *engine.Bus
	busCh     <-chan engine.Event
	busStop   func()
	crashed   bool
	crashPlan crashPlan
	commits   int // write commits in the current step
	requests  int // gateway requests in the current step
	paused    bool
	resumedAt time.Time // sending was last resumed then

	gatewayDownUntil time.Time
	faultsOn         bool
	sleepUntil       time.Time // the computer sleeps until then
	restartAt        time.Time // the pending restart after a crash
	backAt           time.Time // when the app runs again (a restart, or the shop opening)
	st               *crashStore
	payments         map[string]domain.PaymentGateway
	s                sched
	rounds           map[string]func(context.Context) error // the live process's loop rounds
	current          string                                 // the event running now
	depth            int                                    // interleaved work running inside the current event
	txDepth          int                                    // transactions open through crashStore

	answers   map[string][]answer // earlier answers to the same GET, for reordering
	lastAsked map[string]time.Time
	attention map[string]string // refid -> the last needs-attention message
	model     model
	chk       checker

	failure *Violation
}

func (w *world) tracef(format string, args ...any) {
	now := w.clock.Now().In(wib)
	day := int(now.Sub(time.Date(2026, 1, 5, 0, 0, 0, 0, wib))/(24*time.Hour)) + 1
	fmt.Fprintf(&w.trace, "d%d %s %s ", day, now.Format("Mon"), now.Format("15:04:05.000"))
	fmt.Fprintf(&w.trace, format, args...)
	w.trace.WriteByte('\n')
	w.events++
}

var refidEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRefID is engine.NewRefID's format with the randomness drawn from the seed.
func (w *world) newRefID(now time.Time) string {
	var b [7]byte
	for i := range b {
		b[i] = byte(w.refs.Uint32())
	}
	return "LNS-" + now.UTC().Format("060102") + "-" + strings.ToUpper(refidEncoding.EncodeToString(b[:]))[:10]
}

// newWorld makes the shop's database from the template and the sandbox.
func newWorld(opt Options) (*world, error) {
	seed := opt.Seed
	w := &world{
		opt:       opt,
		rng:       rand.New(rand.NewPCG(seed, 0x5151)),
		frng:      rand.New(rand.NewPCG(seed, 0xfa17)),
		refs:      rand.New(rand.NewPCG(seed, 0x4ef1d)),
		answers:   map[string][]answer{},
		lastAsked: map[string]time.Time{},
		attention: map[string]string{},
		faultsOn:  true,
	}
	// A run starts at any time of a Monday: the gateways' key windows end
	// at midnight UTC (07:00 in Jakarta) and H2H's at midnight WIB.
	w.began = simEpoch.Add(time.Duration(w.rng.Int64N(int64(24 * time.Hour))).Truncate(time.Millisecond))
	w.clock = NewClock(w.began, seed)
	w.prof = drawProfile(w.rng)
	w.model.init()
	data, err := templateDB(opt.Dir)
	if err != nil {
		return nil, err
	}
	w.dir, err = os.MkdirTemp(opt.Dir, "lunas-sim-")
	if err != nil {
		return nil, err
	}
	w.dbPath = filepath.Join(w.dir, "shop.db")
	if err := os.WriteFile(w.dbPath, data, 0o600); err != nil {
		w.close()
		return nil, err
	}
	creds := sandbox.DefaultCredentials()
	creds.DOKUPrivateKey = simDOKUKey
	w.sb = sandbox.New(sandbox.Config{Clock: w.clock.Now, Step: w.prof.step, Seed: seed, RateLimit: w.prof.rateLimit, Credentials: creds})
	w.tracef("sim  seed %d: %s", seed, w.prof)
	return w, nil
}

// close removes the run's files.
func (w *world) close() {
	w.stopProcess()
	if w.dir != "" {
		os.RemoveAll(w.dir)
	}
}

// openDB opens the shop's database as a starting process does.
func (w *world) openDB() error {
	if w.db != nil {
		return nil
	}
	db, err := sqlite.Open(context.Background(), w.dbPath, sqlite.Options{Cipher: newSimCipher(), Now: w.clock.Now, OpenCheck: sqlite.CheckNone, Readers: 4, SyncNormal: true})
	if err != nil {
		return err
	}
	w.db = db
	return nil
}

// stopProcess ends the process without any cleanup: the engine, its
// adapters and their memory are dropped; the database connections close
// (only committed transactions are in the file).
func (w *world) stopProcess() {
	if w.busStop != nil {
		w.busStop()
		w.busStop, w.busCh, w.bus = nil, nil, nil
	}
	w.eng, w.rounds = nil, nil
	if w.db != nil {
		w.db.Close()
		w.db = nil
	}
}

// adapterTimeout is each adapter's per-attempt timeout, as app sets it.
const adapterTimeout = 20 * time.Second

// retry is the adapters' retry policy, as app sets it for Xendit.
var retry = gateways.RetryPolicy{MaxAttempts: 2, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxTotalWait: 3 * time.Second}

// build makes the gateways of one process, each talking to the sandbox
// through its own in-process transport.
func (w *world) build(st domain.Store) (map[string]domain.PaymentGateway, map[string]domain.PayoutChannel, map[string]engine.Limiter, error) {
	creds := w.sb.Credentials()
	log := slog.New(slog.DiscardHandler)
	tr := func(name string) *transport { return &transport{w: w, gateway: name, attempt: adapterTimeout} }
	// Xendit is paced as app paces it (app/engine.go xenditLimitersPer, at
	// the test-mode 60 a minute), in some runs; a 429's reset holds the
	// endpoint's limiter (OnRateLimit).
	var lim map[string]engine.Limiter
	var listLim engine.Limiter
	var onRateLimit func(op string, until time.Time)
	if w.prof.limiters {
		mk := func(n int) *gateways.WindowLimiter {
			return gateways.NewWindowLimiter(n, time.Minute, 2*time.Second).WithClock(w.clock)
		}
		invoices, status, create, cancel, balance := mk(55), mk(60), mk(60), mk(60), mk(60)
		listLim = invoices
		lim = map[string]engine.Limiter{
			"xendit/" + engine.OpPaymentStatus: chain{mk(20), invoices},
			"xendit/" + engine.OpPayoutCreate:  create,
			"xendit/" + engine.OpPayoutStatus:  status,
			"xendit/" + engine.OpPayoutWatch:   mk(6),
			"xendit/" + engine.OpPayoutCancel:  cancel,
			"xendit/" + engine.OpBalance:       balance,
		}
		byOp := map[string]*gateways.WindowLimiter{"POST /v2/payouts": create, "GET /v2/payouts?reference_id": status,
			"POST /v2/payouts/{id}/cancel": cancel, "GET /v2/invoices": invoices, "GET /balance": balance}
		onRateLimit = func(op string, until time.Time) {
			if l := byOp[op]; l != nil {
				l.HoldUntil(until)
			}
		}
	}
	x := xendit.New(xendit.Config{BaseURL: "http://sandbox.invalid", SecretKey: creds.XenditSecretKey, Logger: log,
		Timeout: adapterTimeout, Retry: retry, ListLimiter: listLim, OnRateLimit: onRateLimit, Transport: tr("xendit"), Clock: w.clock})
	mt := midtrans.New(midtrans.Config{CoreURL: "http://sandbox.invalid/midtrans", SnapURL: "http://sandbox.invalid",
		ServerKey: creds.MidtransServerKey, Logger: log, Timeout: adapterTimeout, Retry: retry, Transport: tr("midtrans"),
		Now: w.clock.Now, Clock: w.clock})
	iris := midtrans.NewIris(midtrans.IrisConfig{BaseURL: "http://sandbox.invalid/iris", CreatorKey: creds.IrisCreatorKey,
		ApproverKey: creds.IrisApproverKey, MerchantKey: creds.IrisMerchantKey, OTP: midtrans.StaticOTP(creds.IrisOTP),
		Book: midtrans.NewStoreBook(st), Logger: log, Timeout: adapterTimeout, Retry: retry, Transport: tr("iris"),
		Now: w.clock.Now, Clock: w.clock})
	hc, err := h2h.New(h2h.Config{Name: "pulsa", BaseURL: "http://sandbox.invalid" + sandbox.H2HPath, MemberID: creds.H2HMemberID,
		PIN: creds.H2HPin, Password: creds.H2HPassword, Products: map[string]string{"GOPAY": "GOPAY", "OVO": "OVO"}},
		h2h.Options{Logger: log, Timeout: adapterTimeout, Retry: retry, Transport: tr("h2h"), Now: w.clock.Now, Clock: w.clock})
	if err != nil {
		return nil, nil, nil, err
	}
	dk := doku.New(doku.Config{BaseURL: "http://sandbox.invalid", ClientID: creds.DOKUClientID, SecretKey: creds.DOKUSecretKey,
		PrivateKey: creds.DOKUPrivateKey, CustomerNumber: creds.DOKUCustomerNumber, Logger: log, Timeout: adapterTimeout,
		Retry: retry, Transport: tr("doku"), Clock: w.clock, Now: w.clock.Now})
	payments := map[string]domain.PaymentGateway{"xendit": x, "midtrans": mt}
	channels := map[string]domain.PayoutChannel{chXendit: observe(w, x), chIris: observe(w, iris), chH2H: observe(w, hc),
		chDOKU: observe(w, dk)}
	return payments, channels, lim, nil
}

// chain waits for each limiter in turn (app's shared invoice budget).
type chain []engine.Limiter

func (c chain) Wait(ctx context.Context) error {
	for _, l := range c {
		if err := l.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// limits are the owner's auto-send limits.
var limits = engine.Limits{PerTransfer: 1_000_000, PayeeDaily: 3_000_000, LowBalance: 2_000_000}

// start starts a process: it opens the database, builds the gateways and
// the engine, and runs Open (recovery of what a crash left in sending).
// A crash planned during recovery is possible and leaves the process down.
func (w *world) start() {
	w.crashed = false
	if err := w.openDB(); err != nil {
		w.fail("start", "the database does not open after a stop: %v", err)
		return
	}
	st := &crashStore{inner: w.db, w: w}
	w.st = st
	payments, channels, lim, err := w.build(st)
	w.payments = payments
	if err != nil {
		w.fail("start", "gateways: %v", err)
		return
	}
	bus := engine.NewBus()
	w.bus = bus
	w.busCh, w.busStop = bus.Subscribe(busBuffer)
	iv := w.prof.intervals
	cfg := engine.Config{
		Store: st, Payments: payments, Channels: channels,
		Route:          func(p domain.Payee) string { return routes[strings.ToUpper(p.Channel)] },
		DefaultChannel: chXendit, Limiters: lim, Concurrency: 1, Batch: w.prof.batch, Limits: limits,
		Intervals: iv, Location: wib, Now: w.clock.Now, WithTimeout: w.clock.WithTimeout, NewRefID: w.newRefID,
		Log: slog.New(slog.DiscardHandler), Bus: bus,
	}
	if w.opt.plant == BugResendAnytime {
		cfg.ResendAllowed = func(domain.KeyWindow, time.Time, time.Time) bool { return true }
	}
	e, err := engine.New(cfg)
	if err != nil {
		w.fail("start", "engine: %v", err)
		return
	}
	w.eng = e
	w.chk.news = true
	w.epoch++
	w.s.wokeSend = false
	w.upSince = w.clock.Now()
	w.tracef("proc start (process %d)", w.epoch)
	if err := e.Open(context.Background()); err != nil {
		w.drainBus()
		if w.crashed {
			return
		}
		w.fail("start", "engine.Open: %v", err)
		return
	}
	w.paused = e.Paused()
	w.drainBus()
	w.scheduleLoops()
}

// crash marks the process dead at this point; the step unwinds with errors
// that reach neither the store nor the gateway, then the process is dropped.
func (w *world) crash(where string) {
	if w.crashed {
		return
	}
	w.crashed = true
	w.chk.news = true
	w.crashPlan = crashPlan{}
	w.tracef("proc CRASH %s", where)
}

// store is the live process's view of the database.
func (w *world) store() *crashStore { return w.st }

// up reports whether a live process runs.
func (w *world) up() bool { return w.eng != nil && !w.crashed }

// busBuffer is how many events one step may publish before the world
// reads them: 20 times the most seen (47 in seeds 1-150); a step that
// publishes more stops the run (the trace would miss events).
const busBuffer = 1 << 10

// drainBus reads what the engine published into the trace and the world.
func (w *world) drainBus() {
	if w.busCh == nil {
		return
	}
	defer func() {
		if w.bus != nil && w.bus.Dropped() > 0 {
			w.fail("simulator sees every event", "the engine published more than %d events in one step; raise busBuffer", busBuffer)
		}
	}()
	for {
		select {
		case ev := <-w.busCh:
			w.onEvent(ev)
		default:
			return
		}
	}
}

func (w *world) onEvent(ev engine.Event) {
	w.chk.news = true
	switch ev.Kind {
	case engine.EventPaymentSettled:
		w.chk.money = true
		w.model.stats.Settled++
	case engine.EventTransferReversed:
		w.chk.money = true
		w.model.stats.Reversed++
	case engine.EventTransferCreated:
		w.model.stats.Transfers++
	case engine.EventTransferStatus:
		if ev.Status == domain.TransferSucceeded {
			w.chk.money = true
			w.model.stats.Succeeded++
		}
	}
	switch ev.Kind {
	case engine.EventTransferStatus:
		w.tracef("eng  %s %s -> %s (%s)", ev.RefID, ev.Channel, ev.Status, clip(ev.Message, 70))
	case engine.EventTransferCreated:
		w.tracef("eng  %s created %s %s via %s", ev.RefID, ev.Status, ev.Amount, ev.Channel)
		if ev.Status == domain.TransferApproved {
			w.wakeSender()
		}
	case engine.EventNeedsAttention:
		ref := ev.RefID
		if ref == "" {
			ref = "payment:" + ev.Payment
		}
		w.attention[ref] = ev.Message
		w.tracef("eng  NEEDS ATTENTION %s: %s", ref, clip(ev.Message, 90))
	case engine.EventNeedsApproval:
		w.tracef("eng  %s needs approval: %s", ev.RefID, clip(ev.Message, 70))
	case engine.EventPaymentSettled, engine.EventPaymentFlagged, engine.EventPaymentClosed:
		w.tracef("eng  %s %s %s", ev.Kind, ev.Payment, clip(ev.Message, 70))
	case engine.EventTransferReversed:
		w.tracef("eng  %s REVERSED", ev.RefID)
	default:
		w.tracef("eng  %s %s", ev.Kind, clip(ev.Message, 60))
	}
}

func clip(s string, n int) string {
	if i := strings.Index(s, " / "); i >= 0 {
		s = s[:i] // the English half is enough for a trace
	}
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// asked records that the engine asked a channel about (or sent) refID.
func (w *world) asked(refID string) { w.lastAsked[refID] = w.clock.Now() }

// keepAnswer remembers a read's answer so that a later "reorder" fault can
// serve it again, out of order.
func (w *world) keepAnswer(url string, a answer) {
	l := append(w.answers[url], a)
	if len(l) > 4 {
		l = l[len(l)-4:]
	}
	w.answers[url] = l
}

func (w *world) oldAnswer(url string) (answer, bool) {
	l := w.answers[url]
	if len(l) == 0 {
		return answer{}, false
	}
	return l[w.frng.IntN(len(l))], true
}

// drawFault decides what happens to one request.
func (w *world) drawFault(method string, create, payout, search bool) fault {
	rate := w.prof.rate
	if payout {
		rate = min(0.6, 2.5*rate) // the money path gets more of the trouble
	}
	if !w.faultsOn || rate == 0 || w.frng.Float64() >= rate {
		return faultNone
	}
	x := w.frng.Float64() * w.prof.total
	f := faultNone
	for k := fault(1); k < nFaults; k++ {
		x -= w.prof.weights[k]
		if x < 0 {
			f = k
			break
		}
	}
	switch f {
	case faultStale, faultDuplicate, faultReorder:
		if method != "GET" || create {
			return faultNone
		}
	case faultReverse:
		if !create {
			return faultNone
		}
	case faultMissing:
		if !search {
			return faultNone
		}
	}
	return f
}

// fail records the first invariant violation; the run stops there.
func (w *world) fail(invariant, format string, args ...any) {
	if w.failure != nil {
		return
	}
	v := &Violation{Invariant: invariant, Detail: fmt.Sprintf(format, args...), At: w.clock.Now(), Event: w.events}
	w.failure = v
	w.tracef("FAIL %s: %s", invariant, v.Detail)
}

// Package engine moves the money: it polls payments until they settle,
// settles them into obligations and REFID-guarded transfers, sends and tracks
// those transfers, recovers after a crash, and offers the manual actions people
// use. It knows only the domain ports; adapters are plugged in by app.
//
// How the REFID rules are kept:
//
//   - A transfer and its REFID are created in the settlement's write
//     transaction; the move approved -> sending (attempt counted, SentAt set)
//     is committed before the gateway is called, and the answer is recorded
//     in a later transaction. A crash in between leaves "sending", which
//     Recover turns into "unknown" before anything else runs.
//   - Unknown is resolved only by news about that REFID: the tracker asks the
//     gateway by REFID with backoff. News moves a transfer only forward (the
//     state machine refuses the rest); news that contradicts a final status is
//     audited and raised as needs-attention, never applied.
//   - A same-REFID resend happens only when the gateway answered "not_found"
//     for a transfer that is unknown (the call probably never arrived) AND the
//     channel still deduplicates that REFID: domain.ResendAllowed over the
//     channel's domain.KeyWindow from the first send, at the engine's clock,
//     decided in one place (Engine.resendAllowed). A channel that declares no
//     window is never resent to. Past the window (Iris: the first midnight
//     UTC after the first send) a resend could pay twice, so the transfer
//     stays unknown, its reason says why, a needs-attention event is raised
//     once, and a person checks the gateway; the tracker keeps asking, so a
//     payout that turns up later is still applied. "Retry" follows the same
//     rule: query first, resend only as above.
//   - A new REFID (SendAgain) needs a definite non-payment of its parent
//     (failed, rejected, cancelled, reversed), no other attempt for the
//     obligation that is pending, unknown or succeeded, no earlier child, no
//     open conflict (gateway news contradicting a final status, e.g. success
//     for a failed attempt: money may have moved), and always goes through
//     approval.
//   - Money leaves without a person's approval only when nothing holds the
//     transfer, or when the only holds are the shop's approval limits (per
//     transfer, per payee per day) and the payee's trust rule
//     (domain.TrustRule) covers it: the rule is on, the amount is at most
//     its limit, and the payee's current account, the destination fixed for
//     this transfer, already received at least the rule's number of
//     successful payouts. A trust rule never lifts a risk hold or block, an
//     unverified account, a missing channel or a send-again. A risk flag on
//     a transfer to the payee switches the rule off (trustLifts), and so does
//     any change of the payee's bank or account number (the store, in
//     UpdatePayee's transaction); both are audited, as is the transfer that
//     a rule let through (its transfer.created entry names the rule).
//   - A transfer's destination (bank, account, holder) is fixed and sealed
//     when it is created; approval approves that destination, and the first
//     send and every same-REFID resend use it. A payee edited later does not
//     redirect it (decision: keep the approved destination rather than send
//     it back to approval); only a new attempt (send again) takes the
//     payee's current account, and it needs approval.
//   - Transfers left in sending with no call in flight are resolved by the
//     tracker's status query after SendingAfter; succeeded transfers are
//     watched for a reversal for ReversalWatch.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"time"

	"lunas/domain"
)

// Limits is the built-in auto-send policy. Zero means no limit.
type Limits struct {
	PerTransfer domain.Rupiah // a single transfer above this waits for approval
	PayeeDaily  domain.Rupiah // default daily total per payee (a payee's own DailyLimit wins)
	LowBalance  domain.Rupiah // warn when a channel's balance drops below this
}

// Intervals tunes the background loops. Zero fields get the defaults.
type Intervals struct {
	PollFirst time.Duration // first payment poll after creation, then doubling (default 1s)
	PollMax   time.Duration // slowest payment poll (default 2m)
	List      time.Duration // list request per gateway with PaymentLister (default 1s)
	// ListFast: lists run every List while the newest pending payment of
	// the gateway is younger than this (default 15m: most buyers pay within
	// minutes); older, the interval grows with its age up to PollMax, and
	// with nothing pending there is no list at all.
	ListFast    time.Duration
	ExpiryGrace time.Duration // polling continues this long past ExpiresAt (default 10m)
	Send        time.Duration // sender sweep when not woken (default 500ms)
	TrackFirst  time.Duration // first status query after accepted/unknown (default 5s: payouts rarely finish sooner)
	TrackMax    time.Duration // slowest status query (default 5m)
	Balance     time.Duration // balance refresh (default 1m)
	Mail        time.Duration // outbox sweep (default 5s)
	CallTimeout time.Duration // one gateway call (default 30s)
	StuckAfter  time.Duration // sending, accepted or unknown this long after sending -> needs attention (default 24h)
	Write       time.Duration // one database write, started after the gateway calls (default 30s)
	// SendingAfter bounds how long a transfer may sit in "sending" with no
	// call of this process in flight before the tracker resolves it by a
	// status query (default CallTimeout + Write).
	SendingAfter time.Duration
	// ReversalWatch is how long after success the tracker keeps checking a
	// transfer for a reversal (default 7 days; negative: never), first after
	// ReversalFirst (default 1h), then doubling up to ReversalMax (default 48h).
	ReversalWatch time.Duration
	ReversalFirst time.Duration
	ReversalMax   time.Duration
}

func (iv *Intervals) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&iv.PollFirst, time.Second)
	def(&iv.PollMax, 2*time.Minute)
	def(&iv.List, time.Second)
	def(&iv.ListFast, 15*time.Minute)
	def(&iv.ExpiryGrace, 10*time.Minute)
	def(&iv.Send, 500*time.Millisecond)
	def(&iv.TrackFirst, 5*time.Second)
	def(&iv.TrackMax, 5*time.Minute)
	def(&iv.Balance, time.Minute)
	def(&iv.Mail, 5*time.Second)
	def(&iv.CallTimeout, 30*time.Second)
	def(&iv.StuckAfter, 24*time.Hour)
	def(&iv.Write, 30*time.Second)
	def(&iv.SendingAfter, iv.CallTimeout+iv.Write)
	if iv.ReversalWatch == 0 {
		iv.ReversalWatch = 7 * 24 * time.Hour
	}
	def(&iv.ReversalFirst, time.Hour)
	def(&iv.ReversalMax, 48*time.Hour)
}

// Limiter paces calls to one gateway. Wait blocks until a call may be made or
// ctx ends. golang.org/x/time/rate's *rate.Limiter satisfies it.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Config is everything the engine needs. Store, Payments or Channels may be
// empty maps but not nil where used.
type Config struct {
	Store    domain.Store
	Payments map[string]domain.PaymentGateway // by gateway name
	Channels map[string]domain.PayoutChannel  // by channel name
	// Route picks the payout channel name for a payee (bank code -> channel).
	// Nil: DefaultChannel.
	Route          func(p domain.Payee) string
	DefaultChannel string
	Limiters       map[string]Limiter // per gateway/channel name; nil = unlimited
	Concurrency    int                // gateway calls in flight per loop (default 8); keep it within the adapters' idle connection pools
	Batch          int                // settlements or sends per write transaction (default 64)
	Limits         Limits
	Risk           RiskChecker  // nil: built-in policy only
	Codes          CodeVerifier // nil: approval needs no code
	// UserCount says how many active users exist, so that self-approval is
	// refused when someone else could approve. Nil: one user.
	UserCount func(ctx context.Context) (int, error)
	Mailer    MailSender // nil: mail stays queued in the outbox
	Intervals Intervals
	Location  *time.Location // the shop's day for daily limits (default WIB, UTC+7)
	Now       func() time.Time
	// WithTimeout derives the context of one gateway call or database
	// write, ending d later on the engine's clock (nil: context.WithTimeout).
	// The simulator (package sim) sets it with Now to its virtual clock.
	WithTimeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// NewRefID makes a fresh REFID (nil: NewRefID); the simulator draws
	// them from its seed so that a run replays exactly.
	NewRefID func(now time.Time) string
	// ResendAllowed, when set, replaces domain.ResendAllowed as the rule for
	// a same-REFID resend (see Engine.resendAllowed); only tests and the
	// simulator set it, to plant a faulty rule and prove it is caught.
	ResendAllowed func(w domain.KeyWindow, firstSent, now time.Time) bool
	Log           *slog.Logger
	Bus           *Bus // nil: a new bus
	// Lease, when set, makes this engine send only while it holds the
	// shop's engine lease (lease.go); serve and the desktop set it. Nil:
	// the engine sends whenever it runs (tests, the simulator, the demo).
	Lease *LeaseOptions
}

// Engine runs the money loops. Create with New, then Start; Stop waits until
// in-flight work is recorded.
type Engine struct {
	cfg   Config
	store domain.Store // the guard around cfg.Store
	guard *storeGuard
	bus   *Bus
	log   *slog.Logger
	now   func() time.Time
	iv    Intervals

	wakeSend  chan struct{}
	wakeTrack chan struct{}

	mu          sync.Mutex
	balances    map[string]balanceInfo
	openings    map[string]bool      // channels whose opening balance is settled (opening.go)
	trackAfter  map[string]trackInfo // refid -> next status query
	stuckTold   map[string]bool      // refids already raised as stuck
	inflight    map[string]int       // refid -> sends of this process in flight
	watchAfter  map[string]trackInfo // refid -> next reversal check after success
	watchMu     sync.Mutex           // one reversal-watch round at a time
	watchPruned time.Time            // last pruning of the stored watch schedule
	paused      bool
	gwDown      map[string]bool
	listAt      map[string]time.Time

	lease  *leaseRun       // nil without Config.Lease
	runCtx context.Context // Start's context, for loops started on taking the lease

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type balanceInfo struct {
	known  bool
	amount domain.Rupiah
	at     time.Time
}

type trackInfo struct {
	next  time.Time
	tries int
}

// settingPaused is the setting key remembering a pause across restarts.
const settingPaused = "engine.paused"

// New checks cfg and returns an engine that is not yet running.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errors.New("engine: no store")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WithTimeout == nil {
		cfg.WithTimeout = context.WithTimeout
	}
	if cfg.NewRefID == nil {
		cfg.NewRefID = NewRefID
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Bus == nil {
		cfg.Bus = NewBus()
	}
	if cfg.Location == nil {
		cfg.Location = time.FixedZone("WIB", 7*3600)
	}
	if cfg.Payments == nil {
		cfg.Payments = map[string]domain.PaymentGateway{}
	}
	if cfg.Channels == nil {
		cfg.Channels = map[string]domain.PayoutChannel{}
	}
	cfg.Intervals.defaults()
	e := &Engine{
		cfg: cfg, bus: cfg.Bus, log: cfg.Log, now: cfg.Now, iv: cfg.Intervals,
		wakeSend:   make(chan struct{}, 1),
		wakeTrack:  make(chan struct{}, 1),
		balances:   map[string]balanceInfo{},
		trackAfter: map[string]trackInfo{},
		stuckTold:  map[string]bool{},
		inflight:   map[string]int{},
		watchAfter: map[string]trackInfo{},
		gwDown:     map[string]bool{},
	}
	e.guard = &storeGuard{inner: cfg.Store, e: e}
	e.store = e.guard
	if cfg.Lease != nil {
		e.lease = newLeaseRun(*cfg.Lease)
	}
	return e, nil
}

// Bus returns the event stream.
func (e *Engine) Bus() *Bus { return e.bus }

// Store returns the engine's store.
func (e *Engine) Store() domain.Store { return e.store }

// Gateways returns the adapters the engine settles payments and sends
// transfers through, by name (copies of the maps): reconciliation asks
// these very adapters, so it reads the same books the engine wrote.
func (e *Engine) Gateways() (map[string]domain.PaymentGateway, map[string]domain.PayoutChannel) {
	return maps.Clone(e.cfg.Payments), maps.Clone(e.cfg.Channels)
}

// Start recovers what a crash left behind and starts the loops. It returns
// after recovery; the loops run until Stop or ctx ends. With Config.Lease,
// recovery and the loops wait until this engine holds the lease: Start
// returns with the engine sending when it could take the lease, else with
// it standing by (Lease tells which).
func (e *Engine) Start(ctx context.Context) error {
	if e.lease != nil {
		return e.startLeased(ctx)
	}
	if err := e.Open(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	e.cancel = cancel
	e.startLoops(ctx, &e.wg)
	return nil
}

// startLoops starts the background loops, each in its own goroutine
// counted by wg, until ctx ends.
func (e *Engine) startLoops(ctx context.Context, wg *sync.WaitGroup) {
	loops := []struct {
		name string
		fn   func(context.Context)
	}{
		{"lister", e.pollLoop}, {"asker", e.askLoop}, {"sender", e.sendLoop}, {"tracker", e.trackLoop},
		{"watch", e.watchLoop}, {"balance", e.balanceLoop}, {"mail", e.mailLoop},
	}
	for _, l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.fn(ctx)
		}()
	}
}

// Open does what Start does before the loops: it recovers what a crash left
// behind and reads whether sending is paused. The simulator calls it and then
// drives the loops' steps (PollNow, SendNow, TrackNow, BalanceNow) itself.
func (e *Engine) Open(ctx context.Context) error {
	if err := e.Recover(ctx); err != nil {
		return err
	}
	return e.store.Read(ctx, func(tx domain.ReadTx) error {
		v, err := tx.GetSetting(settingPaused)
		if err == nil {
			e.mu.Lock()
			e.paused = v == "1"
			e.mu.Unlock()
			return nil
		}
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		return err
	})
}

// Stop ends the loops and waits for in-flight work to be recorded.
func (e *Engine) Stop() {
	if e.cancel != nil {
		e.cancel()
	}
	e.wg.Wait()
}

// Paused reports whether automatic sending is paused.
func (e *Engine) Paused() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.paused
}

func (e *Engine) wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// tick runs fn every d, and also whenever wake fires, until ctx ends.
func tick(ctx context.Context, d time.Duration, wake <-chan struct{}, fn func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}

// work returns a context for one piece of database work that outlives the
// loop's cancellation, so that what was started is finished and recorded.
// Take it after the gateway calls it records: a slow batch of calls must not
// eat the time its answers need to be written.
func (e *Engine) work(ctx context.Context) (context.Context, context.CancelFunc) {
	return e.withTimeout(context.WithoutCancel(ctx), e.iv.Write)
}

// withTimeout is context.WithTimeout on the engine's clock (Config.WithTimeout).
func (e *Engine) withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return e.cfg.WithTimeout(ctx, d)
}

// Operation names for per-endpoint rate limits: Limiters may be keyed
// "<gateway>/<op>" (Xendit counts its limit per endpoint) or "<gateway>"
// for one bucket shared by every call.
const (
	OpPaymentList   = "payment.list"
	OpPaymentStatus = "payment.status"
	OpPayoutCreate  = "payout.create"
	OpPayoutStatus  = "payout.status"
	// OpPayoutWatch paces the reversal watch's status queries on top of
	// OpPayoutStatus: give it a small share of the status endpoint's limit
	// so that a week of watched successes never delays tracking.
	OpPayoutWatch  = "payout.watch"
	OpPayoutCancel = "payout.cancel"
	OpBalance      = "balance"
)

func (e *Engine) limit(ctx context.Context, name, op string) error {
	l := e.cfg.Limiters[name+"/"+op]
	if l == nil && op != OpPayoutWatch { // the watch is paced by OpPayoutStatus too: no second charge
		l = e.cfg.Limiters[name]
	}
	if l != nil {
		return l.Wait(ctx)
	}
	return nil
}

func (e *Engine) publish(ev Event) {
	if ev.At.IsZero() {
		ev.At = e.now()
	}
	e.bus.Publish(ev)
}

// startOfDay is midnight of t's day in the shop's time zone.
func (e *Engine) startOfDay(t time.Time) time.Time {
	l := t.In(e.cfg.Location)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, e.cfg.Location)
}

func audit(tx domain.Tx, at time.Time, actor, action, subject, detail string) error {
	return tx.AppendAudit(&domain.AuditEntry{At: at.UTC().Truncate(time.Microsecond), Actor: actor, Action: action, Subject: subject, Detail: detail})
}

// forEach runs fn over items with at most n at once.
func forEach[T any](n int, items []T, fn func(int, T)) {
	if n > len(items) {
		n = len(items)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i, items[i])
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
}

package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"lunas/domain"
)

// LeaseOptions make the engine one of several that may run on a shop, of
// which exactly one sends (domain/lease.go): it takes the shop's engine
// lease before any work, renews it while running, and runs its loops only
// while it holds it; without it the engine is a standby that tries again
// every Every and takes over once the lease has expired. Every transaction
// that records a send attempt checks the lease in the same transaction.
type LeaseOptions struct {
	Holder string // this engine run's id (default: random)
	Host   string // this computer's name, shown to people
	PID    int    // this process
	Kind   string // "serve" or "desktop"
	// TTL is how long a lease lasts without renewal (default 15s): how long
	// a standby waits after the holder died or hung.
	TTL time.Duration
	// Every is how often the holder renews and a standby looks (default TTL/3).
	Every time.Duration
}

// LeaseState is what the engine knows about the lease.
type LeaseState struct {
	Enabled bool         // the engine runs with a lease
	Holding bool         // this engine holds it: it sends
	Lease   domain.Lease // the lease it holds, or the other holder's as last seen
}

// leaseRun is the lease part of an engine started with LeaseOptions.
type leaseRun struct {
	opts LeaseOptions
	want domain.Lease

	wake chan struct{} // a fenced transaction found the lease gone: look now

	mu       sync.Mutex
	holding  bool
	held     domain.Lease // while holding
	seen     domain.Lease // the other holder, while standby
	hostLock bool         // the store's host lock is held
	work     context.CancelFunc
	workWG   sync.WaitGroup
}

// Events of the lease.
const (
	EventLeaseTaken EventKind = "engine.lease_taken" // this engine sends from now on
	EventLeaseLost  EventKind = "engine.lease_lost"  // it stopped sending: another engine took over
	EventStandby    EventKind = "engine.standby"     // another engine sends; this one waits
)

func newLeaseRun(o LeaseOptions) *leaseRun {
	if o.TTL <= 0 {
		o.TTL = 15 * time.Second
	}
	if o.Every <= 0 {
		o.Every = o.TTL / 3
	}
	if o.Holder == "" {
		b := make([]byte, 8)
		rand.Read(b)
		o.Holder = hex.EncodeToString(b)
	}
	if o.Kind == "" {
		o.Kind = "serve"
	}
	return &leaseRun{opts: o, wake: make(chan struct{}, 1),
		want: domain.Lease{Name: domain.LeaseEngine, Holder: o.Holder, Host: o.Host, PID: o.PID, Kind: o.Kind}}
}

// Lease reports whether this engine holds the lease, and who does.
func (e *Engine) Lease() LeaseState {
	lr := e.lease
	if lr == nil {
		return LeaseState{}
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if lr.holding {
		return LeaseState{Enabled: true, Holding: true, Lease: lr.held}
	}
	return LeaseState{Enabled: true, Lease: lr.seen}
}

// startLeased is Start for an engine with a lease: one lease round now (so
// that an engine that can take the lease returns from Start recovered and
// running, as without a lease), then the lease loop.
func (e *Engine) startLeased(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	e.cancel = cancel
	e.runCtx = ctx
	if err := e.LeaseRound(ctx); err != nil {
		cancel()
		e.stopWork()
		return err
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		t := time.NewTicker(e.lease.opts.Every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				e.stopWork()
				e.releaseLease()
				return
			case <-t.C:
			case <-e.lease.wake:
			}
			if err := e.LeaseRound(ctx); err != nil && ctx.Err() == nil {
				e.warn("engine lease", err)
			}
		}
	}()
	return nil
}

// LeaseRound is one round of the lease loop, which Start runs every
// LeaseOptions.Every: the holder renews the lease (and stops its loops when
// it is gone); a standby tries to take it, and when it does, recovers what
// the previous holder left in "sending" and starts its loops. Tests drive
// it with the engine's clock to make a lease expire.
func (e *Engine) LeaseRound(ctx context.Context) error {
	lr := e.lease
	if lr == nil {
		return nil
	}
	lr.mu.Lock()
	holding, held := lr.holding, lr.held
	lr.mu.Unlock()
	wctx, cancel := e.withTimeout(ctx, e.iv.Write)
	defer cancel()
	now := e.now()
	if holding {
		hostLock := e.tryHostLock()
		var renewed domain.Lease
		var paused bool
		err := e.store.Write(wctx, func(tx domain.Tx) error {
			lt, err := leaseTx(tx)
			if err != nil {
				return err
			}
			if renewed, err = domain.RenewLease(lt, held, now, lr.opts.TTL, hostLock); err != nil {
				return err
			}
			paused, err = storedPaused(tx)
			return err
		})
		switch {
		case err == nil:
			lr.mu.Lock()
			lr.held = renewed
			lr.mu.Unlock()
			e.setPausedFlag(paused)
			return nil
		case errors.Is(err, domain.ErrLeaseLost):
			e.dropLease("another engine took over, or the lease expired while this one did not renew it")
			// and look who holds it, or take it again below
		default:
			// No answer: the lease may still be ours, but once it has
			// expired nothing this engine does would pass the fence.
			if !now.Before(held.Expires) {
				e.dropLease("the lease expired while the database did not answer")
			}
			return err
		}
	}
	return e.takeLease(ctx, wctx, now)
}

// takeLease is a standby's half of LeaseRound.
func (e *Engine) takeLease(ctx, wctx context.Context, now time.Time) error {
	lr := e.lease
	hostLock := e.tryHostLock()
	var took domain.Lease
	var paused bool
	err := e.store.Write(wctx, func(tx domain.Tx) error {
		lt, err := leaseTx(tx)
		if err != nil {
			return err
		}
		want := lr.want
		want.HostLock = hostLock
		took, err = domain.TakeLease(lt, want, now, lr.opts.TTL, func(cur domain.Lease) bool {
			// The OS released the holder's lock on this computer: its
			// process has ended, however it ended.
			return hostLock && cur.HostLock && cur.Host == want.Host
		})
		if err != nil {
			return err
		}
		paused, err = storedPaused(tx)
		return err
	})
	e.setPausedFlag(paused)
	var held2 *domain.LeaseHeldError
	if errors.As(err, &held2) {
		e.hostUnlock() // a standby keeps no lock: the holder takes it at its next renewal
		lr.mu.Lock()
		changed := lr.seen.Holder != held2.Lease.Holder || lr.seen.Epoch != held2.Lease.Epoch
		lr.seen = held2.Lease
		lr.mu.Unlock()
		if changed {
			e.log.Info("engine lease held elsewhere; standing by", "host", held2.Lease.Host, "pid", held2.Lease.PID, "kind", held2.Lease.Kind, "since", held2.Lease.Since)
			e.publish(Event{Kind: EventStandby, Message: standbyMessage(held2.Lease)})
		}
		return nil
	}
	if err != nil {
		e.hostUnlock()
		return err
	}
	lr.mu.Lock()
	lr.holding, lr.held, lr.seen = true, took, domain.Lease{}
	lr.mu.Unlock()
	// What the previous holder left in "sending" becomes unknown and is
	// asked about; then the loops start.
	if err := e.Open(ctx); err != nil {
		e.dropLease("recovery failed: " + err.Error())
		return err
	}
	e.startWork()
	e.log.Info("engine lease taken; sending transfers", "epoch", took.Epoch)
	e.publish(Event{Kind: EventLeaseTaken, Message: fmt.Sprintf("mesin ini sekarang mengirim transfer / this engine sends transfers now (epoch %d)", took.Epoch)})
	return nil
}

// standbyMessage says who sends, in both languages.
func standbyMessage(l domain.Lease) string {
	since := l.Since.Local().Format("2006-01-02 15:04")
	return fmt.Sprintf("transfer dikirim oleh %s (sejak %s) / transfers are sent by %s (since %s)", l.Host, since, l.Host, since)
}

func leaseTx(tx domain.Tx) (domain.LeaseTx, error) {
	lt, ok := tx.(domain.LeaseTx)
	if !ok {
		return nil, errors.New("engine lease: the store keeps no lease")
	}
	return lt, nil
}

// storedPaused reads the pause another desk may have set.
func storedPaused(tx domain.ReadTx) (bool, error) {
	v, err := tx.GetSetting(settingPaused)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	return v == "1", err
}

func (e *Engine) setPausedFlag(p bool) {
	e.mu.Lock()
	was := e.paused
	e.paused = p
	e.mu.Unlock()
	if was && !p {
		e.wake(e.wakeSend)
	}
}

// startWork starts the loops under the run's context. An engine that was
// not started (a test or the simulator driving LeaseRound and the loops'
// rounds itself) gets no loops.
func (e *Engine) startWork() {
	lr := e.lease
	if e.runCtx == nil {
		return
	}
	ctx, cancel := context.WithCancel(e.runCtx)
	lr.mu.Lock()
	lr.work = cancel
	lr.mu.Unlock()
	e.startLoops(ctx, &lr.workWG)
}

// stopWork stops the loops and waits until their in-flight work is recorded.
func (e *Engine) stopWork() {
	lr := e.lease
	lr.mu.Lock()
	cancel := lr.work
	lr.work = nil
	lr.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	lr.workWG.Wait()
}

// dropLease stops sending: the lease is gone or cannot be trusted.
func (e *Engine) dropLease(why string) {
	lr := e.lease
	lr.mu.Lock()
	was := lr.holding
	lr.holding = false
	lr.mu.Unlock()
	e.stopWork()
	e.hostUnlock()
	if was {
		e.log.Warn("engine lease lost; this engine stops sending and stands by", "why", why)
		e.publish(Event{Kind: EventLeaseLost, Message: "mesin ini berhenti mengirim; mesin lain mengambil alih / this engine stopped sending; another engine takes over: " + why})
	}
}

// releaseLease ends a held lease at Stop so that a standby takes over at
// once instead of after the TTL.
func (e *Engine) releaseLease() {
	lr := e.lease
	lr.mu.Lock()
	holding, held := lr.holding, lr.held
	lr.holding = false
	lr.mu.Unlock()
	if holding {
		ctx, cancel := e.withTimeout(context.Background(), e.iv.Write)
		err := e.cfg.Store.Write(ctx, func(tx domain.Tx) error {
			lt, err := leaseTx(tx)
			if err != nil {
				return err
			}
			return domain.ReleaseLease(lt, held, e.now())
		})
		cancel()
		if err != nil {
			e.log.Warn("engine lease not released; a standby takes over when it expires", "err", err)
		}
	}
	e.hostUnlock()
}

func (e *Engine) tryHostLock() bool {
	hl, ok := e.cfg.Store.(domain.HostLocker)
	if !ok {
		return false
	}
	got, err := hl.TryHostLock()
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		e.log.Warn("engine host lock", "err", err)
	}
	e.lease.mu.Lock()
	e.lease.hostLock = got
	e.lease.mu.Unlock()
	return got
}

func (e *Engine) hostUnlock() {
	if hl, ok := e.cfg.Store.(domain.HostLocker); ok {
		hl.HostUnlock()
	}
	e.lease.mu.Lock()
	e.lease.hostLock = false
	e.lease.mu.Unlock()
}

// errNotSender: this engine does not hold the lease, so it sends nothing.
var errNotSender = fmt.Errorf("this engine is a standby: %w", domain.ErrLeaseLost)

// errPausedElsewhere: a desk paused sending since this engine last looked.
var errPausedElsewhere = errors.New("sending paused")

// fence is the check every transaction that records a send attempt makes
// first, inside that transaction: without a lease it passes; with one, the
// stored lease must still be this engine's, at its epoch, unexpired at now
// (domain.CheckLease), and sending must not have been paused by any desk.
// On a lost lease the lease loop is woken to stop the loops.
func (e *Engine) fence(tx domain.Tx, now time.Time) error {
	lr := e.lease
	if lr == nil {
		return nil
	}
	lr.mu.Lock()
	holding, held := lr.holding, lr.held
	lr.mu.Unlock()
	if !holding {
		return errNotSender
	}
	lt, err := leaseTx(tx)
	if err != nil {
		return err
	}
	if _, err := domain.CheckLease(lt, held, now); err != nil {
		if errors.Is(err, domain.ErrLeaseLost) {
			select {
			case lr.wake <- struct{}{}:
			default:
			}
		}
		return err
	}
	paused, err := storedPaused(tx)
	if err != nil {
		return err
	}
	if paused {
		e.setPausedFlag(true)
		return errPausedElsewhere
	}
	return nil
}

// mayCall is the last look before a send leaves this process: a holder
// whose lease has expired by its own clock (it was paused after recording
// the attempt) does not call; the transfer stays in "sending" and whoever
// holds the lease resolves it by a status query, as after a crash.
func (e *Engine) mayCall() bool {
	lr := e.lease
	if lr == nil {
		return true
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return lr.holding && e.now().Before(lr.held.Expires)
}

// sentBy is what the audit entry of a send attempt adds about the engine
// that made it: "" without a lease, else " (lease epoch N, <host> pid P)".
func (e *Engine) sentBy() string {
	lr := e.lease
	if lr == nil {
		return ""
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return fmt.Sprintf(" (lease epoch %d, %s pid %d)", lr.held.Epoch, lr.held.Host, lr.held.PID)
}

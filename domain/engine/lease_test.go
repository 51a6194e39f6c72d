package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
)

const leaseTTL = 10 * time.Second

// leased gives the fixture's engine a lease as holder "A" on host.
func leased(host string) opt {
	return func(c *engine.Config) {
		c.Lease = &engine.LeaseOptions{Holder: "A", Host: host, PID: 101, Kind: "serve", TTL: leaseTTL}
	}
}

// second is another engine on the same shop, as a second process
// would run it: its own connection (and host lock), the same clock and
// payout channel, holder id holder on host.
func (f *fixture) second(holder, host string, wrap func(domain.Store) domain.Store) (*engine.Engine, domain.Store) {
	f.t.Helper()
	db, err := f.reopen()
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	cfg := f.cfg
	cfg.Store = db
	if wrap != nil {
		cfg.Store = wrap(db)
	}
	cfg.Bus = nil
	cfg.Lease = &engine.LeaseOptions{Holder: holder, Host: host, PID: 202, Kind: "desktop", TTL: leaseTTL}
	e, err := engine.New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return e, db
}

func leaseRound(t *testing.T, e *engine.Engine) engine.LeaseState {
	t.Helper()
	if err := e.LeaseRound(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e.Lease()
}

func (f *fixture) sends() int {
	f.ch.mu.Lock()
	defer f.ch.mu.Unlock()
	n := 0
	for _, v := range f.ch.sends {
		n += v
	}
	return n
}

// approvedOrder settles a new order through e and returns its transfers' REFIDs.
func (f *fixture) approvedOrder(e *engine.Engine) []string {
	f.t.Helper()
	ext := f.order(200000)
	f.gw.pay(ext, 200000)
	if err := e.PollNow(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	var refs []string
	for _, x := range f.transfers(domain.TransferApproved) {
		refs = append(refs, x.RefID)
	}
	if len(refs) == 0 {
		f.t.Fatal("no approved transfers")
	}
	return refs
}

// TestLeaseOneEngineSends: of two engines on one shop only the lease holder
// sends; the standby says who sends, takes over only once the lease has
// expired (on the engines' clock), and from then on the old holder, which
// never renewed (it was paused), records no attempt and sends nothing.
func TestLeaseOneEngineSends(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, leased("kasir"))
	b, _ := f.second("B", "gudang", nil)

	if st := leaseRound(t, f.e); !st.Holding || st.Lease.Epoch != 1 || st.Lease.Host != "kasir" {
		t.Fatalf("A: %+v", st)
	}
	if st := leaseRound(t, b); st.Holding || st.Lease.Host != "kasir" || st.Lease.Holder != "A" {
		t.Fatalf("B should stand by and name A's host: %+v", st)
	}
	refs := f.approvedOrder(f.e)
	if _, err := b.SendNow(ctx); !errors.Is(err, domain.ErrLeaseLost) {
		t.Fatalf("standby SendNow: %v, want ErrLeaseLost", err)
	}
	if n := f.sends(); n != 0 {
		t.Fatalf("standby sent %d", n)
	}
	f.send()
	for _, r := range refs {
		if f.transfer(r).Status != domain.TransferSucceeded || f.ch.paidCount(r) != 1 {
			t.Fatalf("%s: %+v paid %d", r, f.transfer(r), f.ch.paidCount(r))
		}
	}
	// A renews; B still waits, also just before A's renewal would expire.
	f.clk.Add(leaseTTL / 2)
	leaseRound(t, f.e)
	f.clk.Add(leaseTTL - time.Second)
	if st := leaseRound(t, b); st.Holding {
		t.Fatal("B took a lease that had not expired")
	}
	// A stops renewing (paused): B takes over after expiry, at epoch 2.
	f.clk.Add(2 * time.Second)
	if st := leaseRound(t, b); !st.Holding || st.Lease.Epoch != 2 || st.Lease.Holder != "B" {
		t.Fatalf("B after expiry: %+v", st)
	}
	// A resumes: it still believes it holds epoch 1, but cannot send.
	refs2 := f.approvedOrder(b)
	before := f.sends()
	if _, err := f.e.SendNow(ctx); !errors.Is(err, domain.ErrLeaseLost) {
		t.Fatalf("old holder SendNow: %v, want ErrLeaseLost", err)
	}
	if f.sends() != before {
		t.Fatal("a paused-then-resumed old holder sent")
	}
	for _, r := range refs2 {
		if st := f.transfer(r).Status; st != domain.TransferApproved {
			t.Fatalf("old holder recorded an attempt: %s %s", r, st)
		}
	}
	if st := leaseRound(t, f.e); st.Holding || st.Lease.Holder != "B" {
		t.Fatalf("A after losing: %+v", st)
	}
	if _, err := b.SendNow(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range append(refs, refs2...) {
		if f.ch.paidCount(r) != 1 {
			t.Fatalf("%s paid %d times", r, f.ch.paidCount(r))
		}
	}
}

// pausingStore holds its first Write until released, like a process
// stopped (SIGSTOP) between reading its work and recording the attempt.
type pausingStore struct {
	domain.Store
	once    sync.Once
	reached chan struct{}
	resume  chan struct{}
}

func (p *pausingStore) Write(ctx context.Context, fn func(domain.Tx) error) error {
	p.once.Do(func() {
		close(p.reached)
		<-p.resume
	})
	return p.Store.Write(ctx, fn)
}

// TestLeaseFencesAPausedSend: the holder is stopped after reading approved
// transfers and before recording their attempt; the standby takes over
// after expiry and sends them; when the old holder resumes, its
// transaction finds the lease gone and records and sends nothing.
func TestLeaseFencesAPausedSend(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(c *engine.Config) {
		c.Lease = &engine.LeaseOptions{Holder: "B0", Host: "gudang", TTL: leaseTTL}
	})
	ps := &pausingStore{reached: make(chan struct{}), resume: make(chan struct{})}
	a, _ := f.second("A", "kasir", func(s domain.Store) domain.Store { ps.Store = s; return ps })
	// A takes the lease (its first Write is the pause point: let it pass).
	ps.once.Do(func() { close(ps.reached) })
	if st := leaseRound(t, a); !st.Holding {
		t.Fatalf("A: %+v", st)
	}
	refs := f.approvedOrder(a)
	ps.once = sync.Once{}
	ps.reached = make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := a.SendNow(ctx)
		done <- err
	}()
	<-ps.reached // A has read its work and is stopped
	f.clk.Add(leaseTTL + time.Second)
	if st := leaseRound(t, f.e); !st.Holding || st.Lease.Epoch != 2 {
		t.Fatalf("standby after expiry: %+v", st)
	}
	f.send()
	close(ps.resume)
	if err := <-done; !errors.Is(err, domain.ErrLeaseLost) {
		t.Fatalf("resumed holder: %v, want ErrLeaseLost", err)
	}
	for _, r := range refs {
		x := f.transfer(r)
		if x.Status != domain.TransferSucceeded || x.Attempts != 1 || f.ch.paidCount(r) != 1 || f.ch.sends[r] != 1 {
			t.Fatalf("%s: %+v paid %d sends %d", r, x, f.ch.paidCount(r), f.ch.sends[r])
		}
	}
}

// pausingLimiter stops the process after the attempt is recorded and
// before the call leaves (the limiter is waited for just before the call):
// the clock jumps past the lease's expiry.
type pausingLimiter struct {
	clk  *clock
	jump time.Duration
}

func (l pausingLimiter) Wait(context.Context) error { l.clk.Add(l.jump); return nil }

// TestLeaseNoCallAfterExpiry: a holder paused after recording the attempt
// does not call once it wakes past its lease; the transfer stays in sending,
// and the engine that takes over resolves it by asking (not found) and then
// resends the same REFID: paid once.
func TestLeaseNoCallAfterExpiry(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, leased("kasir"))
	clk := f.clk
	a, _ := f.second("A2", "kasir", nil)
	if st := leaseRound(t, f.e); !st.Holding {
		t.Fatal("A should hold")
	}
	refs := f.approvedOrder(f.e)
	// Rebuild A's engine with the pausing limiter, same holder id and epoch.
	cfg := f.cfg
	cfg.Limiters = map[string]engine.Limiter{"xendit/" + engine.OpPayoutCreate: pausingLimiter{clk: clk, jump: leaseTTL + time.Second}}
	paused, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st := leaseRound(t, paused); !st.Holding { // same holder "A": renews the same epoch
		t.Fatalf("rebuilt A: %+v", st)
	}
	if _, err := paused.SendNow(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.sends(); n != 0 {
		t.Fatalf("%d calls left after the lease expired", n)
	}
	for _, r := range refs {
		if st := f.transfer(r).Status; st != domain.TransferSending {
			t.Fatalf("%s %s, want sending", r, st)
		}
	}
	if st := leaseRound(t, a); !st.Holding || st.Lease.Epoch != 2 { // Open: sending -> unknown
		t.Fatalf("A2: %+v", st)
	}
	if err := a.TrackNow(ctx, true); err != nil { // not found -> same-REFID resend
		t.Fatal(err)
	}
	for _, r := range refs {
		if x := f.transfer(r); x.Status != domain.TransferSucceeded || f.ch.paidCount(r) != 1 {
			t.Fatalf("%s: %+v paid %d", r, x, f.ch.paidCount(r))
		}
	}
}

// TestLeaseHostLockTakesOverAtOnce: on SQLite the holder also keeps an OS
// lock beside the file; when its process ends the lock is released, and a
// standby on the same computer takes over at once instead of after the TTL.
// A holder on another computer is still waited for.
func TestLeaseHostLockTakesOverAtOnce(t *testing.T) {
	f := newFixture(t, leased("kasir"))
	if _, ok := f.db.(*sqlite.DB); !ok {
		t.Skip("the host lock is the SQLite file's")
	}
	b, _ := f.second("B", "kasir", nil)
	c, _ := f.second("C", "gudang", nil)
	if st := leaseRound(t, f.e); !st.Holding || !st.Lease.HostLock {
		t.Fatalf("A: %+v", st)
	}
	if st := leaseRound(t, b); st.Holding {
		t.Fatal("B took a held lease")
	}
	f.db.(*sqlite.DB).HostUnlock() // A's process ended: the OS dropped its lock
	if st := leaseRound(t, c); st.Holding {
		t.Fatal("C on another computer must wait for the expiry")
	}
	if st := leaseRound(t, b); !st.Holding || st.Lease.Epoch != 2 {
		t.Fatalf("B on the same computer: %+v", st)
	}
}

// TestLeaseStopReleases: a holder that stops releases the lease, and a
// standby takes over without waiting for the TTL; a pause set on another
// desk reaches the holder.
func TestLeaseStopReleases(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, leased("kasir"))
	b, _ := f.second("B", "gudang", nil)
	if err := f.e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if !f.e.Lease().Holding {
		t.Fatal("A should hold after Start")
	}
	// A desk (the standby's) pauses sending: the holder's next send
	// transaction sees it and records nothing.
	if err := b.Pause(ctx, owner); err != nil {
		t.Fatal(err)
	}
	f.e.Stop()
	if st := leaseRound(t, b); !st.Holding {
		t.Fatalf("B after A stopped: %+v", st)
	}
	if !b.Paused() {
		t.Fatal("B should take over paused")
	}
}

package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/sim"
)

// Regression tests for the money bugs found in review (issue 4 follow-up).

// Success news for a transfer recorded failed means the money may have left:
// no child REFID may be created until a person resolves the conflict.
func TestSendAgainRefusedAfterContradictingSuccess(t *testing.T) {
	for _, news := range []domain.PayoutOutcome{domain.OutcomeSucceeded, domain.OutcomeAccepted, domain.OutcomeReversed} {
		t.Run(string(news), func(t *testing.T) {
			f := newFixture(t)
			tr := f.sellerTransfer()
			f.ch.plan(tr.RefID, stepFail)
			f.send()
			if got := f.transfer(tr.RefID); got.Status != domain.TransferFailed {
				t.Fatalf("setup: %s", got.Status)
			}
			sub, stop := f.e.Bus().Subscribe(64)
			defer stop()
			f.ch.set(tr.RefID, news) // the supplier reprocessed it: money left
			if _, err := f.e.CheckNow(context.Background(), owner, tr.RefID); err != nil {
				t.Fatal(err)
			}
			if got := f.transfer(tr.RefID); got.Status != domain.TransferFailed {
				t.Errorf("late news moved a failed transfer to %s", got.Status)
			}
			child, err := f.e.SendAgain(context.Background(), owner, tr.RefID, "")
			if !errors.Is(err, domain.ErrUnsafe) {
				t.Fatalf("SendAgain = %s, %v; want a refusal (would pay twice)", child.RefID, err)
			}
			cs, err := f.e.Conflicts(context.Background())
			if err != nil || len(cs) != 1 || cs[0].RefID != tr.RefID || cs[0].News != news || cs[0].Stored != domain.TransferFailed {
				t.Fatalf("conflicts = %+v, %v", cs, err)
			}
			if !sawEvent(sub, engine.EventNeedsAttention, tr.RefID) {
				t.Error("the owner was not told")
			}
			// A person checks the gateway and resolves it: then send again is allowed.
			if err := f.e.ResolveConflict(context.Background(), staff, tr.RefID, "checked"); !errors.Is(err, domain.ErrPermission) {
				t.Errorf("staff resolved a conflict: %v", err)
			}
			if err := f.e.ResolveConflict(context.Background(), owner, tr.RefID, " "); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("resolve without a note: %v", err)
			}
			f.ch.set(tr.RefID, domain.OutcomeFailed)
			if err := f.e.ResolveConflict(context.Background(), owner, tr.RefID, "portal shows it failed; refunded"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.e.SendAgain(context.Background(), owner, tr.RefID, ""); err != nil {
				t.Errorf("send again after resolving: %v", err)
			}
		})
	}
}

// Failed-versus-cancelled news means no money either way: audited, not blocking.
func TestNoMoneyContradictionDoesNotBlockSendAgain(t *testing.T) {
	f := newFixture(t)
	tr := f.sellerTransfer()
	f.ch.plan(tr.RefID, stepFail)
	f.send()
	f.ch.set(tr.RefID, domain.OutcomeCancelled)
	if _, err := f.e.CheckNow(context.Background(), owner, tr.RefID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.SendAgain(context.Background(), owner, tr.RefID, ""); err != nil {
		t.Errorf("SendAgain refused: %v", err)
	}
}

func sawEvent(sub <-chan engine.Event, kind engine.EventKind, ref string) bool {
	for {
		select {
		case ev := <-sub:
			if ev.Kind == kind && ev.RefID == ref {
				return true
			}
		default:
			return false
		}
	}
}

// slowLimiter makes every call wait d on the simulator's virtual clock.
type slowLimiter struct {
	c *sim.Clock
	d time.Duration
}

func (l slowLimiter) Wait(ctx context.Context) error { return l.c.Sleep(ctx, l.d) }

// A batch whose gateway calls take longer than one database write may take
// must still record every answer: the write deadline starts after the calls.
// Deadlines and waits are on a virtual clock, so a loaded machine cannot
// make a write miss its deadline, and a deadline taken before the calls
// fails every time.
func TestSlowBatchRecordsEveryAnswer(t *testing.T) {
	vc := sim.NewClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), 1)
	f := newFixture(t, func(c *engine.Config) {
		c.Concurrency = 1
		c.Now, c.WithTimeout = vc.Now, vc.WithTimeout
		c.Intervals.Write = 300 * time.Millisecond
		c.Limiters = map[string]engine.Limiter{"xendit/" + engine.OpPayoutCreate: slowLimiter{vc, 60 * time.Millisecond}}
	})
	for i := 0; i < 5; i++ {
		f.settle(f.order(200000), 200000) // 10 transfers: about 600ms of calls
	}
	if n, err := f.e.SendNow(context.Background()); err != nil || n != 10 {
		t.Fatalf("SendNow = %d, %v", n, err)
	}
	if s := f.transfers(domain.TransferSending); len(s) > 0 {
		t.Errorf("%d transfers left in sending although the gateway answered", len(s))
	}
	if s := f.transfers(domain.TransferSucceeded); len(s) != 10 {
		t.Errorf("%d succeeded, want 10", len(s))
	}
}

// moveTo forces a transfer's status as a lost answer or crash would leave it.
func (f *fixture) moveTo(ref string, from, to domain.TransferStatus) {
	f.t.Helper()
	err := f.db.Write(context.Background(), func(tx domain.Tx) error {
		return tx.MoveTransfer(ref, from, to, domain.TransferPatch{IncAttempts: true, MarkSent: true})
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// A transfer left in sending (its answer never recorded) is resolved by the
// running tracker's status query once past SendingAfter: never resent blindly,
// never left for a restart. Younger ones are left alone.
func TestTrackerResolvesTransferStuckInSending(t *testing.T) {
	f := newFixture(t)
	tr := f.sellerTransfer()
	f.moveTo(tr.RefID, domain.TransferApproved, domain.TransferSending)
	f.ch.set(tr.RefID, domain.OutcomeSucceeded) // the gateway did pay it
	f.clk.Add(10 * time.Second)
	if err := f.e.TrackNow(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if got := f.transfer(tr.RefID); got.Status != domain.TransferSending {
		t.Fatalf("a young sending transfer was touched: %s", got.Status)
	}
	f.clk.Add(2 * time.Minute) // past CallTimeout + Write
	if err := f.e.TrackNow(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if got := f.transfer(tr.RefID); got.Status != domain.TransferSucceeded {
		t.Errorf("status %s, want succeeded (learnt by query)", got.Status)
	}
	if f.ch.sends[tr.RefID] != 0 {
		t.Errorf("the tracker sent it %d times; it must only ask", f.ch.sends[tr.RefID])
	}
}

// The stuck alert covers sending too.
func TestStuckAlertIncludesSending(t *testing.T) {
	f := newFixture(t, func(c *engine.Config) {
		c.Intervals.StuckAfter = time.Hour
		c.Intervals.SendingAfter = 48 * time.Hour
	})
	tr := f.sellerTransfer()
	f.moveTo(tr.RefID, domain.TransferApproved, domain.TransferSending)
	sub, stop := f.e.Bus().Subscribe(64)
	defer stop()
	f.clk.Add(2 * time.Hour)
	if err := f.e.TrackNow(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if !sawEvent(sub, engine.EventNeedsAttention, tr.RefID) {
		t.Error("no stuck alert for a transfer in sending for 2h")
	}
}

// blockingChannel holds every Send until released.
type blockingChannel struct {
	*channel
	entered chan string
	release chan struct{}
}

func (b blockingChannel) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	b.entered <- req.RefID
	<-b.release
	return b.channel.Send(ctx, req)
}

// CheckNow during the transfer's own first call must not flip it to unknown.
func TestCheckNowRefusedWhileOwnSendInFlight(t *testing.T) {
	bc := blockingChannel{channel: newChannel("xendit"), entered: make(chan string, 4), release: make(chan struct{})}
	f := newFixture(t, func(c *engine.Config) { c.Channels = map[string]domain.PayoutChannel{"xendit": bc} })
	f.ch = bc.channel
	tr := f.sellerTransfer()
	done := make(chan error, 1)
	go func() { _, err := f.e.SendNow(context.Background()); done <- err }()
	<-bc.entered
	_, err := f.e.CheckNow(context.Background(), owner, tr.RefID)
	if !errors.Is(err, domain.ErrUnsafe) {
		t.Errorf("CheckNow during the first call: %v, want a refusal", err)
	}
	if got := f.transfer(tr.RefID); got.Status != domain.TransferSending {
		t.Errorf("status %s during the call, want sending", got.Status)
	}
	close(bc.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := f.transfer(tr.RefID); got.Status != domain.TransferSucceeded {
		t.Errorf("after the call: %s", got.Status)
	}
}

// noReverse is a channel that says its payouts cannot be reversed.
type noReverse struct{ *channel }

func (noReverse) MayReverse() bool { return false }

// After success the tracker keeps a low-frequency watch for a reversal, so
// succeeded -> reversed reopens the obligation without anyone pressing Check;
// not for channels that cannot reverse, and not past the watch period.
func TestReversalFoundByWatch(t *testing.T) {
	cases := []struct {
		name      string
		noReverse bool
		wait      time.Duration // before the reversal happens
		want      domain.TransferStatus
	}{
		{"reversed within hours", false, 0, domain.TransferReversed},
		{"reversed on day 6", false, 6 * 24 * time.Hour, domain.TransferReversed},
		{"past the 7-day watch", false, 8 * 24 * time.Hour, domain.TransferSucceeded},
		{"channel cannot reverse", true, 0, domain.TransferSucceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := newChannel("xendit")
			f := newFixture(t, func(cfg *engine.Config) {
				if c.noReverse {
					cfg.Channels = map[string]domain.PayoutChannel{"xendit": noReverse{ch}}
				} else {
					cfg.Channels = map[string]domain.PayoutChannel{"xendit": ch}
				}
			})
			f.ch = ch
			tr := f.sellerTransfer()
			f.send()
			if got := f.transfer(tr.RefID); got.Status != domain.TransferSucceeded {
				t.Fatalf("setup: %s", got.Status)
			}
			for el := time.Duration(0); el < c.wait; el += 6 * time.Hour {
				f.clk.Add(6 * time.Hour)
				f.track()
			}
			f.ch.set(tr.RefID, domain.OutcomeReversed) // money came back at the gateway
			for i := 0; i < 30; i++ {                  // 30 h of tracking
				f.clk.Add(time.Hour)
				f.track()
			}
			if got := f.transfer(tr.RefID); got.Status != c.want {
				t.Errorf("status %s, want %s", got.Status, c.want)
			}
			if c.want == domain.TransferReversed {
				f.checkLedger()
			}
		})
	}
}

// Pause stops every send, including the tracker's and Retry's same-REFID resends.
func TestPauseStopsSameRefIDResends(t *testing.T) {
	f := newFixture(t)
	tr := f.sellerTransfer()
	f.ch.plan(tr.RefID, stepLost) // never arrives: unknown, the gateway has no record
	f.send()
	if got := f.transfer(tr.RefID); got.Status != domain.TransferUnknown {
		t.Fatalf("setup: %s", got.Status)
	}
	if err := f.e.Pause(context.Background(), owner); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute)
	f.track()
	if n := f.ch.sends[tr.RefID]; n != 1 {
		t.Errorf("paused engine resent: %d sends", n)
	}
	if _, err := f.e.Retry(context.Background(), owner, tr.RefID); !errors.Is(err, domain.ErrUnsafe) {
		t.Errorf("Retry while paused: %v, want a refusal", err)
	}
	if n := f.ch.sends[tr.RefID]; n != 1 {
		t.Errorf("Retry while paused resent: %d sends", n)
	}
	if err := f.e.Resume(context.Background(), owner); err != nil {
		t.Fatal(err)
	}
	f.track()
	if got := f.transfer(tr.RefID); got.Status != domain.TransferSucceeded || f.ch.paidCount(tr.RefID) != 1 {
		t.Errorf("after resume: %s, paid %d", got.Status, f.ch.paidCount(tr.RefID))
	}
}

// recorder remembers every payout request a channel received.
type recorder struct {
	*channel
	mu   sync.Mutex
	reqs []domain.PayoutRequest
}

func (r *recorder) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.channel.Send(ctx, req)
}

// The destination is fixed when the transfer is created: a payee changed
// afterwards (before approval, before sending, between resends) does not
// redirect the money; the first send and the same-REFID resend both go to
// the approved account. A new attempt (send again) takes the payee's current
// account and goes through approval again.
func TestDestinationFixedAtCreation(t *testing.T) {
	rec := &recorder{channel: newChannel("xendit")}
	f := newFixture(t, held, func(c *engine.Config) { c.Channels = map[string]domain.PayoutChannel{"xendit": rec} })
	f.ch = rec.channel
	tr := f.sellerTransfer()
	approvedAcct := f.payees[0].AccountNumber
	changePayee := func(acct string) {
		t.Helper()
		err := f.db.Write(context.Background(), func(tx domain.Tx) error {
			p, err := tx.GetPayee(f.payees[0].ID)
			if err != nil {
				return err
			}
			p.AccountNumber, p.AccountHolder = acct, "Someone Else"
			return tx.UpdatePayee(&p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	changePayee("9999999999") // after creation, before approval
	if d, err := f.e.Destination(context.Background(), tr.RefID); err != nil || d.AccountNumber != approvedAcct {
		t.Fatalf("destination shown for approval = %+v, %v", d, err)
	}
	if err := f.e.Approve(context.Background(), owner, "", tr.RefID); err != nil {
		t.Fatal(err)
	}
	changePayee("8888888888") // after approval, before sending
	f.ch.plan(tr.RefID, stepLost, stepFail)
	f.send() // lost: unknown
	changePayee("7777777777")
	f.clk.Add(time.Minute)
	f.track() // not found: same-REFID resend, fails for good
	if got := f.transfer(tr.RefID); got.Status != domain.TransferFailed {
		t.Fatalf("setup: %s", got.Status)
	}
	rec.mu.Lock()
	reqs := append([]domain.PayoutRequest(nil), rec.reqs...)
	rec.mu.Unlock()
	if len(reqs) != 2 {
		t.Fatalf("%d sends, want 2", len(reqs))
	}
	for i, r := range reqs {
		if r.AccountNumber != approvedAcct || r.AccountHolder != f.payees[0].AccountHolder {
			t.Errorf("send %d went to %s (%s), want the approved %s", i+1, r.AccountNumber, r.AccountHolder, approvedAcct)
		}
		if r.Attempt != i+1 {
			t.Errorf("send %d carries Attempt %d", i+1, r.Attempt)
		}
	}
	child, err := f.e.SendAgain(context.Background(), owner, tr.RefID, "")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := f.e.Destination(context.Background(), child.RefID); d.AccountNumber != "7777777777" || child.Status != domain.TransferAwaitingApproval {
		t.Errorf("child %s: destination %s, want the payee's current account and approval", child.Status, d.AccountNumber)
	}
}

func (f *fixture) payment(ext string) domain.Payment {
	f.t.Helper()
	var p domain.Payment
	if err := f.db.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		p, err = tx.GetPaymentByExternalID(ext)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// A payment Lunas closed as expired by itself gets a final check at the
// gateway; a late PAID flags it for a person (payment and order flagged,
// events, audit), never silently dropped and never paid out automatically.
func TestLatePaidAfterLocalExpiryIsFlagged(t *testing.T) {
	cases := []struct {
		name      string
		payAfter  time.Duration // after the local expiry
		wantState domain.PaymentStatus
	}{
		{"paid just after local expiry", 0, domain.PaymentFlagged},
		{"paid two days later (link still open at the gateway)", 48 * time.Hour, domain.PaymentFlagged},
		{"never paid", -1, domain.PaymentExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ext := f.order(200000)
			f.clk.Add(25 * time.Hour) // past ExpiresAt + grace, gateway still says pending
			if err := f.e.PollNow(context.Background()); err != nil {
				t.Fatal(err)
			}
			if p := f.payment(ext); p.Status != domain.PaymentExpired {
				t.Fatalf("setup: %s", p.Status)
			}
			sub, stop := f.e.Bus().Subscribe(64)
			defer stop()
			poll := func(d time.Duration) {
				for el := time.Duration(0); el < d; el += time.Hour {
					f.clk.Add(time.Hour)
					if err := f.e.PollNow(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}
			if c.payAfter >= 0 {
				poll(c.payAfter)
				f.gw.pay(ext, 200000) // the buyer's late payment settles at the gateway
			}
			poll(8 * time.Hour)
			p := f.payment(ext)
			if p.Status != c.wantState {
				t.Fatalf("payment %s, want %s", p.Status, c.wantState)
			}
			if len(f.transfers()) != 0 {
				t.Error("a late payment was paid out automatically")
			}
			if c.wantState != domain.PaymentFlagged {
				return
			}
			if p.PaidAmount != 200000 || p.FlagReason == "" {
				t.Errorf("flagged payment: paid %s, reason %q", p.PaidAmount, p.FlagReason)
			}
			var o domain.Order
			f.db.Read(context.Background(), func(tx domain.ReadTx) error { o, _ = tx.GetOrder(p.OrderID); return nil })
			if o.Status != domain.OrderFlagged {
				t.Errorf("order %s, want flagged", o.Status)
			}
			flagged := false
			for done := false; !done; {
				select {
				case ev := <-sub:
					flagged = flagged || (ev.Kind == engine.EventPaymentFlagged && ev.Payment == ext)
				default:
					done = true
				}
			}
			if !flagged {
				t.Error("no payment-flagged event")
			}
		})
	}
}

// failingRisk fails for one amount, as a broken rule or record would.
type failingRisk struct{ bad domain.Rupiah }

func (r failingRisk) Assess(ctx context.Context, tx domain.Tx, t domain.Transfer) (engine.Assessment, error) {
	if t.Amount == r.bad {
		return engine.Assessment{}, errors.New("rule data damaged")
	}
	return engine.Assessment{}, nil
}

// One payment that cannot be settled must not roll back its whole batch
// forever: the others settle, the bad one is flagged, and polling moves on.
func TestOneBadPaymentDoesNotBlockItsBatch(t *testing.T) {
	// The seller's share of 300,000 is 70% = 210,000.
	f := newFixture(t, func(c *engine.Config) { c.Risk = failingRisk{bad: 210000} })
	good1, bad, good2 := f.order(200000), f.order(300000), f.order(250000)
	f.gw.pay(good1, 200000)
	f.gw.pay(bad, 300000)
	f.gw.pay(good2, 250000)
	if err := f.e.PollNow(context.Background()); err != nil {
		t.Fatalf("PollNow: %v", err)
	}
	for ext, want := range map[string]domain.PaymentStatus{good1: domain.PaymentSettled, good2: domain.PaymentSettled, bad: domain.PaymentFlagged} {
		if p := f.payment(ext); p.Status != want {
			t.Errorf("%s: %s, want %s", ext, p.Status, want)
		}
	}
	if n := len(f.transfers()); n != 4 {
		t.Errorf("%d transfers, want 4 (two per good payment)", n)
	}
	f.checkLedger()
}

// countingChannel counts status queries.
type countingChannel struct {
	*channel
	queries *int
	mu      *sync.Mutex
}

func (c countingChannel) Status(ctx context.Context, ref string) (domain.PayoutResult, error) {
	c.mu.Lock()
	*c.queries++
	c.mu.Unlock()
	return c.channel.Status(ctx, ref)
}

// The reversal watch's schedule is kept in the store: a restarted engine
// makes up, once, the checks that fell due while Lunas was off (two points
// passed here, one check each), asks nothing that is not due, and then
// follows the schedule; a third engine started right after asks nothing.
func TestReversalWatchScheduleSurvivesRestart(t *testing.T) {
	var n int
	var mu sync.Mutex
	ch := newChannel("xendit")
	counting := map[string]domain.PayoutChannel{"xendit": countingChannel{ch, &n, &mu}}
	f := newFixture(t, func(c *engine.Config) { c.Channels = counting })
	f.ch = ch
	for i := 0; i < 4; i++ {
		f.settle(f.order(200000), 200000)
	}
	f.send()
	if s := f.transfers(domain.TransferSucceeded); len(s) != 8 {
		t.Fatalf("setup: %d succeeded", len(s))
	}
	f.track() // the watch takes them on: first checks at 1 h
	if n != 0 {
		t.Fatalf("%d status queries right after success, want 0", n)
	}
	restart := func() *engine.Engine {
		e, err := engine.New(engine.Config{Store: f.db, Channels: counting, Now: f.clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	track := func(e *engine.Engine) {
		if err := e.TrackNow(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	f.clk.Add(5 * time.Hour) // off through the 1 h and 3 h points
	e2 := restart()
	track(e2)
	if n != 8 {
		t.Errorf("%d status queries after the restart, want 8 (each missed check made up once)", n)
	}
	track(e2)
	track(restart())
	if n != 8 {
		t.Errorf("%d status queries, want still 8: nothing is due until the next point", n)
	}
	f.clk.Add(2*time.Hour + time.Minute)
	track(restart())
	if n != 16 {
		t.Errorf("%d status queries at the next point, want 16", n)
	}
}

// When the person confirms at the gateway that a "failed" transfer paid after
// all, the correction is explicit and audited: succeeded, booked, obligation
// paid, conflict closed; no child REFID is possible afterwards.
func TestConfirmPaidAfterAllBooksTheMoney(t *testing.T) {
	f := newFixture(t)
	tr := f.sellerTransfer()
	f.ch.plan(tr.RefID, stepFail)
	f.send()
	if err := f.e.ConfirmPaidAfterAll(context.Background(), owner, tr.RefID, "portal says paid"); !errors.Is(err, domain.ErrInvalidTransition) {
		t.Errorf("correction without a conflict: %v", err)
	}
	f.ch.set(tr.RefID, domain.OutcomeSucceeded)
	if _, err := f.e.CheckNow(context.Background(), owner, tr.RefID); err != nil {
		t.Fatal(err)
	}
	if v := f.checkLedger()[domain.PayableAccount(tr.PayeeID)]; v == 0 {
		t.Fatal("setup: the seller's payable is already 0 before the correction")
	}
	if err := f.e.ConfirmPaidAfterAll(context.Background(), staff, tr.RefID, "x"); !errors.Is(err, domain.ErrPermission) {
		t.Errorf("staff corrected: %v", err)
	}
	if err := f.e.ConfirmPaidAfterAll(context.Background(), owner, tr.RefID, "Iris portal: completed 10:02"); err != nil {
		t.Fatal(err)
	}
	if got := f.transfer(tr.RefID); got.Status != domain.TransferSucceeded {
		t.Errorf("after correction: %s", got.Status)
	}
	if cs, _ := f.e.Conflicts(context.Background()); len(cs) != 0 {
		t.Errorf("conflict still open: %+v", cs)
	}
	var ob domain.Obligation
	f.db.Read(context.Background(), func(tx domain.ReadTx) error { ob, _ = tx.GetObligation(tr.ObligationID); return nil })
	if ob.Status != domain.ObligationPaid {
		t.Errorf("obligation %s, want paid", ob.Status)
	}
	if _, err := f.e.SendAgain(context.Background(), owner, tr.RefID, ""); !errors.Is(err, domain.ErrUnsafe) {
		t.Errorf("send again after the correction: %v", err)
	}
	bal := f.checkLedger()
	if v := bal[domain.PayableAccount(tr.PayeeID)]; v != 0 {
		t.Errorf("seller's payable is %s after the booked payout, want 0", v)
	}
}

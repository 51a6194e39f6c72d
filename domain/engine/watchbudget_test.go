package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/gateways"
)

// blockedLimiter never admits a call: a budget that is used up. Each
// caller that starts waiting is announced on waiting.
type blockedLimiter struct{ waiting chan struct{} }

func (l blockedLimiter) Wait(ctx context.Context) error {
	select {
	case l.waiting <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

// The reversal watch runs on a budget of its own (OpPayoutWatch) and in a
// loop of its own: with that budget used up, the watch asks nothing, the
// tracker still resolves a transfer in progress, and Stop does not wait
// for the watch's turn.
func TestWatchBudgetDoesNotHoldUpTracking(t *testing.T) {
	budget := blockedLimiter{waiting: make(chan struct{}, 4)}
	f := newFixture(t, func(cfg *engine.Config) {
		cfg.Limiters = map[string]engine.Limiter{"xendit/" + engine.OpPayoutWatch: budget}
		cfg.Intervals = engine.Intervals{TrackFirst: 10 * time.Millisecond, TrackMax: 50 * time.Millisecond, Send: 10 * time.Millisecond}
	})
	done := f.sellerTransfer()
	f.send()
	if got := f.transfer(done.RefID); got.Status != domain.TransferSucceeded {
		t.Fatalf("setup: %s", got.Status)
	}
	f.track()                // the watch takes it on: first check in an hour
	f.clk.Add(2 * time.Hour) // that check is due

	open := f.sellerTransfer()
	f.ch.plan(open.RefID, stepAccept)
	f.send()
	if got := f.transfer(open.RefID); got.Status != domain.TransferAccepted {
		t.Fatalf("setup: %s", got.Status)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := f.e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select { // the watch is waiting for its budget; let every loop reach its wait
	case <-budget.waiting:
		time.Sleep(100 * time.Millisecond)
	case <-time.After(stallLimit):
		t.Fatal("the watch never asked for its budget")
	}
	f.ch.set(open.RefID, domain.OutcomeSucceeded)
	deadline := time.Now().Add(stallLimit)
	for f.transfer(open.RefID).Status != domain.TransferSucceeded {
		if time.Now().After(deadline) {
			t.Fatalf("the tracker did not resolve %s while the watch waited for its budget", open.RefID)
		}
		f.clk.Add(time.Second)
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.ch.askedCount(done.RefID); n != 0 {
		t.Errorf("the watch asked %d times with no budget", n)
	}

	stopped := make(chan struct{})
	go func() { f.e.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(stallLimit):
		t.Fatal("Stop waited for the watch's budget")
	}
}

// A rate limit's wait is not the gateway's silence: with more transfers
// than the window admits, the ones that wait for their turn longer than a
// call's timeout are still sent, once each, and none is recorded unknown.
func TestRateLimitWaitIsNotATimeout(t *testing.T) {
	f := newFixture(t, func(cfg *engine.Config) {
		cfg.Limiters = map[string]engine.Limiter{"xendit/" + engine.OpPayoutCreate: gateways.NewWindowLimiter(2, 300*time.Millisecond, 0)}
		cfg.Intervals = engine.Intervals{CallTimeout: 100 * time.Millisecond}
	})
	f.settle(f.order(200000), 200000)
	f.settle(f.order(200000), 200000) // 4 approved transfers, 2 per window
	f.send()
	all := f.transfers()
	if len(all) != 4 {
		t.Fatalf("setup: %d transfers", len(all))
	}
	for _, x := range all {
		if x.Status != domain.TransferSucceeded || f.ch.sends[x.RefID] != 1 {
			t.Errorf("%s: %s after %d sends (%s); want succeeded after one", x.RefID, x.Status, f.ch.sends[x.RefID], x.FailureReason)
		}
	}
}

// slowStatus makes every status query take a while, so that two watch rounds
// started together overlap.
type slowStatus struct{ *channel }

func (s slowStatus) Status(ctx context.Context, ref string) (domain.PayoutResult, error) {
	time.Sleep(100 * time.Millisecond)
	return s.channel.Status(ctx, ref)
}

// Two watch rounds at once (the watch loop and "check now") ask each due
// transfer once, not twice.
func TestConcurrentWatchRoundsAskOnce(t *testing.T) {
	ch := newChannel("xendit")
	f := newFixture(t, func(cfg *engine.Config) { cfg.Channels = map[string]domain.PayoutChannel{"xendit": slowStatus{ch}} })
	f.ch = ch
	f.settle(f.order(200000), 200000)
	f.send()
	f.track() // watched from now: first check in an hour
	f.clk.Add(61 * time.Minute)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.e.TrackNow(context.Background(), false); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, x := range f.transfers(domain.TransferSucceeded) {
		if n := ch.askedCount(x.RefID); n != 1 {
			t.Errorf("%s asked %d times at its first check, want 1", x.RefID, n)
		}
	}
}

// A succeeded transfer whose channel is no longer set up is not asked about
// and does not take the round's places: the others are still watched.
func TestWatchSkipsTransfersOfRemovedChannel(t *testing.T) {
	iris := newChannel("iris")
	f := newFixture(t)
	supplier := f.payees[1].ID // paid through Iris; Batch 4: one watch check a round
	f2, err := engine.New(engine.Config{Store: f.db, Payments: map[string]domain.PaymentGateway{"xendit": f.gw},
		Channels: map[string]domain.PayoutChannel{"xendit": f.ch, "iris": iris}, DefaultChannel: "xendit", Now: f.clk.Now, Batch: 4,
		Route: func(p domain.Payee) string {
			if p.ID == supplier {
				return "iris"
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	f.e = f2
	for i := 0; i < 3; i++ {
		f.settle(f.order(200000), 200000)
	}
	f.send()
	f.send() // a batch of 4 a round
	if n := len(f.transfers(domain.TransferSucceeded)); n != 6 {
		t.Fatalf("setup: %d succeeded", n)
	}
	// Iris is removed from the settings; the engine starts without it.
	e3, err := engine.New(engine.Config{Store: f.db, Channels: map[string]domain.PayoutChannel{"xendit": f.ch}, Now: f.clk.Now, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		f.clk.Add(time.Hour)
		if err := e3.TrackNow(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range f.transfers(domain.TransferSucceeded) {
		if x.Channel == "xendit" && f.ch.askedCount(x.RefID) == 0 {
			t.Errorf("%s (xendit) never checked for a reversal", x.RefID)
		}
		if x.Channel == "iris" && iris.askedCount(x.RefID) != 0 {
			t.Errorf("%s (iris, removed) asked", x.RefID)
		}
	}
}

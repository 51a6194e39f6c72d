package engine_test

import (
	"context"
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
	case <-time.After(10 * time.Second):
		t.Fatal("the watch never asked for its budget")
	}
	f.ch.set(open.RefID, domain.OutcomeSucceeded)
	deadline := time.Now().Add(10 * time.Second)
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
	case <-time.After(10 * time.Second):
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

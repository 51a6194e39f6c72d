package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// sendClock records the engine clock at every Send of a windowed channel.
type sendClock struct {
	windowed
	clk   *clock
	times map[string][]time.Time
}

func (s *sendClock) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	s.mu.Lock()
	s.times[req.RefID] = append(s.times[req.RefID], s.clk.Now())
	s.mu.Unlock()
	return s.windowed.Send(ctx, req)
}

func (s *sendClock) at(ref string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times[ref]...)
}

// windowFixture is a fixture whose channel forgets a REFID two hours after
// its first send and never receives the seller's sends (they are lost on
// the way, so the gateway keeps answering not_found).
func windowFixture(t *testing.T, opts ...opt) (*fixture, *sendClock, domain.Transfer) {
	t.Helper()
	var sc *sendClock
	opts = append([]opt{func(c *engine.Config) {
		ch := newChannel("xendit")
		ch.window = 2 * time.Hour
		sc = &sendClock{windowed: windowed{ch}, times: map[string][]time.Time{}}
		c.Channels["xendit"] = sc
	}}, opts...)
	f := newFixture(t, opts...)
	sc.clk, f.ch = f.clk, sc.channel
	lost := make([]step, 200)
	for i := range lost {
		lost[i] = stepLost
	}
	f.settle(f.order(200000), 200000) // creates the transfers; nothing is sent yet
	var tr domain.Transfer
	for _, x := range f.transfers() {
		if x.PayeeID == f.payees[0].ID {
			tr = x
		}
	}
	f.ch.plan(tr.RefID, lost...)
	f.send()
	return f, sc, tr
}

// TestResendNeverOutsideTheKeyWindow: an unknown transfer the gateway has no
// record of is resent with the same REFID only while the channel's key
// window is open; from then on the tracker keeps asking but never sends, the
// transfer stays unknown with a readable reason, and needs attention is
// raised exactly once.
func TestResendNeverOutsideTheKeyWindow(t *testing.T) {
	f, sc, tr := windowFixture(t)
	events, stop := f.e.Bus().Subscribe(1024)
	defer stop()
	first := f.transfer(tr.RefID).SentAt
	end := first.Add(2 * time.Hour)
	for i := 0; i < 60; i++ { // 7 hours, a tracker round every 7 minutes
		f.clk.Add(7 * time.Minute)
		f.track()
	}
	sends := sc.at(tr.RefID)
	if len(sends) < 3 {
		t.Fatalf("only %d sends: the window was not used", len(sends))
	}
	for _, at := range sends {
		if !at.Before(end) {
			t.Fatalf("a resend at %v, the window ended at %v", at, end)
		}
	}
	got := f.transfer(tr.RefID)
	if got.Status != domain.TransferUnknown || !strings.Contains(got.FailureReason, "will not send it again") || !strings.Contains(got.FailureReason, "tidak mengirim ulang") {
		t.Fatalf("after the window: %s %q", got.Status, got.FailureReason)
	}
	attention := 0
	for len(events) > 0 {
		if ev := <-events; ev.Kind == engine.EventNeedsAttention && ev.RefID == tr.RefID {
			attention++
		}
	}
	if attention != 1 {
		t.Fatalf("needs attention raised %d times, want once", attention)
	}
	if f.ch.paidCount(tr.RefID) != 0 {
		t.Fatal("paid")
	}
	// Retry by a person is refused the same way.
	if _, err := f.e.Retry(context.Background(), staff, tr.RefID); err == nil {
		t.Fatal("retry past the window was allowed")
	}
	if n := len(sc.at(tr.RefID)); n != len(sends) {
		t.Fatalf("retry sent: %d sends, was %d", n, len(sends))
	}
}

// TestResendRuleIsTheOnePlace: a planted rule (always allowed) replaces the
// window decision everywhere the engine resends, so a simulator can plant
// "resending after key expiry" and must see it happen.
func TestResendRuleIsTheOnePlace(t *testing.T) {
	f, sc, tr := windowFixture(t, func(c *engine.Config) {
		c.ResendAllowed = func(domain.KeyWindow, time.Time, time.Time) bool { return true }
	})
	first := f.transfer(tr.RefID).SentAt
	f.clk.Add(3 * time.Hour)
	f.track()
	sends := sc.at(tr.RefID)
	if last := sends[len(sends)-1]; last.Sub(first) < 3*time.Hour {
		t.Fatalf("the planted rule did not resend past the window: last send %v after the first", last.Sub(first))
	}
}

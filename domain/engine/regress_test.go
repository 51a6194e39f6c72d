package engine_test

import (
	"context"
	"errors"
	"testing"

	"lunas/domain"
	"lunas/domain/engine"
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

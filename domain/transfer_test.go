package domain

import (
	"errors"
	"testing"
)

// legalTransfers is the state machine written out independently of
// transferTransitions, from DESIGN.md's REFID rules: the one place a change to
// the table must be confirmed.
var legalTransfers = map[[2]TransferStatus]bool{
	{TransferAwaitingApproval, TransferApproved}: true,
	{TransferAwaitingApproval, TransferRejected}: true,
	{TransferApproved, TransferSending}:          true,
	{TransferApproved, TransferQueuedBalance}:    true,
	{TransferApproved, TransferAwaitingApproval}: true, // re-held by a risk rule before sending
	{TransferQueuedBalance, TransferApproved}:    true,
	{TransferQueuedBalance, TransferRejected}:    true,
	{TransferSending, TransferAccepted}:          true,
	{TransferSending, TransferUnknown}:           true,
	{TransferSending, TransferSucceeded}:         true,
	{TransferSending, TransferFailed}:            true,
	{TransferAccepted, TransferSucceeded}:        true,
	{TransferAccepted, TransferFailed}:           true,
	{TransferAccepted, TransferCancelled}:        true,
	{TransferUnknown, TransferSending}:           true, // resend of the same REFID
	{TransferUnknown, TransferAccepted}:          true,
	{TransferUnknown, TransferSucceeded}:         true,
	{TransferUnknown, TransferFailed}:            true,
	{TransferUnknown, TransferCancelled}:         true,
	{TransferSucceeded, TransferReversed}:        true,
}

func TestTransferTransitionsEveryPair(t *testing.T) {
	all := append([]TransferStatus{"", "bogus"}, AllTransferStatuses...)
	legal := 0
	for _, from := range all {
		for _, to := range all {
			want := legalTransfers[[2]TransferStatus{from, to}]
			err := CheckTransition(from, to)
			switch {
			case want && err != nil:
				t.Errorf("%s -> %s refused (%v), want allowed", from, to, err)
			case !want && !errors.Is(err, ErrInvalidTransition):
				t.Errorf("%s -> %s = %v, want ErrInvalidTransition", from, to, err)
			}
			if CanTransition(from, to) != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, !want, want)
			}
			if want {
				legal++
			}
		}
	}
	if legal != len(legalTransfers) {
		t.Errorf("%d legal moves found among known statuses, table lists %d", legal, len(legalTransfers))
	}
}

// TestTransferREFIDRules checks properties the REFID rules depend on.
func TestTransferREFIDRules(t *testing.T) {
	for _, s := range AllTransferStatuses {
		if !s.Valid() {
			t.Errorf("%s not Valid", s)
		}
		// A definite failure, rejection, cancellation or reversal never moves
		// on: a new attempt is a new (child) REFID.
		if s.Final() && s != TransferSucceeded {
			for _, to := range AllTransferStatuses {
				if CanTransition(s, to) {
					t.Errorf("final %s can move to %s", s, to)
				}
			}
		}
		// Unknown is not failed: news can still arrive for any in-flight REFID.
		if s.InFlight() && !CanTransition(s, TransferSucceeded) {
			t.Errorf("in-flight %s cannot learn success", s)
		}
		// Nothing returns to before sending once a call may have been made.
		if s.InFlight() || s.Final() {
			for _, pre := range []TransferStatus{TransferAwaitingApproval, TransferApproved, TransferQueuedBalance} {
				if CanTransition(s, pre) {
					t.Errorf("%s can go back to %s", s, pre)
				}
			}
		}
	}
	if TransferStatus("bogus").Valid() || TransferStatus("").Valid() {
		t.Error("unknown status reported Valid")
	}
	if len(AllTransferStatuses) != 11 {
		t.Errorf("%d statuses, want 11 (update the schema CHECK in domain/sqlite when adding one)", len(AllTransferStatuses))
	}
}

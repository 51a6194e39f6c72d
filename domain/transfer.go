package domain

import (
	"fmt"
	"time"
)

// TransferStatus is a transfer's place in its state machine.
type TransferStatus string

// Transfer statuses. See DESIGN.md "REFID rules".
const (
	TransferAwaitingApproval TransferStatus = "awaiting_approval" // held for a person (limits, risk rules, new attempt)
	TransferApproved         TransferStatus = "approved"          // cleared to send; the sender picks it up
	TransferQueuedBalance    TransferStatus = "queued_balance"    // approved but the channel balance is too low
	TransferSending          TransferStatus = "sending"           // intent committed; a call to the gateway may be in flight
	TransferAccepted         TransferStatus = "accepted"          // gateway acknowledged the REFID; not final
	TransferUnknown          TransferStatus = "unknown"           // outcome not known: resolved only by news about this REFID
	TransferSucceeded        TransferStatus = "succeeded"         // money arrived
	TransferFailed           TransferStatus = "failed"            // gateway reported a final failure for this REFID
	TransferReversed         TransferStatus = "reversed"          // money came back after success; obligation reopened
	TransferRejected         TransferStatus = "rejected"          // a person refused it before sending
	TransferCancelled        TransferStatus = "cancelled"         // cancelled at the gateway before processing
)

// transferTransitions is the one table of allowed moves. Anything not listed
// is refused with ErrInvalidTransition.
var transferTransitions = map[TransferStatus][]TransferStatus{
	TransferAwaitingApproval: {TransferApproved, TransferRejected},
	TransferApproved:         {TransferSending, TransferQueuedBalance, TransferAwaitingApproval},
	TransferQueuedBalance:    {TransferApproved, TransferRejected},
	TransferSending:          {TransferAccepted, TransferUnknown, TransferSucceeded, TransferFailed},
	TransferAccepted:         {TransferSucceeded, TransferFailed, TransferCancelled},
	TransferUnknown:          {TransferSending, TransferAccepted, TransferSucceeded, TransferFailed, TransferCancelled},
	TransferSucceeded:        {TransferReversed},
}

// AllTransferStatuses lists every status in display order.
var AllTransferStatuses = []TransferStatus{
	TransferAwaitingApproval, TransferApproved, TransferQueuedBalance, TransferSending,
	TransferAccepted, TransferUnknown, TransferSucceeded, TransferFailed,
	TransferReversed, TransferRejected, TransferCancelled,
}

// Valid reports whether s is a known status.
func (s TransferStatus) Valid() bool {
	for _, v := range AllTransferStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Final reports whether no further move is possible except reversal.
func (s TransferStatus) Final() bool {
	switch s {
	case TransferSucceeded, TransferFailed, TransferReversed, TransferRejected, TransferCancelled:
		return true
	}
	return false
}

// InFlight reports whether the gateway may hold (or be about to hold) this
// REFID with an open outcome. While a transfer is in flight no new REFID may
// be sent for its obligation.
func (s TransferStatus) InFlight() bool {
	switch s {
	case TransferSending, TransferAccepted, TransferUnknown:
		return true
	}
	return false
}

// CanTransition reports whether from -> to is allowed.
func CanTransition(from, to TransferStatus) bool {
	for _, t := range transferTransitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// CheckTransition returns ErrInvalidTransition (wrapped with both names)
// unless from -> to is allowed.
func CheckTransition(from, to TransferStatus) error {
	if CanTransition(from, to) {
		return nil
	}
	return fmt.Errorf("%s -> %s: %w", from, to, ErrInvalidTransition)
}

// Transfer is one attempt to pay an obligation, identified forever by its REFID.
type Transfer struct {
	ID            int64
	RefID         string // permanent; the gateway's idempotency key and merchant reference
	ParentRefID   string // the failed attempt this one replaces ("send again"), or ""
	ObligationID  int64
	PayeeID       int64
	Channel       string // payout channel name, e.g. "xendit", "iris", "h2h:supplierA"
	Amount        Rupiah
	Status        TransferStatus
	GatewayRef    string // the gateway's own id for this payout
	FailureCode   string // gateway code for a failure, or a local reason code
	FailureReason string // readable reason
	HoldReason    string // why it waits for approval, readable
	Attempts      int    // calls made with this REFID (sends and resends)
	CreatedBy     string // user name or "engine"
	ApprovedBy    string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        time.Time // first time the sending intent was committed
}

// TransferPatch carries the fields a status move may set alongside the new status.
// Empty values leave the stored value unchanged.
type TransferPatch struct {
	GatewayRef    string
	FailureCode   string
	FailureReason string
	HoldReason    string
	ApprovedBy    string
	Channel       string
	IncAttempts   bool // add one to Attempts (a call with this REFID is about to be made)
	MarkSent      bool // set SentAt if unset
}

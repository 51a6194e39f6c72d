package engine

import (
	"context"
	"time"

	"lunas/domain"
)

// Destination is where a transfer's money goes, fixed when the transfer is
// created: it is what the approver approves, and the sender and every
// same-REFID resend use it, never the payee's current data.
type Destination struct {
	Bank          string // bank or e-wallet code (the payee's Channel)
	AccountNumber string
	AccountHolder string
	Email         string
}

// DestinationTx stores a transfer's destination (sealed at rest by the store).
type DestinationTx interface {
	SaveDestination(transferID int64, d Destination, at time.Time) error
}

// DestinationReader reads a transfer's destination; domain.ErrNotFound when
// the transfer has none (created before destinations were recorded).
// GetDestinations reads a batch's (the sender's) in one go; a transfer
// without one is absent from the map.
type DestinationReader interface {
	GetDestination(transferID int64) (Destination, error)
	GetDestinations(transferIDs []int64) (map[int64]Destination, error)
}

// Conflict is gateway news that contradicts a transfer's final status, for
// example "succeeded" for a transfer recorded failed: money may have moved.
// While it is open, no new REFID is created for the obligation.
type Conflict struct {
	RefID  string
	Stored domain.TransferStatus // what Lunas had recorded
	News   domain.PayoutOutcome  // what the gateway said
	Detail string
	At     time.Time
}

// ConflictTx records and resolves conflicts (implemented by the store's
// transaction type). RecordConflict keeps the first open conflict of a
// transfer; a repeat is not an error.
type ConflictTx interface {
	RecordConflict(c Conflict) error
	ResolveConflict(refID, by, resolution string, at time.Time) error
}

// ConflictReader lists open conflicts.
type ConflictReader interface {
	// OpenConflicts returns the open conflicts of the given transfers (all
	// open conflicts when refIDs is empty), oldest first.
	OpenConflicts(refIDs ...string) ([]Conflict, error)
}

// RecentReader lists transfers in a status changed since a time (implemented
// by the store's transaction type; used to watch recent successes for a reversal).
type RecentReader interface {
	ListTransfersUpdatedSince(status domain.TransferStatus, since time.Time, limit int) ([]domain.Transfer, error)
}

// PendingSpanReader reports the creation times of a gateway's oldest and
// newest pending payments and how many are pending (implemented by the
// store's transaction type): the list loop's interval and how far back it
// asks.
type PendingSpanReader interface {
	PendingSpan(gateway string) (oldest, newest time.Time, n int, err error)
}

// WatchPoint is where a transfer is in the reversal watch's schedule.
type WatchPoint struct {
	Next  time.Time // next check
	Tries int       // checks made so far
}

// WatchStore keeps the reversal watch's schedule across restarts
// (implemented by the store's transaction type).
type WatchStore interface {
	// WatchPoints returns the stored points of the given transfers.
	WatchPoints(refIDs []string) (map[string]WatchPoint, error)
	// SetWatchPoint stores a transfer's point (write transactions only).
	SetWatchPoint(refID string, p WatchPoint) error
	// PruneWatch forgets the points of transfers that are no longer
	// succeeded or succeeded before since (write transactions only).
	PruneWatch(since time.Time) error
}

// ReversalReporter is implemented by a payout channel that knows whether its
// payouts can be reversed after success. A channel without it is watched.
type ReversalReporter interface {
	MayReverse() bool
}

// PaidLister is a payment gateway that can list only the payments paid since
// a time. The poller prefers it to domain.PaymentLister's RecentPayments when
// one request per page is cheaper than one per status (Xendit: paid and
// expired are two filters); expiry is learnt from the payment's own status
// once it is past ExpiresAt.
type PaidLister interface {
	RecentPaid(ctx context.Context, since time.Time) ([]domain.PaymentResult, error)
}

// PaidPager is a PaidLister whose answer, cut short at its page cap in a
// burst, can go on where it stopped: from is the next of the answer before
// ("" for the start), and next is "" once the list was read to its end. The
// engine settles each part as it arrives and moves its list cursor only
// after the last, so a burst of any size is settled by the list, not left
// to the one-by-one safety net minutes later.
type PaidPager interface {
	RecentPaidFrom(ctx context.Context, since time.Time, from string) (rs []domain.PaymentResult, next string, err error)
}

// FinalCheckReader lists closed payments whose final check at the gateway is
// due (implemented by the store's transaction type).
type FinalCheckReader interface {
	ListPaymentsFinalCheck(status domain.PaymentStatus, now time.Time, limit int) ([]domain.Payment, error)
}

// CorrectionTx moves a transfer outside the automatic state machine, for a
// person's audited correction only (implemented by the store's transaction type).
type CorrectionTx interface {
	CorrectTransferStatus(refID string, from, to domain.TransferStatus, reason string) error
}

// NoteTx records why a transfer waits without moving it (compare-and-set on
// its status), so that a person sees the reason (implemented by the store's
// transaction type). A store without it loses only the stored reason: the
// audit entry and the needs-attention event are still made.
type NoteTx interface {
	NoteTransfer(refID string, status domain.TransferStatus, reason string) error
}

// Prefetcher is implemented by a store whose every read is a round trip to
// a server (PostgreSQL). Before a batch the engine names the rows it is
// about to read in its write transaction; the store reads them together
// and answers the batch's reads from what it read, within that transaction
// only. It is a hint: a store without it reads each row when asked, and
// what the engine reads is the same either way.
type Prefetcher interface {
	// PrefetchPayments reads the payments with these external ids and
	// their orders.
	PrefetchPayments(externalIDs []string) error
	// PrefetchTransfers reads the transfers with these REFIDs, their
	// obligations and destinations.
	PrefetchTransfers(refIDs []string) error
}

// prefetchPayments and prefetchTransfers pass a batch's rows to a
// Prefetcher store; one row is not worth it.
func prefetchPayments(tx domain.ReadTx, externalIDs []string) error {
	if p, ok := tx.(Prefetcher); ok && len(externalIDs) > 1 {
		return p.PrefetchPayments(externalIDs)
	}
	return nil
}

func prefetchTransfers(tx domain.ReadTx, refIDs []string) error {
	if p, ok := tx.(Prefetcher); ok && len(refIDs) > 1 {
		return p.PrefetchTransfers(refIDs)
	}
	return nil
}

// TransferQueuer is implemented by a store that can create a transfer
// without waiting for the server's answer (PostgreSQL sends it with the
// transaction's next statement). A REFID that already exists then fails
// the whole transaction with an error matching domain.ErrDuplicateRefID,
// instead of CreateTransfer's answer that lets the caller pick another
// REFID in the same transaction. The engine uses it only inside a
// settlement batch, which on any failure is applied again payment by
// payment with CreateTransfer.
type TransferQueuer interface {
	QueueTransfer(t *domain.Transfer) error
}

// batchKey marks a context as a settlement batch's (TransferQueuer).
type batchKey struct{}

func batchContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchKey{}, true)
}

func inBatch(ctx context.Context) bool {
	v, _ := ctx.Value(batchKey{}).(bool)
	return v
}

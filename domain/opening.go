package domain

import "time"

// AccountOpening is the other side of the channels' opening balances: the
// shop's own money that was already at a gateway when Lunas began keeping
// that gateway's books (top-ups, earlier sales), owed to nobody.
const AccountOpening Account = "opening"

// OpeningRef is the posting reference of a channel's opening balance. There
// is at most one per channel: both stores refuse a second one (a unique
// index on postings(ref) for refs that start with "opening:", migration 0013).
func OpeningRef(channel string) string { return "opening:" + channel }

// OpeningPosting books the balance a channel held when Lunas connected it:
// the channel's clearing account is debited with it, so that what the
// ledger expects the channel to hold (clearing + paid out, see
// domain/reconcile) starts from the gateway's own figure.
func OpeningPosting(channel string, balance Rupiah, at time.Time) Posting {
	return Posting{
		Ref:       OpeningRef(channel),
		Memo:      "opening balance of " + channel,
		CreatedAt: at,
		Lines: []PostingLine{
			{Account: ClearingAccount(channel), Amount: balance},
			{Account: AccountOpening, Amount: -balance},
		},
	}
}

// OpeningOutcome says what RecordOpening did.
type OpeningOutcome int

// Opening outcomes.
const (
	OpeningRecorded OpeningOutcome = iota + 1 // the posting was stored now
	OpeningExists                             // the channel already has one: nothing changed
	// OpeningTooLate: money already moved through the channel in Lunas (a
	// payment, a sent transfer or a ledger line), so its balance now is not
	// its balance before Lunas; nothing is recorded and reconciliation says
	// that the opening balance is unknown.
	OpeningTooLate
	OpeningZero // the channel holds nothing: there is nothing to record
)

// sentStatuses are the transfer statuses that may have moved money at the
// channel (every status from the first send on).
var sentStatuses = []TransferStatus{TransferSending, TransferAccepted, TransferUnknown, TransferSucceeded,
	TransferFailed, TransferReversed, TransferCancelled}

// RecordOpening records channel's opening balance, read from the gateway
// just before, once: only while no money has moved through the channel in
// Lunas yet (no payment at it as a payment gateway, no transfer sent through
// it, no ledger line on its accounts), and never twice. Call it inside a
// Write transaction; the stores serialise writers, and the unique index
// backs the "never twice" up.
func RecordOpening(tx Tx, channel string, balance Rupiah, at time.Time) (OpeningOutcome, error) {
	if channel == "" {
		return 0, Invalid("channel", "an opening balance needs a channel")
	}
	prev, err := tx.ListPostings(OpeningRef(channel))
	if err != nil {
		return 0, err
	}
	if len(prev) > 0 {
		return OpeningExists, nil
	}
	moved, err := channelMoved(tx, channel)
	if err != nil {
		return 0, err
	}
	switch {
	case moved:
		return OpeningTooLate, nil
	case balance == 0:
		return OpeningZero, nil
	}
	p := OpeningPosting(channel, balance, at)
	if err := tx.Post(&p); err != nil {
		return 0, err
	}
	return OpeningRecorded, nil
}

// HasOpening reports whether channel's opening balance is in the books.
func HasOpening(tx ReadTx, channel string) (bool, error) {
	prev, err := tx.ListPostings(OpeningRef(channel))
	return len(prev) > 0, err
}

// channelMoved reports whether money has moved through channel in Lunas.
func channelMoved(tx ReadTx, channel string) (bool, error) {
	bal, err := tx.Balances()
	if err != nil {
		return false, err
	}
	if _, ok := bal[ClearingAccount(channel)]; ok {
		return true, nil
	}
	if _, ok := bal[PaidOutAccount(channel)]; ok {
		return true, nil
	}
	n, err := tx.CountTransfers(TransferFilter{Channel: channel, Statuses: sentStatuses})
	if err != nil || n > 0 {
		return n > 0, err
	}
	pays, err := tx.ListPayments(PaymentFilter{Gateway: channel, Page: Page{Limit: 1}})
	return len(pays) > 0, err
}

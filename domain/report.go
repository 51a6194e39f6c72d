package domain

import "time"

// ReportFilter is exactly what a person chose for a report. Zero values match all.
type ReportFilter struct {
	From, To time.Time // CreatedAt (or At) in [From, To)
	// Statuses keep rows whose own status (order, payment or transfer status)
	// is listed; rows without a status (ledger lines, audit entries) ignore it.
	Statuses []string
	// PayeeID keeps transfers, flags and ledger lines of this payee, and the
	// orders and payments that owe it money.
	PayeeID int64
	Gateway string // payment gateway or payout channel name
}

// OrderReportRow is one order with its computed amounts, for reports.
type OrderReportRow struct {
	ID         int64
	ExternalID string
	Source     string
	BuyerName  string
	BuyerEmail string
	Status     OrderStatus
	CreatedAt  time.Time
	Items      int64 // number of item lines
	Subtotal   Rupiah
	Shipping   Rupiah
	Fees       Rupiah
	Discount   Rupiah
	Total      Rupiah
}

// TransferReportRow is one transfer with the payee details a report needs.
// AccountNumber is plain text in memory only; reports mask it.
type TransferReportRow struct {
	Transfer
	PayeeName     string
	PayeeBank     string
	AccountNumber string
}

// FlagReportRow is one thing a person had to look at: a transfer held for
// approval (risk rule, limit) or a flagged payment.
type FlagReportRow struct {
	At      time.Time
	Kind    string // "transfer" or "payment"
	Subject string // REFID or payment external id
	Status  string
	Amount  Rupiah
	Reason  string
}

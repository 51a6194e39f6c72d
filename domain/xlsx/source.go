// Package xlsx writes Lunas's spreadsheet reports (xlsx with excelize's
// StreamWriter, and CSV) and reads payee, product and order spreadsheets.
// Rows are streamed from a small iterator interface so that a million rows
// fit in little memory.
package xlsx

import (
	"context"
	"time"

	"lunas/domain"
)

// Filter is exactly what a person chose on screen. Zero values match all.
type Filter struct {
	From, To time.Time // CreatedAt (or At) in [From, To)
	// Statuses keep rows whose own status (order, payment or transfer status)
	// is listed; sheets without a status (ledger, audit) ignore it.
	Statuses []string
	PayeeID  int64  // transfers, flags and ledger lines of this payee; orders and payments that owe it
	Gateway  string // payment gateway or payout channel name
}

// OrderRow is one order with its computed amounts, as the Orders sheet shows it.
type OrderRow struct {
	ID         int64
	ExternalID string
	Source     string
	BuyerName  string
	BuyerEmail string
	Status     domain.OrderStatus
	CreatedAt  time.Time
	Items      int64 // number of item lines
	Subtotal   domain.Rupiah
	Shipping   domain.Rupiah
	Fees       domain.Rupiah
	Discount   domain.Rupiah
	Total      domain.Rupiah
}

// TransferRow is one transfer with the payee details a report needs.
// AccountNumber is plain text in memory; the exporter masks it.
type TransferRow struct {
	domain.Transfer
	PayeeName     string
	PayeeBank     string
	AccountNumber string
}

// FlagRow is one thing a person had to look at: a held transfer (risk rule,
// limit) or a flagged payment.
type FlagRow struct {
	At      time.Time
	Kind    string // "transfer" or "payment"
	Subject string // REFID or payment external id
	Status  string
	Amount  domain.Rupiah
	Reason  string
}

// Rows streams report rows for a filter. Each method calls fn once per row in
// a stable order (creation time, then id) and stops at the first error fn
// returns, passing it back. Implementations must not load all rows at once.
// The store (domain/sqlite) satisfies it.
type Rows interface {
	EachOrder(ctx context.Context, f Filter, fn func(OrderRow) error) error
	EachPayment(ctx context.Context, f Filter, fn func(domain.Payment) error) error
	EachTransfer(ctx context.Context, f Filter, fn func(TransferRow) error) error
	EachPosting(ctx context.Context, f Filter, fn func(domain.Posting) error) error
	EachFlag(ctx context.Context, f Filter, fn func(FlagRow) error) error
	EachAudit(ctx context.Context, f Filter, fn func(domain.AuditEntry) error) error
}

// Counter is optionally implemented by a Rows source that can count the rows
// of an export cheaply, so progress can show a percentage.
type Counter interface {
	CountRows(ctx context.Context, f Filter) (int64, error)
}

package domain

import (
	"context"
	"time"
)

// Store is the persistence port. Implementations (domain/sqlite now,
// PostgreSQL later) run fn inside one transaction: Write serialises writers
// (SQLite: BEGIN IMMEDIATE on the single writer connection) and commits only
// if fn returns nil; Read runs on a consistent snapshot.
type Store interface {
	Read(ctx context.Context, fn func(ReadTx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Page selects a window of rows for listing. Limit 0 means no limit.
type Page struct {
	Offset int
	Limit  int
}

// TransferFilter selects transfers for lists and reports. Zero values match all.
type TransferFilter struct {
	Statuses []TransferStatus
	PayeeID  int64
	Channel  string
	From, To time.Time // CreatedAt in [From, To)
	Search   string    // REFID or payee name contains
	Page
}

// PaymentFilter selects payments. Zero values match all.
type PaymentFilter struct {
	Statuses []PaymentStatus
	Gateway  string
	From, To time.Time
	DuePoll  time.Time // non-zero: only pending payments with NextPollAt <= DuePoll
	Page
}

// OrderFilter selects orders. Zero values match all.
type OrderFilter struct {
	Statuses []OrderStatus
	From, To time.Time
	Search   string // external id or buyer name contains
	Page
}

// ReadTx is what can be read inside a transaction. Getters return ErrNotFound
// for a missing row.
type ReadTx interface {
	GetProduct(id int64) (Product, error)
	ListProducts(p Page) ([]Product, error)

	GetOrder(id int64) (Order, error)
	GetOrderByExternalID(externalID string) (Order, error)
	ListOrders(f OrderFilter) ([]Order, error)
	CountOrders(f OrderFilter) (int, error)

	GetPayment(id int64) (Payment, error)
	GetPaymentByExternalID(externalID string) (Payment, error)
	ListPayments(f PaymentFilter) ([]Payment, error)

	GetPayee(id int64) (Payee, error)
	ListPayees(p Page) ([]Payee, error)

	GetPayoutRule(id int64) (PayoutRule, error)
	ListPayoutRules() ([]PayoutRule, error)

	GetObligation(id int64) (Obligation, error)
	ListObligationsByPayment(paymentID int64) ([]Obligation, error)

	GetTransfer(refID string) (Transfer, error)
	ListTransfers(f TransferFilter) ([]Transfer, error)
	CountTransfers(f TransferFilter) (int, error)
	ListTransfersByObligation(obligationID int64) ([]Transfer, error)
	// PayeeTotalSince sums non-rejected, non-failed transfer amounts to a payee created at or after since.
	PayeeTotalSince(payeeID int64, since time.Time) (Rupiah, error)

	// Balances returns the ledger balance of every account that has postings.
	Balances() (map[Account]Rupiah, error)
	ListPostings(ref string) ([]Posting, error)

	// ListAudit returns audit entries with Seq > afterSeq in order, at most limit (0 = all).
	ListAudit(afterSeq int64, limit int) ([]AuditEntry, error)

	// GetSetting returns a stored setting value, or ErrNotFound.
	GetSetting(key string) (string, error)
}

// Tx is a write transaction. Every status change is a compare-and-set that
// returns ErrConflict when the stored status is no longer the expected one.
type Tx interface {
	ReadTx

	CreateProduct(p *Product) error
	UpdateProduct(p *Product) error

	// CreateOrder stores o and its items, setting o.ID; a duplicate ExternalID gives ErrDuplicate.
	CreateOrder(o *Order) error
	SetOrderStatus(id int64, from, to OrderStatus) error

	// CreatePayment stores p, setting p.ID; a duplicate ExternalID gives ErrDuplicate.
	CreatePayment(p *Payment) error
	// SetPaymentStatus moves a payment from one status to another and records
	// the paid amount, flag reason and settlement time (compare-and-set).
	SetPaymentStatus(id int64, from, to PaymentStatus, paid Rupiah, flagReason string, at time.Time) error
	// SchedulePoll records a poll and when the next one is due.
	SchedulePoll(id int64, checked, next time.Time) error

	CreatePayee(p *Payee) error
	UpdatePayee(p *Payee) error

	CreatePayoutRule(r *PayoutRule) error

	CreateObligation(o *Obligation) error
	SetObligationStatus(id int64, from, to ObligationStatus) error

	// CreateTransfer stores t, setting t.ID; an existing REFID gives ErrDuplicateRefID.
	CreateTransfer(t *Transfer) error
	// MoveTransfer changes a transfer's status WHERE refid=? AND status=from,
	// applying patch; ErrInvalidTransition if the state machine forbids it,
	// ErrConflict if the stored status was not from, ErrNotFound if no such REFID.
	MoveTransfer(refID string, from, to TransferStatus, patch TransferPatch) error

	// Post stores a balanced posting, setting its ID; ErrUnbalanced otherwise.
	Post(p *Posting) error

	// AppendAudit chains e onto the audit log, setting Seq, PrevHash and Hash.
	AppendAudit(e *AuditEntry) error

	SetSetting(key, value string) error
}

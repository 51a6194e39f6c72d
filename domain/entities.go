package domain

import "time"

// Product is something the shop sells.
type Product struct {
	ID       int64
	SKU      string
	Name     string
	Price    Rupiah
	PayeeID  int64 // consignment maker or supplier who is owed for it, 0 if the shop's own
	Active   bool
	Created  time.Time
	Modified time.Time
}

// OrderStatus is an order's lifecycle state.
type OrderStatus string

// Order statuses.
const (
	OrderOpen      OrderStatus = "open"      // waiting for payment
	OrderPaid      OrderStatus = "paid"      // payment settled and verified
	OrderExpired   OrderStatus = "expired"   // payment link expired unpaid
	OrderFailed    OrderStatus = "failed"    // payment failed
	OrderCancelled OrderStatus = "cancelled" // cancelled by the shop
	OrderFlagged   OrderStatus = "flagged"   // paid but mismatched or unverified: pays nothing until a person decides
)

// OrderItem is one line of an order.
type OrderItem struct {
	ProductID int64 // 0 when typed in freely
	Name      string
	Qty       int64
	UnitPrice Rupiah
}

// Order is a buyer's order. Its total is always computed, never typed.
type Order struct {
	ID           int64
	ExternalID   string // our reference, sent to the gateway as external_id / order_id
	Source       string // "manual", "import:<file>", "demo"
	BuyerName    string
	BuyerEmail   string
	Items        []OrderItem
	Shipping     Rupiah
	Fees         Rupiah
	Discount     Rupiah
	PayoutRuleID int64
	Status       OrderStatus
	CreatedAt    time.Time
}

// LineTotal returns qty*unit price with overflow checking.
func (it OrderItem) LineTotal() (Rupiah, error) { return it.UnitPrice.Mul(it.Qty) }

// Subtotal sums the item lines.
func (o *Order) Subtotal() (Rupiah, error) {
	var t Rupiah
	for _, it := range o.Items {
		lt, err := it.LineTotal()
		if err != nil {
			return 0, err
		}
		if t, err = t.Add(lt); err != nil {
			return 0, err
		}
	}
	return t, nil
}

// Total is items + shipping + fees - discount.
func (o *Order) Total() (Rupiah, error) {
	sub, err := o.Subtotal()
	if err != nil {
		return 0, err
	}
	t, err := Sum(sub, o.Shipping, o.Fees)
	if err != nil {
		return 0, err
	}
	return t.Sub(o.Discount)
}

// Validate checks an order before it is stored.
func (o *Order) Validate() error {
	if o.ExternalID == "" {
		return Invalid("external_id", "order reference is required")
	}
	if len(o.Items) == 0 {
		return Invalid("items", "an order needs at least one item")
	}
	for i, it := range o.Items {
		if it.Qty <= 0 {
			return Invalid("items", "item %d: quantity must be at least 1", i+1)
		}
		if it.UnitPrice < 0 {
			return Invalid("items", "item %d: price cannot be negative", i+1)
		}
	}
	if o.Shipping < 0 || o.Fees < 0 || o.Discount < 0 {
		return Invalid("amounts", "shipping, fees and discount cannot be negative")
	}
	t, err := o.Total()
	if err != nil {
		return err
	}
	if t <= 0 {
		return Invalid("total", "total must be more than Rp0")
	}
	return nil
}

// PaymentStatus is a payment's lifecycle state.
type PaymentStatus string

// Payment statuses.
const (
	PaymentPending PaymentStatus = "pending"
	PaymentSettled PaymentStatus = "settled"
	PaymentFailed  PaymentStatus = "failed"
	PaymentExpired PaymentStatus = "expired"
	PaymentFlagged PaymentStatus = "flagged" // gateway says paid, but amount or signature did not check out
)

// Terminal reports whether polling can stop.
func (s PaymentStatus) Terminal() bool { return s != PaymentPending }

// Payment is a payment link at a gateway for one order.
type Payment struct {
	ID          int64
	OrderID     int64
	Gateway     string // "xendit", "midtrans"
	ExternalID  string // our id at the gateway (unique)
	GatewayRef  string // the gateway's id (invoice id, transaction id)
	Amount      Rupiah // what we asked for
	PaidAmount  Rupiah // what the gateway reported as paid
	Status      PaymentStatus
	URL         string
	FlagReason  string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	SettledAt   time.Time
	NextPollAt  time.Time
	PollCount   int
	LastChecked time.Time
}

// VerificationState tells whether a payee's account was checked at a gateway.
type VerificationState string

// Verification states.
const (
	VerifyNone     VerificationState = "unverified"
	VerifyOK       VerificationState = "verified" // holder name matched
	VerifyMismatch VerificationState = "mismatch" // holder name did not match
	VerifyFailed   VerificationState = "failed"   // account not found
)

// Payee is a seller, maker or supplier who is paid out.
type Payee struct {
	ID            int64
	Name          string
	Channel       string // bank or channel code (BCA, BRI, MANDIRI, GOPAY, ...)
	AccountNumber string // plaintext in memory only; encrypted at rest
	AccountHolder string // holder name reported by account validation
	Verification  VerificationState
	Email         string
	PayoutRuleID  int64
	DailyLimit    Rupiah // 0 means the shop default
	Erased        bool   // personal data pseudonymised
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// MaskAccount shows only the last four characters: "••••1234". At least
// four characters always stay hidden, so a number of four characters or
// fewer shows none ("••••") and a short one shows fewer than four.
func MaskAccount(acct string) string {
	r := []rune(acct)
	show := min(4, len(r)-4)
	if show <= 0 {
		return "••••"
	}
	return "••••" + string(r[len(r)-show:])
}

// ObligationStatus is the state of money owed to a payee.
type ObligationStatus string

// Obligation statuses.
const (
	ObligationOpen     ObligationStatus = "open"     // owed, no successful transfer yet
	ObligationPaid     ObligationStatus = "paid"     // a transfer succeeded
	ObligationReopened ObligationStatus = "reopened" // the paying transfer was reversed
	ObligationVoid     ObligationStatus = "void"     // cancelled by a person
)

// Obligation is money owed to one payee from one settled payment.
type Obligation struct {
	ID        int64
	PaymentID int64
	OrderID   int64
	PayeeID   int64
	Role      ShareRole
	Amount    Rupiah
	Status    ObligationStatus
	CreatedAt time.Time
}

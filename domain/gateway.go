package domain

import (
	"context"
	"strings"
	"time"
)

// PaymentRequest asks a gateway for a payment link for one order.
type PaymentRequest struct {
	ExternalID  string // our unique id; URL-safe
	Amount      Rupiah
	Description string
	BuyerName   string
	BuyerEmail  string
	Items       []OrderItem
	Expiry      time.Duration // 0 = gateway default
	// Retry says an earlier CreatePayment for this ExternalID may have
	// reached the gateway in another process or before a restart (the
	// adapter itself remembers its own earlier attempts). Gateways without an
	// idempotency key for payments (Xendit invoices) then look the ExternalID
	// up before creating; a first create leaves it false and costs one request.
	Retry bool
}

// PaymentLink is what a gateway returns for a created payment.
type PaymentLink struct {
	ExternalID string
	GatewayRef string
	URL        string
	ExpiresAt  time.Time
}

// PaymentState is a payment's state as the gateway reports it, normalised.
type PaymentState string

// Normalised payment states.
const (
	PaymentStatePending PaymentState = "pending" // not paid yet (includes "buyer has not chosen a method")
	PaymentStatePaid    PaymentState = "paid"    // settled (Xendit PAID/SETTLED, Midtrans settlement/capture+accept)
	PaymentStateFailed  PaymentState = "failed"  // deny, cancel, failure
	PaymentStateExpired PaymentState = "expired"
	PaymentStateUnknown PaymentState = "unknown" // no usable answer: try again later
)

// PaymentResult is a normalised payment status answer.
type PaymentResult struct {
	ExternalID string
	GatewayRef string
	State      PaymentState
	Amount     Rupiah // amount the gateway says was paid (or requested, while pending)
	Verified   bool   // every signature on the status verified (true where the gateway signs nothing)
	Challenge  bool   // fraud review pending (Midtrans fraud_status=challenge): not paid
	PaidAt     time.Time
	RawStatus  string // the gateway's own status word, for people and logs
}

// PaymentGateway creates payment links and reports their status.
type PaymentGateway interface {
	// Name is the gateway's stable name ("xendit", "midtrans").
	Name() string
	// CreatePayment creates a payment link. Creating the same ExternalID twice
	// must not create two payable links.
	CreatePayment(ctx context.Context, req PaymentRequest) (PaymentLink, error)
	// PaymentStatus returns the status of the payment with our external id.
	// Transport failures return State PaymentStateUnknown with a non-nil error.
	PaymentStatus(ctx context.Context, externalID string) (PaymentResult, error)
}

// PaymentLister is implemented by gateways that can list many payments in one
// request, so that polling costs fewer requests than payments.
type PaymentLister interface {
	// RecentPayments returns payments changed since the given time.
	RecentPayments(ctx context.Context, since time.Time) ([]PaymentResult, error)
}

// PayoutOutcome is a normalised answer about one REFID.
type PayoutOutcome string

// Payout outcomes. Unknown is never failed: only an answer from the gateway
// about that REFID moves a transfer on.
const (
	OutcomeAccepted  PayoutOutcome = "accepted"  // received, pending or processing
	OutcomeSucceeded PayoutOutcome = "succeeded" // completed
	OutcomeFailed    PayoutOutcome = "failed"    // final failure for this REFID
	OutcomeRejected  PayoutOutcome = "rejected"  // refused before processing (validation): nothing was created
	OutcomeCancelled PayoutOutcome = "cancelled" // cancelled before processing
	OutcomeReversed  PayoutOutcome = "reversed"  // succeeded, then the money came back
	OutcomeNotFound  PayoutOutcome = "not_found" // the gateway says it has no payout with this REFID
	OutcomeUnknown   PayoutOutcome = "unknown"   // timeout, dropped connection, 5xx, unparseable or unrecognised reply
)

// PayoutRequest asks a channel to send money under a REFID.
type PayoutRequest struct {
	RefID         string
	Amount        Rupiah
	Channel       string // bank or channel code (BCA, GOPAY, ...)
	AccountNumber string
	AccountHolder string
	Description   string
	Email         string
	// Attempt numbers the calls made with this REFID: 1 for the first send,
	// more for a same-REFID resend, 0 when the caller does not say. Adapters
	// use it to read a refusal of a resend as "already known", not a failure.
	Attempt int
}

// PayoutResult is a normalised answer about one REFID. Adapters always return
// one; on ambiguity Outcome is OutcomeUnknown and the error says why.
type PayoutResult struct {
	RefID      string
	Outcome    PayoutOutcome
	GatewayRef string
	Amount     Rupiah
	Code       string // gateway status or failure code
	Reason     string // readable reason
	Serial     string // H2H serial number (SN), if any
	Balance    Rupiah // balance reported with the reply, if any (H2H)
	RawStatus  string
	At         time.Time
}

// AccountInfo is the result of validating a bank account at a gateway.
type AccountInfo struct {
	Channel       string
	AccountNumber string
	HolderName    string
	Valid         bool
}

// PayoutChannel sends money by REFID and answers questions about it.
type PayoutChannel interface {
	// Name is the channel's stable name ("xendit", "iris", "h2h:<supplier>").
	Name() string
	// Send sends (or safely resends) the payout with req.RefID as the
	// idempotency key and merchant reference.
	Send(ctx context.Context, req PayoutRequest) (PayoutResult, error)
	// Status asks the gateway about a REFID.
	Status(ctx context.Context, refID string) (PayoutResult, error)
	// Balance returns the channel's available balance.
	Balance(ctx context.Context) (Rupiah, error)
	// ValidateAccount checks a bank account and returns the holder name.
	ValidateAccount(ctx context.Context, channel, account string) (AccountInfo, error)
}

// PayoutCanceller is implemented by channels that can cancel a payout before processing.
type PayoutCanceller interface {
	Cancel(ctx context.Context, refID string) (PayoutResult, error)
}

// ChannelName is how people call a payout channel or gateway: "iris" is
// "Midtrans Iris", "h2h:pulsa" is "H2H pulsa", "xendit" is "Xendit". A code
// Lunas does not know is shown as it is.
func ChannelName(code string) string {
	switch c := strings.ToLower(code); {
	case c == "xendit":
		return "Xendit"
	case c == "midtrans":
		return "Midtrans"
	case c == "iris":
		return "Midtrans Iris"
	case c == "doku":
		return "DOKU"
	case c == "ipaymu":
		return "iPaymu"
	case strings.HasPrefix(c, "h2h:"):
		return "H2H " + code[len("h2h:"):]
	case c == "h2h":
		return "H2H"
	}
	if b, ok := Bank(code); ok {
		return b.Name
	}
	return code
}

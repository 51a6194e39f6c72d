package midtrans

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// ErrWrongOrder reports a status that names another order than the one asked
// about. It is never applied to ours.
// It wraps gateways.ErrUnparseable: the answer is unknown for ours.
var ErrWrongOrder = fmt.Errorf("midtrans: reply names another order or REFID: %w", gateways.ErrUnparseable)

// ErrStatusCode reports a body status_code that is an error (for example 401
// bad key). The payment's state is unknown.
var ErrStatusCode = fmt.Errorf("midtrans: error status_code: %w", gateways.ErrUnparseable)

// StatusResponse is the Core API transaction status body
// (GET /v2/{order_id}/status) and, with the same fields, an HTTP notification.
type StatusResponse struct {
	StatusCode        wireString `json:"status_code"`
	StatusMessage     string     `json:"status_message"`
	TransactionID     string     `json:"transaction_id"`
	OrderID           string     `json:"order_id"`
	GrossAmount       wireString `json:"gross_amount"`
	Currency          string     `json:"currency"`
	PaymentType       string     `json:"payment_type"`
	TransactionTime   string     `json:"transaction_time"`
	TransactionStatus string     `json:"transaction_status"`
	FraudStatus       string     `json:"fraud_status"`
	SignatureKey      string     `json:"signature_key"`
	SettlementTime    string     `json:"settlement_time"`
	ExpiryTime        string     `json:"expiry_time"`
}

// jakarta is GMT+7, the zone of Midtrans's "YYYY-MM-DD HH:MM:SS" times.
var jakarta = time.FixedZone("WIB", 7*3600)

// ParseStatus turns a Core API status body for orderID into a normalised
// PaymentResult. serverKey verifies signature_key. It never panics:
//   - a body that is not JSON, an unknown transaction_status or a fractional
//     gross_amount gives PaymentStateUnknown and an error;
//   - body status_code 404 (the buyer has not chosen a method yet) is pending;
//   - 407 without a transaction_status is expired;
//   - fraud_status challenge is never paid (Challenge=true, state pending);
//   - a signature that does not verify gives Verified=false and ErrSignature.
func ParseStatus(body []byte, orderID, serverKey string) (domain.PaymentResult, error) {
	res := domain.PaymentResult{ExternalID: orderID, State: domain.PaymentStateUnknown}
	var s StatusResponse
	if err := json.Unmarshal(body, &s); err != nil {
		return res, fmt.Errorf("%w: status: %v", ErrUnparseable, err)
	}
	code := atoiOr(s.StatusCode, 0)
	res.RawStatus = strings.ToLower(strings.TrimSpace(s.TransactionStatus))
	if s.OrderID != "" && s.OrderID != orderID {
		return res, fmt.Errorf("%w: asked %q", ErrWrongOrder, orderID)
	}
	if code == 404 && res.RawStatus == "" {
		res.State, res.Verified, res.RawStatus = domain.PaymentStatePending, true, "not_found"
		return res, nil
	}
	if code == 407 && res.RawStatus == "" {
		res.State, res.Verified, res.RawStatus = domain.PaymentStateExpired, true, "expire"
		return res, nil
	}
	if code == 0 || (code >= 400 && code != 407) || res.RawStatus == "" {
		return res, fmt.Errorf("%w: status_code %q: %s", ErrStatusCode, string(s.StatusCode), clip(s.StatusMessage))
	}
	res.GatewayRef = s.TransactionID
	amount, err := ParseAmount(string(s.GrossAmount))
	if err != nil {
		return res, err
	}
	res.Amount = amount
	fraud := strings.ToLower(strings.TrimSpace(s.FraudStatus))
	state, ok := normaliseTransaction(res.RawStatus, fraud)
	if !ok {
		return res, fmt.Errorf("%w: transaction_status %q", gateways.ErrUnknownStatus, clip(res.RawStatus))
	}
	res.State = state
	res.Challenge = fraud == "challenge"
	if state == domain.PaymentStatePaid {
		res.PaidAt = parseTime(s.SettlementTime)
		if res.PaidAt.IsZero() {
			res.PaidAt = parseTime(s.TransactionTime)
		}
	}
	if s.SignatureKey == "" {
		// Nothing signed: acceptable only for a state that settles nothing.
		res.Verified = state != domain.PaymentStatePaid
	} else {
		res.Verified = VerifySignatureKey(s.SignatureKey, s.OrderID, string(s.StatusCode), string(s.GrossAmount), serverKey)
	}
	if !res.Verified {
		return res, fmt.Errorf("%w: order %q", ErrSignature, orderID)
	}
	return res, nil
}

// normaliseTransaction maps transaction_status and fraud_status (both
// lower-case) to a payment state. Refunds and chargebacks are "failed": the
// shop does not hold that money, so it must not be paid out.
func normaliseTransaction(status, fraud string) (domain.PaymentState, bool) {
	switch status {
	case "settlement", "capture":
		switch fraud {
		case "", "accept":
			return domain.PaymentStatePaid, true
		case "challenge":
			return domain.PaymentStatePending, true
		case "deny":
			return domain.PaymentStateFailed, true
		}
		return domain.PaymentStateUnknown, false
	case "pending", "authorize":
		return domain.PaymentStatePending, true
	case "deny", "cancel", "failure", "refund", "partial_refund", "chargeback", "partial_chargeback":
		return domain.PaymentStateFailed, true
	case "expire", "expired":
		return domain.PaymentStateExpired, true
	}
	return domain.PaymentStateUnknown, false
}

// parseTime reads "YYYY-MM-DD HH:MM:SS" in GMT+7; zero when absent or odd.
func parseTime(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, strings.TrimSpace(s), jakarta)
	if err != nil {
		return time.Time{}
	}
	return t
}

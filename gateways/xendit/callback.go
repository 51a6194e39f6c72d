package xendit

import (
	"fmt"
	"net/http"
	"strings"

	"lunas/domain"
	"lunas/gateways"
)

// CallbackTokenHeader is the header Xendit puts its verification token in.
const CallbackTokenHeader = "x-callback-token"

// PayoutEvent is a parsed payout webhook.
type PayoutEvent struct {
	Event  string // payout.succeeded, payout.failed, payout.reversed
	Result domain.PayoutResult
}

// ParsePayoutCallback verifies the x-callback-token header and reads a payout
// webhook ({event, business_id, created, data:{payout}}). A wrong or missing
// token gives gateways.ErrCallbackAuth and nothing else is read. Callbacks
// can be duplicated or out of order; the engine applies them only forward
// and polling stays the primary path.
func (c *Client) ParsePayoutCallback(h http.Header, body []byte) (PayoutEvent, error) {
	if !c.VerifyCallbackToken(h.Get(CallbackTokenHeader)) {
		return PayoutEvent{}, fmt.Errorf("xendit: payout callback: %w", gateways.ErrCallbackAuth)
	}
	return parsePayoutEvent(body)
}

func parsePayoutEvent(body []byte) (PayoutEvent, error) {
	var ev struct {
		Event string   `json:"event"`
		Data  *payoutW `json:"data"`
	}
	if err := decodeStrict(body, &ev); err != nil {
		return PayoutEvent{Result: domain.PayoutResult{Outcome: domain.OutcomeUnknown}}, err
	}
	if ev.Data == nil || ev.Data.ReferenceID == "" {
		return PayoutEvent{Event: ev.Event, Result: domain.PayoutResult{Outcome: domain.OutcomeUnknown}},
			fmt.Errorf("%w: payout callback without data.reference_id", gateways.ErrUnparseable)
	}
	res, err := payout(*ev.Data).result(ev.Data.ReferenceID)
	if err != nil {
		res.Outcome = domain.OutcomeUnknown
	}
	return PayoutEvent{Event: strings.ToLower(ev.Event), Result: res}, err
}

// payoutW lets a payout be decoded as a field of another struct.
type payoutW payout

// ParseInvoiceCallback verifies the x-callback-token header and reads an
// invoice webhook (the invoice object itself, status PAID or EXPIRED).
func (c *Client) ParseInvoiceCallback(h http.Header, body []byte) (domain.PaymentResult, error) {
	if !c.VerifyCallbackToken(h.Get(CallbackTokenHeader)) {
		return domain.PaymentResult{State: domain.PaymentStateUnknown}, fmt.Errorf("xendit: invoice callback: %w", gateways.ErrCallbackAuth)
	}
	v, err := parseInvoice(body)
	if err != nil {
		return domain.PaymentResult{State: domain.PaymentStateUnknown}, err
	}
	return v.result()
}

package xendit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// payout is the part of Xendit's Payout object Lunas reads. Fields are
// strings or json.Number so that an unexpected value never fails the whole
// reply (strict enums broke the official SDKs, reference §7).
type payout struct {
	ID          string      `json:"id"`
	ReferenceID string      `json:"reference_id"`
	ChannelCode string      `json:"channel_code"`
	Amount      json.Number `json:"amount"`
	Currency    string      `json:"currency"`
	Status      string      `json:"status"`
	FailureCode string      `json:"failure_code"`
	Created     string      `json:"created"`
	Updated     string      `json:"updated"`
}

// parsePayout reads one Payout object.
func parsePayout(body []byte) (payout, error) {
	var p payout
	if err := decodeStrict(body, &p); err != nil {
		return payout{}, err
	}
	if p.ID == "" && p.ReferenceID == "" {
		return payout{}, fmt.Errorf("%w: payout without id or reference_id", gateways.ErrUnparseable)
	}
	return p, nil
}

// parsePayoutList reads GET /v2/payouts?reference_id= in both documented
// shapes: a bare array (API docs) or {data:[...],has_more,links} (SDK).
func parsePayoutList(body []byte) ([]payout, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: empty body", gateways.ErrUnparseable)
	}
	var list []payout
	switch trimmed[0] {
	case '[':
		if err := decodeStrict(trimmed, &list); err != nil {
			return nil, err
		}
	case '{':
		var wrap struct {
			Data *[]payout `json:"data"`
		}
		if err := decodeStrict(trimmed, &wrap); err != nil {
			return nil, err
		}
		if wrap.Data == nil {
			return nil, fmt.Errorf("%w: object without data", gateways.ErrUnparseable)
		}
		list = *wrap.Data
	default:
		return nil, fmt.Errorf("%w: not a JSON list", gateways.ErrUnparseable)
	}
	return list, nil
}

// decodeStrict unmarshals JSON with numbers kept as json.Number; any error
// wraps gateways.ErrUnparseable.
func decodeStrict(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", gateways.ErrUnparseable, err)
	}
	return nil
}

// parseAmount reads a rupiah amount written as an integer ("150000") or a
// decimal with a zero fraction ("150000.00").
func parseAmount(n json.Number) (domain.Rupiah, error) {
	s := strings.TrimSpace(string(n))
	if s == "" {
		return 0, nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return domain.Rupiah(v), nil
	}
	if i := strings.IndexByte(s, '.'); i > 0 && strings.Trim(s[i+1:], "0") == "" {
		if v, err := strconv.ParseInt(s[:i], 10, 64); err == nil {
			return domain.Rupiah(v), nil
		}
	}
	return 0, fmt.Errorf("%w: amount %q is not whole rupiah", gateways.ErrUnparseable, s)
}

// payoutOutcome normalises a Payout status. Unrecognised values are
// unknown, never failed.
func payoutOutcome(status string) (domain.PayoutOutcome, bool) {
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "ACCEPTED", "REQUESTED", "LOCKED", "PENDING", "PENDING_COMPLIANCE_ASSESSMENT", "READY":
		return domain.OutcomeAccepted, true
	case "SUCCEEDED", "COMPLETED":
		return domain.OutcomeSucceeded, true
	case "FAILED", "COMPLIANCE_REJECTED", "EXPIRED":
		return domain.OutcomeFailed, true
	case "CANCELLED":
		return domain.OutcomeCancelled, true
	case "REVERSED":
		return domain.OutcomeReversed, true
	}
	return domain.OutcomeUnknown, false
}

// result converts a payout into the normalised answer about refID. A reply
// about another reference, an unreadable amount or an unknown status is
// OutcomeUnknown with an error.
func (p payout) result(refID string) (domain.PayoutResult, error) {
	r := domain.PayoutResult{RefID: refID, GatewayRef: p.ID, RawStatus: p.Status, Code: p.FailureCode, Outcome: domain.OutcomeUnknown}
	if p.Code() != "" {
		r.Reason = failureReason(p.FailureCode)
	}
	r.At = parseTime(p.Updated)
	amt, err := parseAmount(p.Amount)
	if err != nil {
		return r, err
	}
	r.Amount = amt
	if refID != "" && p.ReferenceID != refID {
		return r, fmt.Errorf("%w: reply is about reference %q", gateways.ErrMismatch, p.ReferenceID)
	}
	if p.Currency != "" && !strings.EqualFold(p.Currency, "IDR") {
		// Lunas pays rupiah only: a payout in another currency under our
		// REFID is not the money we sent (a recorded test-mode answer shows
		// PHP payouts under the same API).
		return r, fmt.Errorf("%w: payout currency %q, not IDR", gateways.ErrMismatch, p.Currency)
	}
	out, ok := payoutOutcome(p.Status)
	if !ok {
		return r, fmt.Errorf("%w: payout status %q", gateways.ErrUnknownStatus, p.Status)
	}
	r.Outcome = out
	if r.Code == "" && out != domain.OutcomeFailed {
		r.Code = strings.ToUpper(p.Status)
	}
	return r, nil
}

// Code returns the failure code, if any.
func (p payout) Code() string { return p.FailureCode }

// failureReason is a readable reason for a payout failure code.
func failureReason(code string) string {
	switch code {
	case "INSUFFICIENT_BALANCE":
		return "Saldo Xendit tidak cukup (insufficient balance)"
	case "INVALID_DESTINATION":
		return "Rekening tujuan tidak valid (invalid destination account)"
	case "REJECTED_BY_CHANNEL", "REJECTED_BY_BANK":
		return "Ditolak oleh bank (rejected by the bank)"
	case "TEMPORARY_TRANSFER_ERROR", "TEMPORARY_BANK_NETWORK_ERROR":
		return "Gangguan sementara di bank; coba lagi 1-3 jam lagi (temporary bank error)"
	case "TRANSFER_ERROR":
		return "Transfer gagal (transfer error)"
	case "UNKNOWN_BANK_NETWORK_ERROR", "SWITCHING_NETWORK_ERROR":
		return "Gangguan jaringan bank (bank network error)"
	case "DESTINATION_MAXIMUM_LIMIT":
		return "Melebihi batas rekening tujuan (destination limit exceeded)"
	case "":
		return ""
	}
	return "Transfer gagal: " + code
}

// parseTime reads Xendit's timestamps; a bad value gives the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// decodeError reads Xendit's error body; the message is under "message"
// (SDK, recorded replies) or "error_message" (newer docs), so both are read.
func decodeError(_ int, body []byte) (code, message string) {
	var e struct {
		ErrorCode    string `json:"error_code"`
		Message      string `json:"message"`
		ErrorMessage string `json:"error_message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return gateways.DecodeGenericError(0, body)
	}
	message = e.Message
	if message == "" {
		message = e.ErrorMessage
	}
	return e.ErrorCode, message
}

// invoice is the part of Xendit's Invoice object Lunas reads.
type invoice struct {
	ID         string      `json:"id"`
	ExternalID string      `json:"external_id"`
	Status     string      `json:"status"`
	Amount     json.Number `json:"amount"`
	PaidAmount json.Number `json:"paid_amount"`
	PaidAt     string      `json:"paid_at"`
	InvoiceURL string      `json:"invoice_url"`
	ExpiryDate string      `json:"expiry_date"`
	Created    string      `json:"created"`
	Updated    string      `json:"updated"`
}

func parseInvoice(body []byte) (invoice, error) {
	var v invoice
	if err := decodeStrict(body, &v); err != nil {
		return invoice{}, err
	}
	if v.ID == "" {
		return invoice{}, fmt.Errorf("%w: invoice without id", gateways.ErrUnparseable)
	}
	return v, nil
}

func parseInvoiceList(body []byte) ([]invoice, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		// Some list endpoints wrap; accept {data:[...]} as well.
		var wrap struct {
			Data *[]invoice `json:"data"`
		}
		if err := decodeStrict(trimmed, &wrap); err != nil {
			return nil, err
		}
		if wrap.Data == nil {
			return nil, fmt.Errorf("%w: not an invoice list", gateways.ErrUnparseable)
		}
		return *wrap.Data, nil
	}
	var list []invoice
	if err := decodeStrict(trimmed, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// paymentState normalises an invoice status.
func paymentState(status string) (domain.PaymentState, bool) {
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "PENDING":
		return domain.PaymentStatePending, true
	case "PAID", "SETTLED":
		return domain.PaymentStatePaid, true
	case "EXPIRED":
		return domain.PaymentStateExpired, true
	}
	return domain.PaymentStateUnknown, false
}

// result converts an invoice into a normalised payment answer. Xendit signs
// nothing on a polled status, so Verified is true for a parsed reply.
func (v invoice) result() (domain.PaymentResult, error) {
	r := domain.PaymentResult{ExternalID: v.ExternalID, GatewayRef: v.ID, RawStatus: v.Status, State: domain.PaymentStateUnknown}
	st, ok := paymentState(v.Status)
	if !ok {
		return r, fmt.Errorf("%w: invoice status %q", gateways.ErrUnknownStatus, v.Status)
	}
	amt := v.Amount
	if st == domain.PaymentStatePaid && v.PaidAmount != "" {
		amt = v.PaidAmount
	}
	a, err := parseAmount(amt)
	if err != nil {
		return r, err
	}
	r.State, r.Amount, r.Verified = st, a, true
	r.PaidAt = parseTime(v.PaidAt)
	return r, nil
}

// parseBalance reads GET /balance: {"balance": N}.
func parseBalance(body []byte) (domain.Rupiah, error) {
	var b struct {
		Balance *json.Number `json:"balance"`
	}
	if err := decodeStrict(body, &b); err != nil {
		return 0, err
	}
	if b.Balance == nil {
		return 0, fmt.Errorf("%w: no balance in reply", gateways.ErrUnparseable)
	}
	return parseAmount(*b.Balance)
}

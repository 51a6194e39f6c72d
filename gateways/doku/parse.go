package doku

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// ErrWrongReference reports an answer about another invoice or REFID than
// the one asked about. It is never applied; it wraps gateways.ErrUnparseable
// (the answer about ours is unknown).
var ErrWrongReference = fmt.Errorf("doku: answer names another invoice or REFID: %w", gateways.ErrUnparseable)

// wireNumber accepts a JSON number or a string holding one ("5000",
// "65000.00"): DOKU writes order.amount as a number in the status and as a
// string in the checkout answer, and SNAP writes responseCode either way.
type wireNumber string

func (n *wireNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = wireNumber(strings.TrimSpace(s))
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return err
	}
	*n = wireNumber(num.String())
	return nil
}

// rupiah reads a whole-rupiah amount: "5000", "65000.00" or 5000. A
// fraction of a rupiah, a negative or an absurd amount is refused.
func (n wireNumber) rupiah() (domain.Rupiah, error) {
	s := strings.TrimSpace(string(n))
	if s == "" {
		return 0, fmt.Errorf("%w: no amount", gateways.ErrUnparseable)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if strings.Trim(frac, "0") != "" {
		return 0, fmt.Errorf("%w: amount %q has a fraction of a rupiah", gateways.ErrUnparseable, clip(s))
	}
	v, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || v < 0 || v > math.MaxInt64/100 {
		return 0, fmt.Errorf("%w: amount %q", gateways.ErrUnparseable, clip(s))
	}
	return domain.Rupiah(v), nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// CheckoutStatus is the body of GET /orders/v1/status/{invoice} and of a
// Checkout HTTP notification (the same fields).
type CheckoutStatus struct {
	Order struct {
		InvoiceNumber string     `json:"invoice_number"`
		Amount        wireNumber `json:"amount"`
	} `json:"order"`
	Transaction struct {
		Status            string `json:"status"`
		Date              string `json:"date"`
		OriginalRequestID string `json:"original_request_id"`
	} `json:"transaction"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
}

// ParseCheckoutStatus reads a status (or notification) body about invoice.
// It never panics; what it cannot read is PaymentStateUnknown with an error.
// Verified is left false: the caller sets it after checking signatures.
func ParseCheckoutStatus(body []byte, invoice string) (domain.PaymentResult, error) {
	res := domain.PaymentResult{ExternalID: invoice, State: domain.PaymentStateUnknown}
	var s CheckoutStatus
	if err := json.Unmarshal(body, &s); err != nil {
		return res, fmt.Errorf("%w: doku status: %v", gateways.ErrUnparseable, err)
	}
	if s.Order.InvoiceNumber != invoice {
		return res, fmt.Errorf("%w: asked %q, got %q", ErrWrongReference, clip(invoice), clip(s.Order.InvoiceNumber))
	}
	res.RawStatus = strings.ToUpper(strings.TrimSpace(s.Transaction.Status))
	state, ok := checkoutState(res.RawStatus)
	if !ok {
		return res, fmt.Errorf("%w: transaction.status %q", gateways.ErrUnknownStatus, clip(res.RawStatus))
	}
	amt, err := s.Order.Amount.rupiah()
	if err != nil {
		return res, err
	}
	res.State, res.Amount = state, amt
	if state == domain.PaymentStatePaid {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(s.Transaction.Date)); err == nil {
			res.PaidAt = t
		}
	}
	return res, nil
}

// checkoutState maps DOKU's transaction.status (developers.doku.com,
// check-status-api/non-snap, "Transaction Status Mapping"). FAILED is "not
// final" at DOKU (the buyer may pay again on the same page), so it is
// pending here; only SUCCESS settles, and REFUNDED money is not the shop's.
func checkoutState(s string) (domain.PaymentState, bool) {
	switch s {
	case "SUCCESS":
		return domain.PaymentStatePaid, true
	case "PENDING", "TIMEOUT", "REDIRECT", "FAILED":
		return domain.PaymentStatePending, true
	case "EXPIRED":
		return domain.PaymentStateExpired, true
	case "REFUNDED":
		return domain.PaymentStateFailed, true
	}
	return domain.PaymentStateUnknown, false
}

// CheckoutCreated is the answer to POST /checkout/v1/payment.
type CheckoutCreated struct {
	Message  []string `json:"message"`
	Response struct {
		Order struct {
			InvoiceNumber string     `json:"invoice_number"`
			Amount        wireNumber `json:"amount"`
		} `json:"order"`
		Payment struct {
			TokenID         string `json:"token_id"`
			URL             string `json:"url"`
			ExpiredDatetime string `json:"expired_datetime"`
		} `json:"payment"`
	} `json:"response"`
}

// ParseCheckoutCreated reads a create answer into a payment link for invoice.
func ParseCheckoutCreated(body []byte, invoice string, amount domain.Rupiah) (domain.PaymentLink, error) {
	var c CheckoutCreated
	if err := json.Unmarshal(body, &c); err != nil {
		return domain.PaymentLink{}, fmt.Errorf("%w: doku checkout: %v", gateways.ErrUnparseable, err)
	}
	p := c.Response.Payment
	if p.URL == "" || !strings.HasPrefix(p.URL, "http") {
		return domain.PaymentLink{}, fmt.Errorf("%w: doku checkout: no payment.url", gateways.ErrUnparseable)
	}
	if c.Response.Order.InvoiceNumber != invoice {
		return domain.PaymentLink{}, fmt.Errorf("%w: asked %q, got %q", ErrWrongReference, clip(invoice), clip(c.Response.Order.InvoiceNumber))
	}
	if amt, err := c.Response.Order.Amount.rupiah(); err != nil || amt != amount {
		return domain.PaymentLink{}, fmt.Errorf("doku checkout %s: amount %q, asked %d: %w", invoice, clip(string(c.Response.Order.Amount)), amount, gateways.ErrMismatch)
	}
	l := domain.PaymentLink{ExternalID: invoice, GatewayRef: p.TokenID, URL: p.URL}
	if t, err := time.Parse(time.RFC3339, p.ExpiredDatetime); err == nil {
		l.ExpiresAt = t
	}
	return l, nil
}

// snapBase is what every SNAP answer carries.
type snapBase struct {
	ResponseCode    wireNumber `json:"responseCode"`
	ResponseMessage string     `json:"responseMessage"`
}

// SnapCode is a SNAP responseCode split into its parts: HTTP status (3
// digits), service code (2) and case code (2), e.g. 2005300.
type SnapCode struct {
	Raw           string
	HTTP          int
	Service, Case string
}

// snapCaseTransactionNotFound is the SNAP case code of "Transaction Not
// Found" in the 404 family (404xx01). The other 404 cases (invalid routing,
// invalid merchant, account not found...) say nothing about our transfer:
// they are unknown, never "not found", which would let the engine resend.
const snapCaseTransactionNotFound = "01"

func parseSnapCode(s string) SnapCode {
	c := SnapCode{Raw: s}
	if len(s) == 7 {
		c.HTTP, _ = strconv.Atoi(s[:3])
		c.Service, c.Case = s[3:5], s[5:]
	}
	return c
}

// KirimStatus is the answer of the Kirim DOKU check status
// (developers.doku.com/payout/kirim-doku/check-status).
type KirimStatus struct {
	snapBase
	OriginalReferenceNo        string     `json:"originalReferenceNo"`
	OriginalPartnerReferenceNo string     `json:"originalPartnerReferenceNo"`
	ServiceCode                wireNumber `json:"serviceCode"`
	LatestTransactionStatus    string     `json:"latestTransactionStatus"`
	TransactionStatusDesc      string     `json:"transactionStatusDesc"`
	Amount                     struct {
		Value    wireNumber `json:"value"`
		Currency string     `json:"currency"`
	} `json:"amount"`
	OriginalResponseMessage string `json:"originalResponseMessage"`
}

// ParseKirimStatus reads a check-status answer about refID. It never
// panics. An answer about another REFID, in another currency, without a
// status word Lunas knows or without a usable amount is OutcomeUnknown with
// an error; only "00" is a success.
func ParseKirimStatus(body []byte, refID string) (domain.PayoutResult, error) {
	res := domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}
	var s KirimStatus
	if err := json.Unmarshal(body, &s); err != nil {
		return res, fmt.Errorf("%w: doku check status: %v", gateways.ErrUnparseable, err)
	}
	code := parseSnapCode(string(s.ResponseCode))
	if code.HTTP == 404 && code.Case == snapCaseTransactionNotFound {
		res.Outcome, res.Code, res.Reason = domain.OutcomeNotFound, code.Raw, s.ResponseMessage
		return res, nil
	}
	if code.HTTP != 200 {
		return res, fmt.Errorf("%w: doku check status responseCode %q %s", gateways.ErrUnparseable, clip(code.Raw), clip(s.ResponseMessage))
	}
	if s.OriginalPartnerReferenceNo != refID {
		return res, fmt.Errorf("%w: asked %q, got %q", ErrWrongReference, clip(refID), clip(s.OriginalPartnerReferenceNo))
	}
	res.GatewayRef = s.OriginalReferenceNo
	res.RawStatus = strings.TrimSpace(s.LatestTransactionStatus)
	res.Code = res.RawStatus
	res.Reason = strings.TrimSpace(s.TransactionStatusDesc)
	if res.Reason == "" {
		res.Reason = strings.TrimSpace(s.OriginalResponseMessage)
	}
	out, ok := kirimOutcome(res.RawStatus)
	if !ok {
		return res, fmt.Errorf("%w: latestTransactionStatus %q", gateways.ErrUnknownStatus, clip(res.RawStatus))
	}
	if out == domain.OutcomeNotFound {
		res.Outcome = out
		return res, nil
	}
	if cur := strings.TrimSpace(s.Amount.Currency); cur != "" && cur != "IDR" {
		return res, fmt.Errorf("doku: transfer %s in %q: %w", refID, clip(cur), gateways.ErrMismatch)
	}
	amt, err := s.Amount.Value.rupiah()
	if err != nil {
		return res, err
	}
	res.Amount, res.Outcome = amt, out
	if out == domain.OutcomeFailed && res.Reason == "" {
		res.Reason = "Transfer gagal di DOKU (transfer failed at DOKU)"
	}
	return res, nil
}

// kirimOutcome maps latestTransactionStatus. "00" is success
// (developers.doku.com/payout/kirim-doku, reference §4). The other codes
// are the SNAP-BI transaction status codes as DOKU's SNAP products and
// other SNAP providers use them (01 initiated, 02 paying, 03 pending, 04
// refunded, 05 cancelled, 06 failed, 07 not found); DOKU's payout page
// prints only "00" [UNCONFIRMED], see docs/GATEWAYS.md.
func kirimOutcome(s string) (domain.PayoutOutcome, bool) {
	switch s {
	case "00":
		return domain.OutcomeSucceeded, true
	case "01", "02", "03":
		return domain.OutcomeAccepted, true
	case "04":
		return domain.OutcomeReversed, true
	case "05":
		return domain.OutcomeCancelled, true
	case "06":
		return domain.OutcomeFailed, true
	case "07":
		return domain.OutcomeNotFound, true
	}
	return domain.OutcomeUnknown, false
}

// Inquiry is the answer of the bank account inquiry
// (developers.doku.com/payout/kirim-doku, Account Inquiry).
type Inquiry struct {
	snapBase
	SessionID                string `json:"sessionId"`
	PartnerReferenceNo       string `json:"partnerReferenceNo"`
	BeneficiaryAccountNumber string `json:"beneficiaryAccountNumber"`
	BeneficiaryAccountName   string `json:"beneficiaryAccountName"`
	BeneficiaryBankCode      string `json:"beneficiaryBankCode"`
	BeneficiaryBankName      string `json:"beneficiaryBankName"`
}

// ParseInquiry reads an account inquiry answer for account.
func ParseInquiry(body []byte, account string) (Inquiry, error) {
	var q Inquiry
	if err := json.Unmarshal(body, &q); err != nil {
		return q, fmt.Errorf("%w: doku inquiry: %v", gateways.ErrUnparseable, err)
	}
	if parseSnapCode(string(q.ResponseCode)).HTTP != 200 || q.SessionID == "" {
		return q, fmt.Errorf("%w: doku inquiry responseCode %q without a sessionId", gateways.ErrUnparseable, clip(string(q.ResponseCode)))
	}
	if q.BeneficiaryAccountNumber != "" && q.BeneficiaryAccountNumber != account {
		return q, fmt.Errorf("%w: inquiry about account %q", ErrWrongReference, clip(q.BeneficiaryAccountNumber))
	}
	return q, nil
}

// Balance is the SNAP balance inquiry answer. DOKU's Go SDK models it as
// accountInfos[] with amount (and flatAmount, holdAmount)
// (models/directdebit/balanceinquiry); the SNAP standard's availableBalance
// is read first when present.
type Balance struct {
	snapBase
	AccountInfos []struct {
		AvailableBalance *snapAmount `json:"availableBalance"`
		Amount           *snapAmount `json:"amount"`
	} `json:"accountInfos"`
}

type snapAmount struct {
	Value    wireNumber `json:"value"`
	Currency string     `json:"currency"`
}

// ParseBalance reads the first IDR balance.
func ParseBalance(body []byte) (domain.Rupiah, error) {
	var b Balance
	if err := json.Unmarshal(body, &b); err != nil {
		return 0, fmt.Errorf("%w: doku balance: %v", gateways.ErrUnparseable, err)
	}
	for _, a := range b.AccountInfos {
		amt := a.AvailableBalance
		if amt == nil {
			amt = a.Amount
		}
		if amt == nil || (amt.Currency != "" && amt.Currency != "IDR") {
			continue
		}
		return amt.Value.rupiah()
	}
	return 0, fmt.Errorf("%w: doku balance without an IDR amount", gateways.ErrUnparseable)
}

// Token is the B2B access-token answer.
type Token struct {
	snapBase
	AccessToken string     `json:"accessToken"`
	TokenType   string     `json:"tokenType"`
	ExpiresIn   wireNumber `json:"expiresIn"`
}

// ParseToken reads an access-token answer.
func ParseToken(body []byte) (Token, time.Duration, error) {
	var t Token
	if err := json.Unmarshal(body, &t); err != nil {
		return t, 0, fmt.Errorf("%w: doku token: %v", gateways.ErrUnparseable, err)
	}
	if t.AccessToken == "" {
		return t, 0, fmt.Errorf("%w: doku token responseCode %q without accessToken", gateways.ErrUnparseable, clip(string(t.ResponseCode)))
	}
	secs, err := strconv.Atoi(string(t.ExpiresIn))
	if err != nil || secs <= 0 || secs > 86400 {
		secs = 900 // "The access token is valid for 15 minutes" (developers.doku.com/payout/kirim-doku)
	}
	return t, time.Duration(secs) * time.Second, nil
}

// decodeError reads DOKU error bodies: SNAP {responseCode, responseMessage},
// Checkout {message:[...]} or {error:{code,message}}.
func decodeError(status int, body []byte) (code, message string) {
	var m struct {
		ResponseCode    wireNumber `json:"responseCode"`
		ResponseMessage string     `json:"responseMessage"`
		Message         []string   `json:"message"`
		Error           *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil {
		switch {
		case m.ResponseCode != "":
			return string(m.ResponseCode), m.ResponseMessage
		case m.Error != nil:
			return m.Error.Code, m.Error.Message
		case len(m.Message) > 0:
			return "", strings.Join(m.Message, "; ")
		}
	}
	return gateways.DecodeGenericError(status, body)
}

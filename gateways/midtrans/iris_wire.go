package midtrans

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// IrisPayout is one payout in an Iris create request.
type IrisPayout struct {
	BeneficiaryName    string `json:"beneficiary_name"`
	BeneficiaryAccount string `json:"beneficiary_account"`
	BeneficiaryBank    string `json:"beneficiary_bank"`
	BeneficiaryEmail   string `json:"beneficiary_email,omitempty"`
	Amount             string `json:"amount"`
	Notes              string `json:"notes"`
}

// irisCreateRequest is POST /api/v1/payouts.
type irisCreateRequest struct {
	Payouts []IrisPayout `json:"payouts"`
}

// irisCreateResponse is the 201 reply to a create.
type irisCreateResponse struct {
	Payouts []struct {
		Status      string `json:"status"`
		ReferenceNo string `json:"reference_no"`
	} `json:"payouts"`
}

// IrisPayoutDetail is GET /api/v1/payouts/{reference_no}.
type IrisPayoutDetail struct {
	Amount             wireString `json:"amount"`
	BeneficiaryName    string     `json:"beneficiary_name"`
	BeneficiaryAccount string     `json:"beneficiary_account"`
	Bank               string     `json:"bank"`
	ReferenceNo        string     `json:"reference_no"`
	Notes              string     `json:"notes"`
	BeneficiaryEmail   string     `json:"beneficiary_email"`
	Status             string     `json:"status"`
	CreatedBy          string     `json:"created_by"`
	CreatedAt          string     `json:"created_at"`
	UpdatedAt          string     `json:"updated_at"`
	ErrorCode          string     `json:"error_code"`
	ErrorMessage       string     `json:"error_message"`
}

// IrisNotification is the body of an Iris payout notification.
type IrisNotification struct {
	ReferenceNo  string     `json:"reference_no"`
	Amount       wireString `json:"amount"`
	Status       string     `json:"status"`
	UpdatedAt    string     `json:"updated_at"`
	ErrorCode    string     `json:"error_code"`
	ErrorMessage string     `json:"error_message"`
}

// irisOutcome maps an Iris status word (any case) to an outcome. rejected
// means the approver refused it before any money moved: cancelled.
func irisOutcome(status string) (domain.PayoutOutcome, bool) {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "queued", "approved", "processed":
		return domain.OutcomeAccepted, true
	case "completed":
		return domain.OutcomeSucceeded, true
	case "failed":
		return domain.OutcomeFailed, true
	case "rejected":
		return domain.OutcomeCancelled, true
	}
	return domain.OutcomeUnknown, false
}

// ParseIrisCreate reads the reply to a create and returns the reference_no
// and status of the single payout Lunas sends per request.
func ParseIrisCreate(body []byte) (referenceNo, status string, err error) {
	var r irisCreateResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return "", "", fmt.Errorf("%w: iris create: %v", ErrUnparseable, err)
	}
	if len(r.Payouts) != 1 || r.Payouts[0].ReferenceNo == "" {
		return "", "", fmt.Errorf("%w: iris create: want one payout with a reference_no", ErrUnparseable)
	}
	return r.Payouts[0].ReferenceNo, r.Payouts[0].Status, nil
}

// ParseIrisPayout reads payout details into a PayoutResult for refID. A reply
// for another REFID (notes) or another reference_no, an unknown status or a
// fractional amount gives OutcomeUnknown and an error.
func ParseIrisPayout(body []byte, refID, referenceNo string) (domain.PayoutResult, error) {
	res := domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown, GatewayRef: referenceNo}
	var d IrisPayoutDetail
	if err := json.Unmarshal(body, &d); err != nil {
		return res, fmt.Errorf("%w: iris payout: %v", ErrUnparseable, err)
	}
	res.RawStatus = strings.ToLower(strings.TrimSpace(d.Status))
	if referenceNo != "" && d.ReferenceNo != referenceNo {
		return res, fmt.Errorf("%w: iris payout: reference_no differs", ErrUnparseable)
	}
	if d.Notes != "" && refID != "" && !notesCarry(d.Notes, refID) {
		return res, fmt.Errorf("%w: iris payout %s belongs to another REFID", ErrWrongOrder, d.ReferenceNo)
	}
	amount, err := ParseAmount(string(d.Amount))
	if err != nil {
		return res, err
	}
	out, ok := irisOutcome(d.Status)
	if !ok {
		return res, fmt.Errorf("%w: iris status %q", gateways.ErrUnknownStatus, clip(res.RawStatus))
	}
	res.Outcome, res.Amount, res.GatewayRef = out, amount, d.ReferenceNo
	res.Code, res.Reason = d.ErrorCode, clip(d.ErrorMessage)
	if res.Code == "" {
		res.Code = res.RawStatus
	}
	res.At = parseIrisTime(d.UpdatedAt)
	return res, nil
}

// ParseIrisNotification reads a payout notification. It does not check the
// signature: use VerifyIrisSignature on the raw body first.
func ParseIrisNotification(body []byte) (domain.PayoutResult, error) {
	res := domain.PayoutResult{Outcome: domain.OutcomeUnknown}
	var n IrisNotification
	if err := json.Unmarshal(body, &n); err != nil {
		return res, fmt.Errorf("%w: iris notification: %v", ErrUnparseable, err)
	}
	res.GatewayRef, res.RawStatus = n.ReferenceNo, strings.ToLower(strings.TrimSpace(n.Status))
	if n.ReferenceNo == "" {
		return res, fmt.Errorf("%w: iris notification without reference_no", ErrUnparseable)
	}
	amount, err := ParseAmount(string(n.Amount))
	if err != nil {
		return res, err
	}
	out, ok := irisOutcome(n.Status)
	if !ok {
		return res, fmt.Errorf("%w: iris status %q", gateways.ErrUnknownStatus, clip(res.RawStatus))
	}
	res.Outcome, res.Amount, res.Code, res.Reason = out, amount, n.ErrorCode, clip(n.ErrorMessage)
	res.At = parseIrisTime(n.UpdatedAt)
	return res, nil
}

// ParseIrisBalance reads {"balance":"25000.00"}.
func ParseIrisBalance(body []byte) (domain.Rupiah, error) {
	var b struct {
		Balance *wireString `json:"balance"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return 0, fmt.Errorf("%w: iris balance: %v", ErrUnparseable, err)
	}
	if b.Balance == nil {
		return 0, fmt.Errorf("%w: iris balance missing", ErrUnparseable)
	}
	return ParseAmount(string(*b.Balance))
}

// ParseIrisAccount reads a 200 account validation reply.
func ParseIrisAccount(body []byte) (holder, account, bank string, err error) {
	var a struct {
		AccountName string `json:"account_name"`
		AccountNo   string `json:"account_no"`
		BankName    string `json:"bank_name"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return "", "", "", fmt.Errorf("%w: iris account: %v", ErrUnparseable, err)
	}
	if strings.TrimSpace(a.AccountName) == "" {
		return "", "", "", fmt.Errorf("%w: iris account without a holder name", ErrUnparseable)
	}
	return a.AccountName, a.AccountNo, a.BankName, nil
}

// notesCarry reports whether notes names refID as a whole word, since notes
// may hold a description after the REFID.
func notesCarry(notes, refID string) bool {
	for _, f := range strings.FieldsFunc(notes, func(r rune) bool { return r == ' ' || r == '|' || r == ',' || r == ';' }) {
		if f == refID {
			return true
		}
	}
	return false
}

// parseIrisTime reads Iris's RFC 3339 timestamps; zero when absent or odd.
func parseIrisTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t
}

package ipaymu

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

// ErrWrongReference reports an answer about another reference id. It wraps
// gateways.ErrUnparseable: the answer about ours is unknown.
var ErrWrongReference = fmt.Errorf("ipaymu: answer names another reference: %w", gateways.ErrUnparseable)

// envelope is every iPaymu answer: {"Status", "Success"?, "Message", "Data"}.
type envelope struct {
	Status  int             `json:"Status"`
	Message string          `json:"Message"`
	Data    json.RawMessage `json:"Data"`
}

// number accepts a JSON number or a string holding one (MerchantBalance
// "1500000", Amount 10000).
type number string

func (n *number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*n = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = number(strings.TrimSpace(s))
	default:
		var v json.Number
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*n = number(v.String())
	}
	return nil
}

func (n number) rupiah() (domain.Rupiah, error) {
	s := string(n)
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

func data(body []byte, v any) error {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%w: ipaymu: %v", gateways.ErrUnparseable, err)
	}
	if env.Status != 200 {
		return fmt.Errorf("%w: ipaymu Status %d %s", gateways.ErrUnparseable, env.Status, clip(env.Message))
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		return fmt.Errorf("%w: ipaymu Data: %v", gateways.ErrUnparseable, err)
	}
	return nil
}

// ParseCreated reads the answer to POST /api/v2/payment: Data.SessionID and Data.Url.
func ParseCreated(body []byte, ref string) (domain.PaymentLink, error) {
	var d struct {
		SessionID string `json:"SessionID"`
		URL       string `json:"Url"`
	}
	if err := data(body, &d); err != nil {
		return domain.PaymentLink{ExternalID: ref}, err
	}
	if d.SessionID == "" || !strings.HasPrefix(d.URL, "http") {
		return domain.PaymentLink{ExternalID: ref}, fmt.Errorf("%w: ipaymu payment without SessionID or Url", gateways.ErrUnparseable)
	}
	return domain.PaymentLink{ExternalID: ref, GatewayRef: d.SessionID, URL: d.URL}, nil
}

// transaction is Data of POST /api/v2/transaction.
type transaction struct {
	TransactionID int64   `json:"TransactionId"`
	SessionID     string  `json:"SessionId"`
	ReferenceID   *string `json:"ReferenceId"`
	Amount        number  `json:"Amount"`
	Status        *int    `json:"Status"`
	StatusDesc    string  `json:"StatusDesc"`
	SuccessDate   *string `json:"SuccessDate"`
}

// ParseTransaction reads a check-transaction answer; ref, when set, must be
// its ReferenceId. It never panics.
func ParseTransaction(body []byte, ref string) (domain.PaymentResult, error) {
	res := domain.PaymentResult{ExternalID: ref, State: domain.PaymentStateUnknown}
	var t transaction
	if err := data(body, &t); err != nil {
		return res, err
	}
	if ref != "" && (t.ReferenceID == nil || *t.ReferenceID != ref) {
		got := "null"
		if t.ReferenceID != nil {
			got = *t.ReferenceID
		}
		return res, fmt.Errorf("%w: asked %q, got %q", ErrWrongReference, clip(ref), clip(got))
	}
	if t.Status == nil {
		return res, fmt.Errorf("%w: ipaymu transaction without Status", gateways.ErrUnparseable)
	}
	res.GatewayRef = strconv.FormatInt(t.TransactionID, 10)
	res.RawStatus = strconv.Itoa(*t.Status) + " " + t.StatusDesc
	st, ok := paymentState(*t.Status)
	if !ok {
		return res, fmt.Errorf("%w: ipaymu Status %d", gateways.ErrUnknownStatus, *t.Status)
	}
	amt, err := t.Amount.rupiah()
	if err != nil {
		return res, err
	}
	res.State, res.Amount, res.Verified = st, amt, true
	if st == domain.PaymentStatePaid && t.SuccessDate != nil {
		if p, err := time.ParseInLocation(time.DateTime, *t.SuccessDate, wib); err == nil {
			res.PaidAt = p
		}
	}
	return res, nil
}

// paymentState maps iPaymu's transaction Status codes
// (transaction/check-transaction.en.mdx): 0 pending, 1 success, 2
// cancelled, 3 refund, 4 error, 5 failed, 6 success-unsettled, 7 escrow,
// -2 expired. 6 is money received by iPaymu (settlement to the merchant
// follows), as Xendit's PAID before SETTLED; 7 (escrow) is not released yet.
func paymentState(s int) (domain.PaymentState, bool) {
	switch s {
	case 1, 6:
		return domain.PaymentStatePaid, true
	case 0, 7:
		return domain.PaymentStatePending, true
	case 2, 3, 4, 5:
		return domain.PaymentStateFailed, true
	case -2:
		return domain.PaymentStateExpired, true
	}
	return domain.PaymentStateUnknown, false
}

type historyEntry struct {
	TransactionID int64   `json:"TransactionId"`
	ReferenceID   *string `json:"ReferenceId"`
	Status        int     `json:"Status"`
}

// ParseHistory reads POST /api/v2/history. The docs page shows
// Data.Results with Total_Page; the recorded answer in iPaymu's Postman
// collection has Data.Transaction with Pagination.total_pages. Both are read.
func ParseHistory(body []byte) (list []historyEntry, more bool, err error) {
	var d struct {
		Results     []historyEntry `json:"Results"`
		Transaction []historyEntry `json:"Transaction"`
		CurrentPage int            `json:"Current_Page"`
		TotalPage   int            `json:"Total_Page"`
		Pagination  *struct {
			CurrentPage int `json:"current_page"`
			TotalPages  int `json:"total_pages"`
		} `json:"Pagination"`
	}
	if err := data(body, &d); err != nil {
		return nil, false, err
	}
	list = append(d.Results, d.Transaction...)
	cur, total := d.CurrentPage, d.TotalPage
	if d.Pagination != nil {
		cur, total = d.Pagination.CurrentPage, d.Pagination.TotalPages
	}
	return list, cur > 0 && cur < total, nil
}

// ParseBalance reads Data.MerchantBalance of POST /api/v2/balance.
func ParseBalance(body []byte) (domain.Rupiah, error) {
	var d struct {
		MerchantBalance number `json:"MerchantBalance"`
	}
	if err := data(body, &d); err != nil {
		return 0, err
	}
	return d.MerchantBalance.rupiah()
}

// decodeError reads {"Status":401,"Message":"unauthorized"} and
// {"Status":400,"Message":"invalid request","Error":{...}}.
func decodeError(status int, body []byte) (code, message string) {
	var env envelope
	if json.Unmarshal(body, &env) == nil && env.Message != "" {
		return strconv.Itoa(env.Status), env.Message
	}
	return gateways.DecodeGenericError(status, body)
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func decodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", gateways.ErrUnparseable, err)
	}
	return nil
}

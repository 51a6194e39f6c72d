// Package xendit is Lunas's adapter for Xendit: Invoices v2 for buyer
// payments, Payouts v2 for transfers, balance and payout channels. It is a
// thin client of the documented wire format (see reference/gateways.md §1),
// built on the shared gateways client: REFID is both the Idempotency-key and
// the reference_id, an ambiguous answer is OutcomeUnknown with an error, and
// DUPLICATE_ERROR is resolved by looking the payout up by reference_id.
//
// Invoices carry no idempotency key, so CreatePayment looks the external_id
// up before creating only when an earlier create may have reached Xendit (see
// CreatePayment and domain.PaymentRequest.Retry); RecentPayments pages the
// invoice list (see Config.ListPages).
//
// Failure test accounts: the payout failure outcomes the sandbox produces
// for its test accounts (sandbox.XenditTestAccounts) are our assumption, not
// Xendit's documented v2 test table, which was not retrieved: the account
// numbers are the legacy Disbursements magic values and their codes are
// mapped onto v2 failure codes by us (REJECTED_BY_BANK -> REJECTED_BY_CHANNEL;
// SWITCHING_NETWORK_ERROR -> DESTINATION_MAXIMUM_LIMIT). Only 131313 staying
// ACCEPTED is documented for v2. Nothing in this adapter depends on that
// mapping: a FAILED payout's failure_code is passed on as Xendit sends it
// (PayoutResult.Code), with a readable reason for the legacy and v2 names.
package xendit

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// DefaultBaseURL is Xendit's API host; test or live mode follows the key.
const DefaultBaseURL = "https://api.xendit.co"

// KeyWindow is how long Lunas counts on Xendit remembering a payout's
// Idempotency-key: until the first 00:00 UTC after the first send, less 15
// minutes. Xendit's API reference states no retention (xendit-go's generated
// comment says "No expiration", which no Xendit page repeats), so Lunas takes
// the shortest payout-key window any gateway it speaks documents (Iris) and
// only ever resends after a lookup by reference_id found nothing; see
// docs/GATEWAYS.md.
var KeyWindow = domain.KeyWindow{MidnightIn: time.UTC, Margin: 15 * time.Minute}

// rejections are the create errors Xendit documents as refusals of the
// request itself (HTTP 400 on POST /v2/payouts): nothing was created, and
// the same body would be refused again. Any other 4xx leaves the outcome
// unknown.
var rejections = map[string]bool{
	"API_VALIDATION_ERROR": true, "INVALID_JSON_FORMAT": true, "CHANNEL_CODE_NOT_SUPPORTED": true,
	"MINIMUM_TRANSFER_LIMIT_ERROR": true, "MAXIMUM_TRANSFER_LIMIT_ERROR": true, "AMOUNT_INCREMENT_NOT_SUPPORTED": true,
}

// Config configures a Client.
type Config struct {
	BaseURL        string // default DefaultBaseURL (the sandbox URL in demo mode and tests)
	SecretKey      string // xnd_development_... or xnd_production_...
	CallbackToken  string // the Dashboard's callback verification token
	UserAgent      string
	ConnectTimeout time.Duration
	Timeout        time.Duration
	Retry          gateways.RetryPolicy
	Logger         *slog.Logger
	// SuccessRedirectURL is where the invoice page sends a buyer who paid.
	SuccessRedirectURL string
	// ListPages caps the invoice list pages (100 each) RecentPayments reads
	// per filter in one call; 0 means DefaultListPages.
	ListPages int
	// PartPages is the pages RecentPaidFrom reads in one call (a part the
	// engine settles while it reads the next); 0 means DefaultPartPages.
	PartPages int
	// ListLimiter, when set, is waited for before every invoice list page
	// (RecentPayments, RecentPaid), so that a call reading several pages
	// is charged one request per page against GET /v2/invoices.
	ListLimiter interface {
		Wait(ctx context.Context) error
	}
	// Transport and Clock replace the network and the machine's clock
	// (nil: the real ones); the simulator (package sim) sets both.
	Transport http.RoundTripper
	Clock     gateways.Clock
	// OnRateLimit is told when Xendit answered 429 for an operation and
	// until when it asked Lunas to wait (Rate-Limit-Reset), so the engine's
	// limiters hold that endpoint too; the client itself sends nothing to
	// it before then. Operation names are the Op strings of this package
	// ("POST /v2/payouts", "GET /v2/payouts?reference_id", "GET /v2/invoices",
	// "GET /balance", ...).
	OnRateLimit func(op string, until time.Time)
}

// Client talks to Xendit. It implements domain.PaymentGateway,
// domain.PaymentLister, domain.PayoutChannel and domain.PayoutCanceller.
type Client struct {
	cfg     Config
	hc      *gateways.Client
	creates createGuard // external ids this client sent an invoice create for
}

var (
	_ domain.PaymentGateway  = (*Client)(nil)
	_ domain.PaymentLister   = (*Client)(nil)
	_ domain.PayoutChannel   = (*Client)(nil)
	_ domain.PayoutCanceller = (*Client)(nil)
	_ domain.ResendWindow    = (*Client)(nil)
)

// New returns a Client. The secret key and callback token are registered for
// redaction: they never appear in logs or error text.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	hc := gateways.New(gateways.Config{
		Gateway:        "xendit",
		BaseURL:        cfg.BaseURL,
		Auth:           &gateways.BasicAuth{User: cfg.SecretKey},
		UserAgent:      cfg.UserAgent,
		ConnectTimeout: cfg.ConnectTimeout,
		Timeout:        cfg.Timeout,
		Retry:          cfg.Retry,
		Logger:         cfg.Logger,
		Secrets:        []string{cfg.SecretKey, cfg.CallbackToken},
		DecodeError:    decodeError,
		Transport:      cfg.Transport,
		Clock:          cfg.Clock,
		OnRateLimit:    cfg.OnRateLimit,
	})
	return &Client{cfg: cfg, hc: hc}
}

// Name implements domain.PaymentGateway and domain.PayoutChannel.
func (c *Client) Name() string { return "xendit" }

// KeyWindow implements domain.ResendWindow.
func (c *Client) KeyWindow() domain.KeyWindow { return KeyWindow }

// HTTP returns the underlying shared client (for its redactor and logger).
func (c *Client) HTTP() *gateways.Client { return c.hc }

// ChannelCode maps a bank or wallet code ("BCA", "gopay") to Xendit's
// payout channel code ("ID_BCA"); codes already prefixed pass unchanged.
func ChannelCode(channel string) string {
	ch := strings.ToUpper(strings.TrimSpace(channel))
	if strings.HasPrefix(ch, "ID_") {
		return ch
	}
	return "ID_" + ch
}

type createPayoutReq struct {
	ReferenceID       string            `json:"reference_id"`
	ChannelCode       string            `json:"channel_code"`
	ChannelProperties map[string]string `json:"channel_properties"`
	Amount            int64             `json:"amount"`
	Currency          string            `json:"currency"`
	Description       string            `json:"description,omitempty"`
	ReceiptNotif      *receiptNotif     `json:"receipt_notification,omitempty"`
}

type receiptNotif struct {
	EmailTo []string `json:"email_to"`
}

// unknown returns an OutcomeUnknown result for refID with err.
func unknown(refID string, err error) (domain.PayoutResult, error) {
	return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}, err
}

// Send creates a payout with the REFID as Idempotency-key and reference_id.
// Sending the same request again is safe: Xendit returns the original payout,
// and a DUPLICATE_ERROR is resolved by looking the REFID up. Definite answers
// (accepted, rejected by validation) return a nil error; anything ambiguous
// returns OutcomeUnknown with the reason.
func (c *Client) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	if req.RefID == "" {
		return domain.PayoutResult{Outcome: domain.OutcomeRejected, Code: "API_VALIDATION_ERROR", Reason: "REFID kosong"}, nil
	}
	body := createPayoutReq{
		ReferenceID: req.RefID,
		ChannelCode: ChannelCode(req.Channel),
		ChannelProperties: map[string]string{
			"account_holder_name": req.AccountHolder,
			"account_number":      req.AccountNumber,
		},
		Amount:      int64(req.Amount),
		Currency:    "IDR",
		Description: truncate(req.Description, 100),
	}
	if req.Email != "" {
		body.ReceiptNotif = &receiptNotif{EmailTo: []string{req.Email}}
	}
	resp, err := c.hc.Do(ctx, gateways.Call{
		Op: "POST /v2/payouts", Method: http.MethodPost, Path: "/v2/payouts", JSON: body,
		IdempotencyKey: req.RefID, IdempotencyHeader: "Idempotency-key",
		NoRetry: true, // a repeat is a resend: the engine decides it by the key window
	})
	if err != nil {
		return c.sendError(ctx, req, err)
	}
	p, perr := parsePayout(resp.Body)
	if perr != nil {
		return unknown(req.RefID, fmt.Errorf("xendit: create payout %s: %w", req.RefID, perr))
	}
	res, rerr := p.result(req.RefID)
	if rerr != nil {
		res.Outcome = domain.OutcomeUnknown
		return res, fmt.Errorf("xendit: create payout %s: %w", req.RefID, rerr)
	}
	if res.Amount != req.Amount {
		res.Outcome = domain.OutcomeUnknown
		return res, fmt.Errorf("xendit: payout %s amount %d, sent %d: %w", req.RefID, res.Amount, req.Amount, gateways.ErrMismatch)
	}
	return res, nil
}

// sendError classifies a failed create.
func (c *Client) sendError(ctx context.Context, req domain.PayoutRequest, err error) (domain.PayoutResult, error) {
	var ae *gateways.APIError
	if !errors.As(err, &ae) {
		return unknown(req.RefID, err)
	}
	switch {
	case ae.Code == "DUPLICATE_ERROR" || ae.Code == "DUPLICATE_TRANSACTION_ERROR":
		// The key was used before: the REFID exists at Xendit. Its state is
		// the answer, as long as it is the same money.
		res, serr := c.Status(ctx, req.RefID)
		if serr != nil {
			return res, serr
		}
		if res.Outcome == domain.OutcomeNotFound {
			return unknown(req.RefID, fmt.Errorf("xendit: %s reported for %s but no payout found: %w", ae.Code, req.RefID, gateways.ErrAmbiguous))
		}
		if res.Amount != req.Amount {
			res.Outcome = domain.OutcomeUnknown
			return res, fmt.Errorf("xendit: payout %s exists with amount %d, sent %d: %w", req.RefID, res.Amount, req.Amount, gateways.ErrMismatch)
		}
		return res, nil
	case ae.HTTPStatus == http.StatusBadRequest && rejections[ae.Code]:
		// A documented refusal of the request: Xendit created nothing.
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeRejected, Code: ae.Code, Reason: rejectReason(ae), RawStatus: ae.Code}, nil
	default:
		// Any other 4xx (an undocumented 400 code, 401/403 configuration,
		// 404, 409, 429) and 5xx: the request may have reached Xendit and
		// nothing definite was said about the REFID.
		res, _ := unknown(req.RefID, err)
		res.Code, res.Reason = ae.Code, ae.Message
		return res, err
	}
}

func rejectReason(ae *gateways.APIError) string {
	switch ae.Code {
	case "CHANNEL_CODE_NOT_SUPPORTED":
		return "Bank/e-wallet tidak didukung Xendit (channel not supported)"
	case "MINIMUM_TRANSFER_LIMIT_ERROR":
		return "Jumlah di bawah minimum (amount below minimum)"
	case "MAXIMUM_TRANSFER_LIMIT_ERROR":
		return "Jumlah di atas maksimum (amount above maximum)"
	case "AMOUNT_INCREMENT_NOT_SUPPORTED":
		return "Kelipatan jumlah tidak didukung (amount increment not supported)"
	}
	if ae.Message != "" {
		return ae.Message
	}
	return "Permintaan ditolak Xendit (" + ae.Code + ")"
}

// Status asks Xendit about a REFID (GET /v2/payouts?reference_id=). No
// payout gives OutcomeNotFound. reference_id is not unique at Xendit, so any
// payout under the REFID that did not fail is taken as ours; two such give
// OutcomeUnknown with gateways.ErrAmbiguous, because a person must look.
func (c *Client) Status(ctx context.Context, refID string) (domain.PayoutResult, error) {
	resp, err := c.hc.Do(ctx, gateways.Call{
		Op: "GET /v2/payouts?reference_id", Path: "/v2/payouts",
		Query: url.Values{"reference_id": {refID}, "limit": {"10"}},
	})
	if err != nil {
		return unknown(refID, err)
	}
	list, err := parsePayoutList(resp.Body)
	if err != nil {
		return unknown(refID, fmt.Errorf("xendit: payouts of %s: %w", refID, err))
	}
	var mine, live []payout
	for _, p := range list {
		if p.ReferenceID == refID {
			mine = append(mine, p)
			if out, ok := payoutOutcome(p.Status); !ok || out != domain.OutcomeFailed {
				live = append(live, p)
			}
		}
	}
	switch {
	case len(mine) == 0:
		if len(list) > 0 {
			return unknown(refID, fmt.Errorf("xendit: payouts of %s name other references: %w", refID, gateways.ErrMismatch))
		}
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeNotFound}, nil
	case len(mine) == 1:
		return mine[0].result(refID)
	case len(live) == 1:
		// reference_id is not unique at Xendit: a payout under our REFID that
		// did not fail is ours, whatever failed beside it.
		return live[0].result(refID)
	case len(live) == 0:
		return mine[0].result(refID) // every one failed: no money moved
	}
	return unknown(refID, fmt.Errorf("xendit: %d payouts under %s that did not fail (paid more than once?): %w", len(live), refID, gateways.ErrAmbiguous))
}

// PayoutByID reads one payout by Xendit's id (GET /v2/payouts/{id}).
func (c *Client) PayoutByID(ctx context.Context, id string) (domain.PayoutResult, error) {
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "GET /v2/payouts/{id}", Path: "/v2/payouts/" + url.PathEscape(id)})
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusNotFound {
			return domain.PayoutResult{GatewayRef: id, Outcome: domain.OutcomeNotFound}, nil
		}
		return domain.PayoutResult{GatewayRef: id, Outcome: domain.OutcomeUnknown}, err
	}
	p, err := parsePayout(resp.Body)
	if err != nil {
		return domain.PayoutResult{GatewayRef: id, Outcome: domain.OutcomeUnknown}, fmt.Errorf("xendit: payout %s: %w", id, err)
	}
	if p.ID != id {
		return domain.PayoutResult{GatewayRef: id, Outcome: domain.OutcomeUnknown}, fmt.Errorf("xendit: asked for %s, got %s: %w", id, p.ID, gateways.ErrMismatch)
	}
	return p.result(p.ReferenceID)
}

// Cancel cancels a payout that is still ACCEPTED. When Xendit refuses
// (already sent), the payout's current state is returned with a nil error.
func (c *Client) Cancel(ctx context.Context, refID string) (domain.PayoutResult, error) {
	cur, err := c.Status(ctx, refID)
	if err != nil || cur.Outcome == domain.OutcomeNotFound || cur.Outcome != domain.OutcomeAccepted {
		return cur, err
	}
	resp, err := c.hc.Do(ctx, gateways.Call{
		Op: "POST /v2/payouts/{id}/cancel", Method: http.MethodPost,
		Path: "/v2/payouts/" + url.PathEscape(cur.GatewayRef) + "/cancel",
	})
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusBadRequest {
			return c.Status(ctx, refID)
		}
		return unknown(refID, err)
	}
	p, err := parsePayout(resp.Body)
	if err != nil {
		return unknown(refID, fmt.Errorf("xendit: cancel %s: %w", refID, err))
	}
	return p.result(refID)
}

// Balance returns the IDR cash balance.
func (c *Client) Balance(ctx context.Context) (domain.Rupiah, error) {
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "GET /balance", Path: "/balance",
		Query: url.Values{"account_type": {"CASH"}, "currency": {"IDR"}}})
	if err != nil {
		return 0, err
	}
	b, err := parseBalance(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("xendit: balance: %w", err)
	}
	return b, nil
}

// ValidateAccount is not offered by Xendit Payouts v2: the holder name is
// checked by the bank when the payout runs. It returns gateways.ErrUnsupported.
func (c *Client) ValidateAccount(ctx context.Context, channel, account string) (domain.AccountInfo, error) {
	return domain.AccountInfo{Channel: channel, AccountNumber: account}, fmt.Errorf("xendit: account validation: %w", gateways.ErrUnsupported)
}

// PayoutChannel is one entry of GET /payouts_channels.
type PayoutChannel struct {
	Code      string
	Category  string // BANK, EWALLET, OTC
	Name      string
	Minimum   domain.Rupiah
	Maximum   domain.Rupiah
	Increment domain.Rupiah
}

// Channels lists the IDR payout channels.
func (c *Client) Channels(ctx context.Context) ([]PayoutChannel, error) {
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "GET /payouts_channels", Path: "/payouts_channels",
		Query: url.Values{"currency": {"IDR"}}})
	if err != nil {
		return nil, err
	}
	return parseChannels(resp.Body)
}

func parseChannels(body []byte) ([]PayoutChannel, error) {
	var raw []struct {
		Code     string `json:"channel_code"`
		Category string `json:"channel_category"`
		Name     string `json:"channel_name"`
		Limits   struct {
			Min json.Number `json:"minimum"`
			Max json.Number `json:"maximum"`
			Inc json.Number `json:"minimum_increment"`
		} `json:"amount_limits"`
	}
	if err := decodeStrict(body, &raw); err != nil {
		return nil, fmt.Errorf("xendit: channels: %w", err)
	}
	out := make([]PayoutChannel, 0, len(raw))
	for _, r := range raw {
		ch := PayoutChannel{Code: r.Code, Category: r.Category, Name: r.Name}
		var err error
		if ch.Minimum, err = parseAmount(r.Limits.Min); err != nil {
			return nil, err
		}
		if ch.Maximum, err = parseAmount(r.Limits.Max); err != nil {
			return nil, err
		}
		if ch.Increment, err = parseAmount(r.Limits.Inc); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// VerifyCallbackToken compares a webhook's x-callback-token header with the
// configured token in constant time. An unset token verifies nothing.
func (c *Client) VerifyCallbackToken(got string) bool {
	return verifyToken(c.cfg.CallbackToken, got)
}

func verifyToken(want, got string) bool {
	if want == "" {
		return false
	}
	// Hash both so the comparison time does not depend on length either.
	a, b := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// Package ipaymu is Lunas's adapter for iPaymu API v2 buyer payments
// (redirect payment page), following ipaymu/docs-ipaymu-api-v2 as kept in
// testdata/wire. iPaymu publishes no bank payout API (its "transferva"
// moves balance between iPaymu members only), so an iPaymu shop pays its
// sellers through the payout channel the owner chooses.
//
// Every request is signed as iPaymu documents: signature =
// hex(HMAC-SHA256(apiKey, METHOD:va:lower(hex(SHA-256(body))):apiKey)),
// with headers va, signature and timestamp. The body is hashed exactly as
// sent (Go's encoder without HTML escaping, so "/" is not escaped and the
// hash matches the bytes on the wire).
//
// A payment is settled only when iPaymu's own record says so: status 1
// (success) or 6 (success, unsettled: the money reached iPaymu). The
// transaction is found by iPaymu's transaction id, or by our reference id
// in the transaction history; callbacks are verified (X-Signature with the
// merchant VA) and, when they do not verify, refused and logged.
package ipaymu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// Hosts (ipaymu/docs-ipaymu-api-v2, getting started; ipaymu-go-api constanta.go).
const (
	SandboxURL    = "https://sandbox.ipaymu.com"
	ProductionURL = "https://my.ipaymu.com"
)

// Paths Lunas uses (all POST, JSON).
const (
	PathPayment     = "/api/v2/payment"
	PathTransaction = "/api/v2/transaction"
	PathHistory     = "/api/v2/history"
	PathBalance     = "/api/v2/balance"
)

// ErrKeyRefused reports iPaymu's 401 "unauthorized": the VA or API key is wrong.
var ErrKeyRefused = errors.New("ipaymu: key refused by iPaymu")

// ErrSignature reports a callback whose X-Signature does not verify. It
// matches gateways.ErrCallbackAuth.
var ErrSignature = fmt.Errorf("ipaymu: callback signature does not verify: %w", gateways.ErrCallbackAuth)

// ErrCreateAmbiguous reports a payment link whose earlier create may have
// reached iPaymu: iPaymu has no idempotency key, so Lunas never makes a
// second link for the order; the link stored the first time stays.
var ErrCreateAmbiguous = fmt.Errorf("ipaymu: a payment link for this order may already exist: %w", domain.ErrDuplicate)

// Signature is iPaymu's request signature.
func Signature(method, va string, body []byte, apiKey string) string {
	sum := sha256.Sum256(body)
	s := strings.ToUpper(method) + ":" + va + ":" + strings.ToLower(hex.EncodeToString(sum[:])) + ":" + apiKey
	m := hmac.New(sha256.New, []byte(apiKey))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a request signature in constant time (the sandbox
// does this).
func VerifySignature(sig, method, va string, body []byte, apiKey string) bool {
	if sig == "" || apiKey == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(sig)))), sha256.Sum256([]byte(Signature(method, va, body, apiKey)))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// Config configures a Client.
type Config struct {
	BaseURL string // default ProductionURL
	VA      string // the merchant's iPaymu VA number
	APIKey  string
	// ReturnURL, CancelURL and NotifyURL are required by the payment API;
	// Lunas polls, so they default to pages of the shop's choice or to
	// placeholders that do nothing.
	ReturnURL, CancelURL, NotifyURL string
	// HistoryPages bounds the history pages (20 each, newest first) read to
	// find a payment by our reference id; default 5.
	HistoryPages int
	Logger       *slog.Logger
	Timeout      time.Duration
	Retry        gateways.RetryPolicy
	Transport    http.RoundTripper
	Clock        gateways.Clock
	OnRateLimit  func(op string, until time.Time)
}

// Client talks to iPaymu. It implements domain.PaymentGateway.
type Client struct {
	cfg   Config
	hc    *gateways.Client
	clock gateways.Clock

	mu    sync.Mutex
	links map[string]domain.PaymentLink // created by this client
	sent  map[string]bool
	txids map[string]int64 // our reference id -> iPaymu TransactionId, once learnt
}

var _ domain.PaymentGateway = (*Client)(nil)

// New returns a Client; the API key never reaches logs or error text.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = ProductionURL
	}
	if cfg.HistoryPages <= 0 {
		cfg.HistoryPages = 5
	}
	for _, p := range []*string{&cfg.ReturnURL, &cfg.CancelURL, &cfg.NotifyURL} {
		if *p == "" {
			*p = "https://lunas.invalid/ipaymu"
		}
	}
	c := &Client{cfg: cfg, links: map[string]domain.PaymentLink{}, sent: map[string]bool{}, txids: map[string]int64{}}
	c.hc = gateways.New(gateways.Config{Gateway: "ipaymu", BaseURL: cfg.BaseURL, Logger: cfg.Logger, Timeout: cfg.Timeout,
		Retry: cfg.Retry, Secrets: []string{cfg.APIKey}, DecodeError: decodeError, Transport: cfg.Transport, Clock: cfg.Clock,
		OnRateLimit: cfg.OnRateLimit})
	c.clock = cfg.Clock
	if c.clock == nil {
		c.clock = gateways.SystemClock{}
	}
	return c
}

// Name implements domain.PaymentGateway.
func (c *Client) Name() string { return "ipaymu" }

// HTTP returns the underlying shared client.
func (c *Client) HTTP() *gateways.Client { return c.hc }

// post sends one signed request. once: a create, never repeated.
func (c *Client) post(ctx context.Context, path string, body any, once bool) (*gateways.Response, error) {
	raw, err := marshal(body)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "POST " + path, Method: http.MethodPost, Path: path, Body: raw,
		ContentType: "application/json", NoRetry: once, Header: map[string]string{
			"va": c.cfg.VA, "signature": Signature(http.MethodPost, c.cfg.VA, raw, c.cfg.APIKey),
			"timestamp": c.clock.Now().In(wib).Format("20060102150405"),
		}})
	if err != nil {
		return resp, keyRefused(err)
	}
	// iPaymu also writes its status in the body ("Status": 401 with HTTP 200
	// is what its PHP SDK guards against).
	var env envelope
	if decodeJSON(resp.Body, &env) == nil && env.Status != 0 && env.Status != 200 {
		ae := &gateways.APIError{Gateway: "ipaymu", Op: "POST " + path, HTTPStatus: env.Status, Message: clip(env.Message),
			Retryable: env.Status == 429 || env.Status >= 500}
		return resp, keyRefused(ae)
	}
	return resp, nil
}

func keyRefused(err error) error {
	var ae *gateways.APIError
	if errors.As(err, &ae) && (ae.HTTPStatus == http.StatusUnauthorized || ae.HTTPStatus == http.StatusForbidden) {
		return fmt.Errorf("%w: %w", ErrKeyRefused, err)
	}
	return err
}

var wib = time.FixedZone("WIB", 7*3600)

type paymentReq struct {
	Product      []string `json:"product"`
	Qty          []string `json:"qty"`
	Price        []string `json:"price"`
	Description  []string `json:"description"`
	ReturnURL    string   `json:"returnUrl"`
	NotifyURL    string   `json:"notifyUrl"`
	CancelURL    string   `json:"cancelUrl"`
	ReferenceID  string   `json:"referenceId"`
	BuyerName    string   `json:"buyerName,omitempty"`
	BuyerEmail   string   `json:"buyerEmail,omitempty"`
	Expired      int64    `json:"expired,omitempty"`
	FeeDirection string   `json:"feeDirection"`
}

// CreatePayment creates an iPaymu payment page for the order (referenceId =
// ExternalID), one line for the order's total, the fee on the merchant so
// that the buyer pays exactly the order total. A second create through this
// client returns the first link; when an earlier create may have reached
// iPaymu (req.Retry, or a lost answer) no second link is made
// (ErrCreateAmbiguous): iPaymu has no idempotency key. Never retried inside
// the call.
func (c *Client) CreatePayment(ctx context.Context, req domain.PaymentRequest) (domain.PaymentLink, error) {
	if req.ExternalID == "" || len(req.ExternalID) > 64 {
		return domain.PaymentLink{}, domain.Invalid("external_id", "order id must be 1-64 characters")
	}
	if req.Amount <= 0 {
		return domain.PaymentLink{}, domain.Invalid("amount", "amount must be positive")
	}
	c.mu.Lock()
	l, ok := c.links[req.ExternalID]
	sent := c.sent[req.ExternalID]
	c.mu.Unlock()
	if ok {
		return l, nil
	}
	if sent || req.Retry {
		return domain.PaymentLink{ExternalID: req.ExternalID}, ErrCreateAmbiguous
	}
	desc := req.Description
	if desc == "" {
		desc = req.ExternalID
	}
	body := paymentReq{Product: []string{truncate(desc, 100)}, Qty: []string{"1"}, Price: []string{strconv.FormatInt(int64(req.Amount), 10)},
		Description: []string{req.ExternalID}, ReturnURL: c.cfg.ReturnURL, NotifyURL: c.cfg.NotifyURL, CancelURL: c.cfg.CancelURL,
		ReferenceID: req.ExternalID, BuyerName: req.BuyerName, BuyerEmail: req.BuyerEmail, FeeDirection: "MERCHANT"}
	if req.Expiry > 0 {
		body.Expired = int64((req.Expiry + time.Hour - 1) / time.Hour)
	}
	c.mu.Lock()
	c.sent[req.ExternalID] = true
	c.mu.Unlock()
	resp, err := c.post(ctx, PathPayment, body, true)
	if err != nil {
		return domain.PaymentLink{ExternalID: req.ExternalID}, err
	}
	link, err := ParseCreated(resp.Body, req.ExternalID)
	if err != nil {
		return link, err
	}
	if req.Expiry > 0 {
		link.ExpiresAt = c.clock.Now().Add(time.Duration(body.Expired) * time.Hour)
	}
	c.mu.Lock()
	c.links[req.ExternalID] = link
	c.mu.Unlock()
	return link, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// TransactionStatus reads one transaction by iPaymu's id
// (POST /api/v2/transaction). ref, when set, must be the transaction's
// ReferenceId.
func (c *Client) TransactionStatus(ctx context.Context, id int64, ref string) (domain.PaymentResult, error) {
	unk := domain.PaymentResult{ExternalID: ref, State: domain.PaymentStateUnknown}
	resp, err := c.post(ctx, PathTransaction, map[string]string{"transactionId": strconv.FormatInt(id, 10)}, false)
	if err != nil {
		return unk, err
	}
	return ParseTransaction(resp.Body, ref)
}

// PaymentStatus implements domain.PaymentGateway: by the transaction id
// once known, else by our reference id in the newest history pages
// (POST /api/v2/history, 20 a page, Config.HistoryPages pages). A reference
// iPaymu does not list yet (the buyer has not chosen a method) is pending,
// RawStatus "not_found": nothing is settled by it.
func (c *Client) PaymentStatus(ctx context.Context, ref string) (domain.PaymentResult, error) {
	c.mu.Lock()
	id, ok := c.txids[ref]
	c.mu.Unlock()
	if ok {
		return c.TransactionStatus(ctx, id, ref)
	}
	for page := 1; page <= c.cfg.HistoryPages; page++ {
		resp, err := c.post(ctx, PathHistory, map[string]string{"orderBy": "id", "order": "DESC", "limit": "20", "page": strconv.Itoa(page)}, false)
		if err != nil {
			return domain.PaymentResult{ExternalID: ref, State: domain.PaymentStateUnknown}, err
		}
		list, more, err := ParseHistory(resp.Body)
		if err != nil {
			return domain.PaymentResult{ExternalID: ref, State: domain.PaymentStateUnknown}, err
		}
		var found []historyEntry
		for _, e := range list {
			if e.ReferenceID != nil && *e.ReferenceID == ref {
				found = append(found, e)
			}
		}
		if len(found) > 0 {
			// Several attempts can share a reference (the buyer chose a
			// method twice): a paid one wins, else the newest.
			pick := found[0]
			for _, e := range found {
				if st, _ := paymentState(e.Status); st == domain.PaymentStatePaid {
					pick = e
					break
				}
			}
			c.mu.Lock()
			if len(found) == 1 {
				c.txids[ref] = pick.TransactionID
			}
			c.mu.Unlock()
			return c.TransactionStatus(ctx, pick.TransactionID, ref)
		}
		if !more {
			break
		}
	}
	return domain.PaymentResult{ExternalID: ref, State: domain.PaymentStatePending, RawStatus: "not_found", Verified: true}, nil
}

// Balance reads the merchant balance (POST /api/v2/balance).
func (c *Client) Balance(ctx context.Context) (domain.Rupiah, error) {
	resp, err := c.post(ctx, PathBalance, map[string]string{"account": c.cfg.VA}, false)
	if err != nil {
		return 0, err
	}
	return ParseBalance(resp.Body)
}

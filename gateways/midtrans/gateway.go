package midtrans

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// Config configures the Snap and Core API client.
type Config struct {
	CoreURL   string // https://api.sandbox.midtrans.com or https://api.midtrans.com
	SnapURL   string // https://app.sandbox.midtrans.com or https://app.midtrans.com
	ServerKey string // Basic auth user for Core and Snap; also the signature secret
	Logger    *slog.Logger
	Timeout   time.Duration
	Retry     gateways.RetryPolicy
	Transport http.RoundTripper
	Now       func() time.Time // default time.Now
	Clock     gateways.Clock   // the HTTP client's waits and jitter; nil: gateways.SystemClock
}

// Gateway is Midtrans as a domain.PaymentGateway: Snap creates the payment
// link, the Core API status verifies it.
type Gateway struct {
	core, snap *gateways.Client
	serverKey  string
	now        func() time.Time

	mu    sync.Mutex
	links map[string]domain.PaymentLink // created by this process, by order_id
}

var _ domain.PaymentGateway = (*Gateway)(nil)

// New builds a Gateway.
func New(cfg Config) *Gateway {
	auth := &gateways.BasicAuth{User: cfg.ServerKey}
	mk := func(base string) *gateways.Client {
		return gateways.New(gateways.Config{
			Gateway: "midtrans", BaseURL: base, Auth: auth, Logger: cfg.Logger,
			Timeout: cfg.Timeout, Retry: cfg.Retry, Transport: cfg.Transport, Clock: cfg.Clock,
			DecodeError: decodeError,
		})
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Gateway{core: mk(cfg.CoreURL), snap: mk(cfg.SnapURL), serverKey: cfg.ServerKey, now: now,
		links: map[string]domain.PaymentLink{}}
}

// Name implements domain.PaymentGateway.
func (g *Gateway) Name() string { return "midtrans" }

// decodeError reads Midtrans and Iris error bodies for gateways.APIError.
func decodeError(status int, body []byte) (code, message string) {
	if e, ok := parseAPIError(body); ok {
		return string(e.StatusCode), e.message()
	}
	return gateways.DecodeGenericError(status, body)
}

// ValidOrderID reports whether id is safe as a Midtrans order_id: 1 to 50
// characters from A-Z a-z 0-9 - _ . ~. Other characters break the later
// status call (midtrans-go#32).
func ValidOrderID(id string) bool {
	if id == "" || len(id) > 50 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
		default:
			return false
		}
	}
	return true
}

type snapItem struct {
	ID       string `json:"id,omitempty"`
	Price    int64  `json:"price"`
	Quantity int64  `json:"quantity"`
	Name     string `json:"name"`
}

type snapRequest struct {
	TransactionDetails struct {
		OrderID     string `json:"order_id"`
		GrossAmount int64  `json:"gross_amount"`
	} `json:"transaction_details"`
	CustomerDetails *struct {
		FirstName string `json:"first_name,omitempty"`
		Email     string `json:"email,omitempty"`
	} `json:"customer_details,omitempty"`
	ItemDetails []snapItem `json:"item_details,omitempty"`
	Expiry      *struct {
		Unit     string `json:"unit"`
		Duration int64  `json:"duration"`
	} `json:"expiry,omitempty"`
}

// snapItems lists the order's items for Snap, which requires the lines to sum
// to gross_amount: shipping, fees and discounts go into one adjustment line.
func snapItems(items []domain.OrderItem, total domain.Rupiah) []snapItem {
	if len(items) == 0 {
		return nil
	}
	var out []snapItem
	var sum domain.Rupiah
	for _, it := range items {
		line, err := it.LineTotal()
		if err != nil || it.Qty <= 0 {
			return nil
		}
		if sum, err = sum.Add(line); err != nil {
			return nil
		}
		name := it.Name
		if len(name) > 50 { // Snap limit
			name = name[:50]
		}
		out = append(out, snapItem{Price: int64(it.UnitPrice), Quantity: it.Qty, Name: name})
	}
	if d := total - sum; d != 0 {
		out = append(out, snapItem{ID: "adjustment", Price: int64(d), Quantity: 1, Name: "Ongkir, biaya dan diskon"})
	}
	return out
}

// CreatePayment creates a Snap transaction. Midtrans refuses a second
// transaction with the same order_id, so one ExternalID can never have two
// payable links. A second create from this process returns the first link;
// after a restart Midtrans's refusal comes back as an *gateways.APIError
// (the caller keeps the link it stored the first time).
func (g *Gateway) CreatePayment(ctx context.Context, req domain.PaymentRequest) (domain.PaymentLink, error) {
	g.mu.Lock()
	l, ok := g.links[req.ExternalID]
	g.mu.Unlock()
	if ok {
		return l, nil
	}
	if !ValidOrderID(req.ExternalID) {
		return domain.PaymentLink{}, domain.Invalid("external_id", "order id must be 1-50 letters, digits, '-', '_', '.' or '~'")
	}
	if req.Amount <= 0 {
		return domain.PaymentLink{}, domain.Invalid("amount", "amount must be positive")
	}
	var body snapRequest
	body.TransactionDetails.OrderID = req.ExternalID
	body.TransactionDetails.GrossAmount = int64(req.Amount)
	if req.BuyerName != "" || req.BuyerEmail != "" {
		body.CustomerDetails = &struct {
			FirstName string `json:"first_name,omitempty"`
			Email     string `json:"email,omitempty"`
		}{req.BuyerName, req.BuyerEmail}
	}
	body.ItemDetails = snapItems(req.Items, req.Amount)
	if req.Expiry > 0 {
		mins := int64((req.Expiry + time.Minute - 1) / time.Minute)
		body.Expiry = &struct {
			Unit     string `json:"unit"`
			Duration int64  `json:"duration"`
		}{"minutes", mins}
	}
	resp, err := g.snap.Do(ctx, gateways.Call{Op: "snap create", Method: http.MethodPost, Path: "/snap/v1/transactions", JSON: body})
	if err != nil {
		return domain.PaymentLink{}, err
	}
	var out struct {
		Token       string `json:"token"`
		RedirectURL string `json:"redirect_url"`
	}
	if err := gateways.DecodeJSON(resp.Body, &out); err != nil {
		return domain.PaymentLink{}, err
	}
	if out.Token == "" || out.RedirectURL == "" {
		return domain.PaymentLink{}, fmt.Errorf("snap create: %w: no token or redirect_url", ErrUnparseable)
	}
	link := domain.PaymentLink{ExternalID: req.ExternalID, GatewayRef: out.Token, URL: out.RedirectURL}
	if req.Expiry > 0 {
		link.ExpiresAt = g.now().Add(req.Expiry)
	}
	g.mu.Lock()
	g.links[req.ExternalID] = link
	g.mu.Unlock()
	return link, nil
}

// PaymentStatus asks the Core API about an order. The body decides: an
// HTTP 404 or 200 carrying status_code 404 is a payment whose buyer has not
// chosen a method yet (pending). Anything else that is not a usable, signed
// answer is PaymentStateUnknown with an error.
func (g *Gateway) PaymentStatus(ctx context.Context, externalID string) (domain.PaymentResult, error) {
	unknown := domain.PaymentResult{ExternalID: externalID, State: domain.PaymentStateUnknown}
	if !ValidOrderID(externalID) {
		return unknown, domain.Invalid("external_id", "not a valid Midtrans order id")
	}
	resp, err := g.core.Do(ctx, gateways.Call{Op: "core status", Path: "/v2/" + url.PathEscape(externalID) + "/status"})
	if err != nil {
		var ae *gateways.APIError
		if resp == nil || !errors.As(err, &ae) || (ae.HTTPStatus != http.StatusNotFound) {
			return unknown, err
		}
		// HTTP 404 whose body may say status_code 404: let the body decide.
	}
	return ParseStatus(resp.Body, externalID, g.serverKey)
}

// VerifyNotification checks and reads an HTTP notification body (the same
// fields as a status). A forged or tampered notification returns an error
// wrapping ErrSignature and Verified=false. Lunas polls; this exists for
// setups that also receive notifications.
func (g *Gateway) VerifyNotification(body []byte) (domain.PaymentResult, error) {
	var s StatusResponse
	if err := gateways.DecodeJSON(body, &s); err != nil {
		return domain.PaymentResult{State: domain.PaymentStateUnknown}, err
	}
	if strings.TrimSpace(s.SignatureKey) == "" {
		return domain.PaymentResult{ExternalID: s.OrderID, State: domain.PaymentStateUnknown}, ErrSignature
	}
	return ParseStatus(body, s.OrderID, g.serverKey)
}

package doku

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// ErrCreateAmbiguous reports a payment link whose earlier create may have
// reached DOKU (after a restart or a lost answer) while DOKU's status shows
// the invoice alive: Lunas does not make a second payable link, and the
// status answer carries no link to give back. The link stored the first
// time stays the order's link.
var ErrCreateAmbiguous = fmt.Errorf("doku: a checkout for this invoice may already exist: %w", domain.ErrDuplicate)

// nonSnapHeaders signs a Checkout request.
func (c *Client) nonSnapHeaders(target string, body []byte) map[string]string {
	rid := c.requestID()
	ts := c.now().UTC().Format(nonSnapTimeStamp)
	comp := Components{ClientID: c.cfg.ClientID, RequestID: rid, Timestamp: ts, Target: target, Body: body}
	return map[string]string{
		"Client-Id": c.cfg.ClientID, "Request-Id": rid, "Request-Timestamp": ts,
		"Signature": Signature(comp, c.cfg.SecretKey),
	}
}

type checkoutItem struct {
	Name     string `json:"name"`
	Quantity int64  `json:"quantity"`
	Price    int64  `json:"price"`
}

type checkoutReq struct {
	Order struct {
		Amount        int64          `json:"amount"`
		InvoiceNumber string         `json:"invoice_number"`
		Currency      string         `json:"currency"`
		LineItems     []checkoutItem `json:"line_items,omitempty"`
	} `json:"order"`
	Payment struct {
		PaymentDueDate int64 `json:"payment_due_date,omitempty"`
	} `json:"payment"`
	Customer *struct {
		Name  string `json:"name,omitempty"`
		Email string `json:"email,omitempty"`
	} `json:"customer,omitempty"`
}

// ValidInvoice reports whether id is usable as DOKU's invoice_number: 1-30
// characters (DOKU: 64, but 30 with the card channel) of letters, digits
// and - _, so it is safe in the status path.
func ValidInvoice(id string) bool {
	if id == "" || len(id) > 30 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// CreatePayment creates a DOKU Checkout page for the order (invoice_number
// = ExternalID). A second create through this client returns the first
// link. When an earlier create may have reached DOKU (req.Retry, or this
// client sent one whose answer was lost), DOKU's status is asked first: an
// invoice DOKU knows and that is not expired or failed is never created
// again (ErrCreateAmbiguous); only "not found" creates. The create POST is
// never retried inside the call.
func (c *Client) CreatePayment(ctx context.Context, req domain.PaymentRequest) (domain.PaymentLink, error) {
	if !ValidInvoice(req.ExternalID) {
		return domain.PaymentLink{}, domain.Invalid("external_id", "DOKU invoice numbers are 1-30 letters, digits, '-' or '_'")
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
		st, err := c.PaymentStatus(ctx, req.ExternalID)
		if err != nil {
			return domain.PaymentLink{ExternalID: req.ExternalID}, err
		}
		if st.RawStatus != "NOT_FOUND" && st.State != domain.PaymentStateExpired {
			return domain.PaymentLink{ExternalID: req.ExternalID}, fmt.Errorf("%w (DOKU says %s)", ErrCreateAmbiguous, st.RawStatus)
		}
	}
	var body checkoutReq
	body.Order.Amount, body.Order.InvoiceNumber, body.Order.Currency = int64(req.Amount), req.ExternalID, "IDR"
	if items := lineItems(req.Items, req.Amount); len(items) > 0 {
		body.Order.LineItems = items
	}
	due := req.Expiry
	if due <= 0 {
		due = c.cfg.PaymentDue
	}
	if due > 0 {
		body.Payment.PaymentDueDate = int64((due + time.Minute - 1) / time.Minute)
	}
	if req.BuyerName != "" || req.BuyerEmail != "" {
		body.Customer = &struct {
			Name  string `json:"name,omitempty"`
			Email string `json:"email,omitempty"`
		}{req.BuyerName, req.BuyerEmail}
	}
	raw, err := marshal(body)
	if err != nil {
		return domain.PaymentLink{}, err
	}
	c.mu.Lock()
	c.sent[req.ExternalID] = true
	c.mu.Unlock()
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "POST " + PathCheckout, Method: http.MethodPost, Path: PathCheckout,
		Body: raw, ContentType: "application/json", Header: c.nonSnapHeaders(PathCheckout, raw), NoRetry: true})
	if err != nil {
		return domain.PaymentLink{ExternalID: req.ExternalID}, keyRefused(err)
	}
	link, err := ParseCheckoutCreated(resp.Body, req.ExternalID, req.Amount)
	if err != nil {
		return domain.PaymentLink{ExternalID: req.ExternalID}, err
	}
	if link.ExpiresAt.IsZero() && due > 0 {
		link.ExpiresAt = c.now().Add(due)
	}
	c.mu.Lock()
	c.links[req.ExternalID] = link
	c.mu.Unlock()
	return link, nil
}

// lineItems lists the order's items; DOKU checks that they add up to the
// amount, so shipping, fees and discounts go into one adjustment line.
func lineItems(items []domain.OrderItem, total domain.Rupiah) []checkoutItem {
	var out []checkoutItem
	var sum domain.Rupiah
	for _, it := range items {
		line, err := it.LineTotal()
		if err != nil || it.Qty <= 0 {
			return nil
		}
		if sum, err = sum.Add(line); err != nil {
			return nil
		}
		out = append(out, checkoutItem{Name: truncate(it.Name, 100), Quantity: it.Qty, Price: int64(it.UnitPrice)})
	}
	if len(out) == 0 {
		return nil
	}
	if d := total - sum; d != 0 {
		if d < 0 {
			return nil // a discount line with a negative price: send no items
		}
		out = append(out, checkoutItem{Name: "Ongkir dan biaya", Quantity: 1, Price: int64(d)})
	}
	return out
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// PaymentStatus asks DOKU about an invoice (GET /orders/v1/status/{id}).
// HTTP 404 is an invoice DOKU does not know yet: pending, RawStatus
// NOT_FOUND (nothing is settled by it). A response Signature header, when
// DOKU sends one, must verify; otherwise nothing is settled
// (Verified=false, ErrSignature). An answer without one is trusted as TLS
// delivered it, as for the other gateways.
func (c *Client) PaymentStatus(ctx context.Context, invoice string) (domain.PaymentResult, error) {
	unk := domain.PaymentResult{ExternalID: invoice, State: domain.PaymentStateUnknown}
	if !ValidInvoice(invoice) {
		return unk, domain.Invalid("external_id", "not a DOKU invoice number")
	}
	target := PathOrderStatus + url.PathEscape(invoice)
	h := c.nonSnapHeaders(target, nil)
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "GET " + PathOrderStatus + "{invoice}", Path: target, Header: h})
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusNotFound {
			unk.State, unk.RawStatus, unk.Verified = domain.PaymentStatePending, "NOT_FOUND", true
			return unk, nil
		}
		return unk, keyRefused(err)
	}
	res, err := ParseCheckoutStatus(resp.Body, invoice)
	if err != nil {
		return res, err
	}
	res.Verified = c.responseVerifies(resp, h["Request-Id"], target)
	if !res.Verified {
		c.hc.Logger().Warn("doku: status answer with a signature that does not verify; not applied", "invoice", invoice)
		return res, fmt.Errorf("%w: status of %s", ErrSignature, invoice)
	}
	return res, nil
}

// responseVerifies checks a Checkout response's Signature header over
// Client-Id, Request-Id, Response-Timestamp, Request-Target and the body's
// Digest (developers.doku.com, "Signature Componen from Response Header").
// DOKU says Digest applies to POST only, so a GET answer is accepted with
// or without it. No Signature header: nothing to check.
func (c *Client) responseVerifies(resp *gateways.Response, requestID, target string) bool {
	sig := resp.Header.Get("Signature")
	if sig == "" {
		return true
	}
	comp := Components{ClientID: firstNonEmpty(resp.Header.Get("Client-Id"), c.cfg.ClientID),
		RequestID: firstNonEmpty(resp.Header.Get("Request-Id"), requestID),
		Timestamp: resp.Header.Get("Response-Timestamp"), TimestampName: "Response-Timestamp", Target: target, Body: resp.Body}
	if VerifySignature(sig, comp, c.cfg.SecretKey) {
		return true
	}
	comp.Body = nil
	return VerifySignature(sig, comp, c.cfg.SecretKey)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// VerifyNotification checks a Checkout HTTP notification: its Signature
// header over Client-Id, Request-Id, Request-Timestamp, the shop's
// notification path (Config.NotificationPath) and the body's Digest. A
// notification that is unsigned, signed for another client or path, or
// tampered is refused with ErrSignature and logged; nothing of it is read.
// A verified one is read like a status: callers apply it only forward, and
// polling stays the primary path.
func (c *Client) VerifyNotification(h http.Header, body []byte) (domain.PaymentResult, error) {
	refuse := func(why string) (domain.PaymentResult, error) {
		c.hc.Logger().Warn("doku: notification refused, not applied", "reason", why, "request_id", clip(h.Get("Request-Id")))
		return domain.PaymentResult{State: domain.PaymentStateUnknown}, fmt.Errorf("%w: notification %s", ErrSignature, why)
	}
	if h.Get("Signature") == "" {
		return refuse("without a Signature header")
	}
	if h.Get("Client-Id") != c.cfg.ClientID {
		return refuse("for another Client-Id")
	}
	comp := Components{ClientID: h.Get("Client-Id"), RequestID: h.Get("Request-Id"), Timestamp: h.Get("Request-Timestamp"),
		Target: c.cfg.NotificationPath, Body: body}
	if c.cfg.NotificationPath == "" || !VerifySignature(h.Get("Signature"), comp, c.cfg.SecretKey) {
		return refuse("whose signature does not verify")
	}
	var s CheckoutStatus
	if err := decodeJSON(body, &s); err != nil {
		c.hc.Logger().Warn("doku: notification refused, not applied", "reason", "body does not parse")
		return domain.PaymentResult{State: domain.PaymentStateUnknown}, err
	}
	res, err := ParseCheckoutStatus(body, s.Order.InvoiceNumber)
	if err != nil {
		c.hc.Logger().Warn("doku: notification refused, not applied", "reason", err.Error())
		return res, err
	}
	res.Verified = true
	return res, nil
}

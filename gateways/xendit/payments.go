package xendit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

type createInvoiceReq struct {
	ExternalID         string        `json:"external_id"`
	Amount             int64         `json:"amount"`
	Description        string        `json:"description,omitempty"`
	PayerEmail         string        `json:"payer_email,omitempty"`
	InvoiceDuration    int64         `json:"invoice_duration,omitempty"`
	Currency           string        `json:"currency"`
	Customer           *customer     `json:"customer,omitempty"`
	Items              []invoiceItem `json:"items,omitempty"`
	SuccessRedirectURL string        `json:"success_redirect_url,omitempty"`
}

type customer struct {
	GivenNames string `json:"given_names,omitempty"`
	Email      string `json:"email,omitempty"`
}

type invoiceItem struct {
	Name     string `json:"name"`
	Quantity int64  `json:"quantity"`
	Price    int64  `json:"price"`
}

// CreatePayment creates an invoice. Xendit has no idempotency key for
// invoices (reference §1.4), so two payable links for one order are prevented
// by looking the external_id up before creating, but only when an earlier
// create may have reached Xendit: this client already sent one for the
// external_id (successful, failed or ambiguous, remembered for the last
// createMemory ids), or the caller says so with req.Retry (an attempt by
// another process or before a restart). A live (pending or paid) invoice
// found then is returned instead of a second one. A first create costs one
// request. Concurrent creates of one external_id through one client run one
// after the other, so the second finds the first. The create POST itself is
// never retried: after an ambiguous error the caller's next attempt looks up.
func (c *Client) CreatePayment(ctx context.Context, req domain.PaymentRequest) (domain.PaymentLink, error) {
	if req.ExternalID == "" || req.Amount <= 0 {
		return domain.PaymentLink{}, domain.Invalid("payment", "external id and a positive amount are required")
	}
	sent, done, err := c.creates.begin(ctx, req.ExternalID)
	if err != nil {
		return domain.PaymentLink{ExternalID: req.ExternalID}, err
	}
	defer done()
	if sent || req.Retry {
		existing, err := c.invoices(ctx, req.ExternalID)
		if err != nil {
			return domain.PaymentLink{}, err
		}
		for _, v := range existing {
			if v.ExternalID != req.ExternalID {
				continue
			}
			if st, _ := paymentState(v.Status); st == domain.PaymentStatePending || st == domain.PaymentStatePaid {
				return link(v), nil
			}
		}
	}
	c.creates.sent(req.ExternalID)
	body := createInvoiceReq{
		ExternalID: req.ExternalID, Amount: int64(req.Amount), Description: req.Description,
		PayerEmail: req.BuyerEmail, Currency: "IDR", SuccessRedirectURL: c.cfg.SuccessRedirectURL,
	}
	if req.Expiry > 0 {
		body.InvoiceDuration = int64(req.Expiry / time.Second)
	}
	if req.BuyerName != "" || req.BuyerEmail != "" {
		body.Customer = &customer{GivenNames: req.BuyerName, Email: req.BuyerEmail}
	}
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "POST /v2/invoices", Method: http.MethodPost, Path: "/v2/invoices", JSON: body})
	if err != nil {
		return domain.PaymentLink{ExternalID: req.ExternalID}, err
	}
	v, err := parseInvoice(resp.Body)
	if err != nil {
		return domain.PaymentLink{ExternalID: req.ExternalID}, fmt.Errorf("xendit: create invoice %s: %w", req.ExternalID, err)
	}
	return link(v), nil
}

// createMemory bounds how many external ids a client remembers having sent a
// create for (about 100 bytes each). A caller retrying one older than that
// sets PaymentRequest.Retry.
const createMemory = 20_000

// createGuard remembers which external ids this client sent a create for,
// and serialises concurrent creates of one external id.
type createGuard struct {
	mu       sync.Mutex
	seen     map[string]struct{}
	order    []string // seen ids, oldest first, for the bound
	inflight map[string]chan struct{}
}

// begin waits until no other create of id runs in this client, then claims
// it. sent reports whether a create for id was sent before; done releases
// the claim.
func (g *createGuard) begin(ctx context.Context, id string) (sent bool, done func(), err error) {
	for {
		g.mu.Lock()
		if g.inflight == nil {
			g.inflight, g.seen = map[string]chan struct{}{}, map[string]struct{}{}
		}
		busy, ok := g.inflight[id]
		if !ok {
			ch := make(chan struct{})
			g.inflight[id] = ch
			_, sent = g.seen[id]
			g.mu.Unlock()
			return sent, func() {
				g.mu.Lock()
				delete(g.inflight, id)
				g.mu.Unlock()
				close(ch)
			}, nil
		}
		g.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return false, func() {}, ctx.Err()
		}
	}
}

// sent records that a create for id is about to be sent: from here on it may
// exist at Xendit whatever the answer.
func (g *createGuard) sent(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.seen[id]; ok {
		return
	}
	g.seen[id] = struct{}{}
	g.order = append(g.order, id)
	if len(g.order) > createMemory {
		delete(g.seen, g.order[0])
		g.order = g.order[1:]
	}
}

func link(v invoice) domain.PaymentLink {
	return domain.PaymentLink{ExternalID: v.ExternalID, GatewayRef: v.ID, URL: v.InvoiceURL, ExpiresAt: parseTime(v.ExpiryDate)}
}

// invoices lists the invoices with an external_id, newest first.
func (c *Client) invoices(ctx context.Context, externalID string) ([]invoice, error) {
	return c.listInvoices(ctx, url.Values{"external_id": {externalID}, "limit": {"100"}})
}

func (c *Client) listInvoices(ctx context.Context, q url.Values) ([]invoice, error) {
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "GET /v2/invoices", Path: "/v2/invoices", Query: q})
	if err != nil {
		return nil, err
	}
	list, err := parseInvoiceList(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("xendit: list invoices: %w", err)
	}
	return list, nil
}

// PaymentStatus returns the status of the invoice with our external id. If
// several invoices share it (a new link after one expired), a paid one wins,
// else the newest.
func (c *Client) PaymentStatus(ctx context.Context, externalID string) (domain.PaymentResult, error) {
	unk := domain.PaymentResult{ExternalID: externalID, State: domain.PaymentStateUnknown}
	list, err := c.invoices(ctx, externalID)
	if err != nil {
		return unk, err
	}
	var mine []invoice
	for _, v := range list {
		if v.ExternalID == externalID {
			mine = append(mine, v)
		}
	}
	if len(mine) == 0 {
		return unk, fmt.Errorf("xendit: invoice %s: %w", externalID, domain.ErrNotFound)
	}
	// The list order is not documented: newest first by our own reading.
	sort.SliceStable(mine, func(i, j int) bool { return parseTime(mine[i].Created).After(parseTime(mine[j].Created)) })
	pick := mine[0]
	for _, v := range mine {
		if st, _ := paymentState(v.Status); st == domain.PaymentStatePaid {
			pick = v
			break
		}
	}
	res, err := pick.result()
	if err != nil {
		return res, fmt.Errorf("xendit: invoice %s: %w", externalID, err)
	}
	return res, nil
}

// InvoiceByID reads an invoice by Xendit's id.
func (c *Client) InvoiceByID(ctx context.Context, id string) (domain.PaymentResult, error) {
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "GET /v2/invoices/{id}", Path: "/v2/invoices/" + url.PathEscape(id)})
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusNotFound {
			return domain.PaymentResult{GatewayRef: id, State: domain.PaymentStateUnknown}, fmt.Errorf("xendit: invoice %s: %w", id, domain.ErrNotFound)
		}
		return domain.PaymentResult{GatewayRef: id, State: domain.PaymentStateUnknown}, err
	}
	v, err := parseInvoice(resp.Body)
	if err != nil {
		return domain.PaymentResult{GatewayRef: id, State: domain.PaymentStateUnknown}, fmt.Errorf("xendit: invoice %s: %w", id, err)
	}
	return v.result()
}

// ExpirePayment expires an unpaid invoice by Xendit's id, so that a
// cancelled order cannot be paid any more.
func (c *Client) ExpirePayment(ctx context.Context, gatewayRef string) (domain.PaymentResult, error) {
	resp, err := c.hc.Do(ctx, gateways.Call{Op: "POST /invoices/{id}/expire!", Method: http.MethodPost,
		Path: "/invoices/" + url.PathEscape(gatewayRef) + "/expire!"})
	if err != nil {
		return domain.PaymentResult{GatewayRef: gatewayRef, State: domain.PaymentStateUnknown}, err
	}
	v, err := parseInvoice(resp.Body)
	if err != nil {
		return domain.PaymentResult{GatewayRef: gatewayRef, State: domain.PaymentStateUnknown}, fmt.Errorf("xendit: expire %s: %w", gatewayRef, err)
	}
	return v.result()
}

// recentPageSize is the invoices asked for per list page (Xendit's maximum).
const recentPageSize = 100

// DefaultListPages is the pages RecentPayments reads per filter in one call
// when Config.ListPages is 0.
const DefaultListPages = 10

// DefaultPartPages is the pages RecentPaidFrom reads in one call when
// Config.PartPages is 0: a part of 500, which the engine settles while it
// reads the next.
const DefaultPartPages = 5

// RecentPayments lists invoices paid or expired since the given time, so the
// poller learns about many payments per request. Each filter (paid_after,
// expired_after) is read page by page, newest first, with the last invoice
// of a page as the cursor of the next, up to Config.ListPages pages of 100;
// a burst beyond that is left to the engine's one-by-one check (it is
// logged). The cursor is sent under both names the sources use
// (last_invoice in xendit-go@HEAD, last_invoice_id in xendit-java and the
// v1 params); a server that ignores both repeats its first page, which is
// noticed and ends the paging. Entries with unreadable statuses are skipped;
// pending ones are polled individually.
func (c *Client) RecentPayments(ctx context.Context, since time.Time) ([]domain.PaymentResult, error) {
	return c.recent(ctx, since, "paid_after", "expired_after")
}

// RecentPaid lists only the invoices paid since the given time: one request
// per page instead of two (the engine learns an expiry from the invoice's
// own status once it is past its expiry time). It pages like RecentPayments.
func (c *Client) RecentPaid(ctx context.Context, since time.Time) ([]domain.PaymentResult, error) {
	return c.recent(ctx, since, "paid_after")
}

// RecentPaidFrom implements engine.PaidPager: RecentPaid, going on from the
// invoice from (the next of an earlier answer; "" for the start). When the
// list goes on past Config.PartPages pages, next names the last invoice
// read, for the next call to go on from; "" when the list was read to its
// end (or the server ignores the paging cursor, so it cannot be gone on).
func (c *Client) RecentPaidFrom(ctx context.Context, since time.Time, from string) (out []domain.PaymentResult, next string, err error) {
	part := c.cfg.PartPages
	if part <= 0 {
		part = DefaultPartPages
	}
	next, err = c.pages(ctx, since, "paid_after", from, part, map[string]bool{}, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ExternalID < out[j].ExternalID })
	return out, next, err
}

func (c *Client) recent(ctx context.Context, since time.Time, filters ...string) ([]domain.PaymentResult, error) {
	seen := map[string]bool{}
	var out []domain.PaymentResult
	for _, k := range filters {
		maxPages := c.cfg.ListPages
		if maxPages <= 0 {
			maxPages = DefaultListPages
		}
		next, err := c.pages(ctx, since, k, "", maxPages, seen, &out)
		if err != nil {
			return out, err
		}
		if next != "" {
			c.hc.Logger().Warn("xendit: recent payments truncated; the rest are found by status checks", "filter", k)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ExternalID < out[j].ExternalID })
	return out, nil
}

// pages reads the list under filter k since the given time, from the
// invoice after cursor ("": the start), up to maxPages pages, appending each
// invoice not seen yet to out. It returns the last invoice read when the
// list goes on past maxPages, or "".
func (c *Client) pages(ctx context.Context, since time.Time, k, cursor string, maxPages int, seen map[string]bool, out *[]domain.PaymentResult) (string, error) {
	ts := since.UTC().Format(time.RFC3339)
	for page := 1; ; page++ {
		q := url.Values{k: {ts}, "limit": {strconv.Itoa(recentPageSize)}}
		if cursor != "" {
			q.Set("last_invoice", cursor)
			q.Set("last_invoice_id", cursor)
		}
		if l := c.cfg.ListLimiter; l != nil {
			if err := l.Wait(ctx); err != nil {
				return "", err
			}
		}
		list, err := c.listInvoices(ctx, q)
		if err != nil {
			return "", err
		}
		fresh := 0
		for _, v := range list {
			if seen[v.ID] {
				continue
			}
			seen[v.ID] = true
			fresh++
			if r, err := v.result(); err == nil {
				*out = append(*out, r)
			}
		}
		if len(list) < recentPageSize {
			return "", nil
		}
		if fresh == 0 {
			c.hc.Logger().Warn("xendit: invoice list ignored the paging cursor; later pages not read", "filter", k, "page", page)
			return "", nil
		}
		cursor = list[len(list)-1].ID
		if page == maxPages {
			return cursor, nil
		}
	}
}

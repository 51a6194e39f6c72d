package xendit_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// TestCreatePaymentRequests counts the requests each kind of create costs:
// a first create is one POST; a repeat through the same client, or one the
// caller marks as a retry, looks the external_id up and finds the live link.
func TestCreatePaymentRequests(t *testing.T) {
	pay := func(id string, retry bool) domain.PaymentRequest {
		return domain.PaymentRequest{ExternalID: id, Amount: 50_000, Retry: retry}
	}
	tests := []struct {
		name       string
		run        func(t *testing.T, srv *sandbox.Server, c *xendit.Client, other *xendit.Client) (first, second domain.PaymentLink)
		lists      int
		creates    int
		sameLink   bool
		invoiceCnt int
	}{
		{
			name: "first_create_is_one_post",
			run: func(t *testing.T, _ *sandbox.Server, c, _ *xendit.Client) (domain.PaymentLink, domain.PaymentLink) {
				l := mustCreate(t, c, pay("ORD-1", false))
				return l, l
			},
			lists: 0, creates: 1, sameLink: true, invoiceCnt: 1,
		},
		{
			name: "repeat_through_same_client_looks_up",
			run: func(t *testing.T, _ *sandbox.Server, c, _ *xendit.Client) (domain.PaymentLink, domain.PaymentLink) {
				return mustCreate(t, c, pay("ORD-1", false)), mustCreate(t, c, pay("ORD-1", false))
			},
			lists: 1, creates: 1, sameLink: true, invoiceCnt: 1,
		},
		{
			name: "other_process_with_retry_hint_looks_up",
			run: func(t *testing.T, _ *sandbox.Server, c, other *xendit.Client) (domain.PaymentLink, domain.PaymentLink) {
				return mustCreate(t, c, pay("ORD-1", false)), mustCreate(t, other, pay("ORD-1", true))
			},
			lists: 1, creates: 1, sameLink: true, invoiceCnt: 1,
		},
		{
			name: "retry_hint_on_a_first_create_creates",
			run: func(t *testing.T, _ *sandbox.Server, c, _ *xendit.Client) (domain.PaymentLink, domain.PaymentLink) {
				l := mustCreate(t, c, pay("ORD-1", true))
				return l, l
			},
			lists: 1, creates: 1, sameLink: true, invoiceCnt: 1,
		},
		{
			// The answer to the first POST is lost after Xendit created the
			// invoice: the caller's next attempt must find it, not make a
			// second payable link.
			name: "dropped_answer_then_retry_finds_the_invoice",
			run: func(t *testing.T, srv *sandbox.Server, c, _ *xendit.Client) (domain.PaymentLink, domain.PaymentLink) {
				srv.Faults().Add(sandbox.Fault{Endpoint: "xendit.invoice.create", Kind: sandbox.FaultDrop})
				if _, err := c.CreatePayment(context.Background(), pay("ORD-1", false)); err == nil {
					t.Fatal("dropped create answered")
				}
				l := mustCreate(t, c, pay("ORD-1", false))
				return l, l
			},
			lists: 1, creates: 1, sameLink: true, invoiceCnt: 1,
		},
		{
			// An expired link is not reused: the repeat creates a new one.
			name: "repeat_after_expiry_creates_a_new_link",
			run: func(t *testing.T, srv *sandbox.Server, c, _ *xendit.Client) (domain.PaymentLink, domain.PaymentLink) {
				a := mustCreate(t, c, pay("ORD-1", false))
				if err := srv.ExpireXenditInvoice("ORD-1"); err != nil {
					t.Fatal(err)
				}
				return a, mustCreate(t, c, pay("ORD-1", false))
			},
			lists: 1, creates: 2, sameLink: false, invoiceCnt: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := sandbox.New(sandbox.Config{Step: step})
			hs := httptest.NewServer(srv)
			t.Cleanup(func() { srv.Close(); hs.Close() })
			// c and other are two processes' clients of one account.
			c := xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: srv.Credentials().XenditSecretKey})
			other := xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: srv.Credentials().XenditSecretKey})
			a, b := tc.run(t, srv, c, other)
			if got := srv.Hits("xendit.invoice.list"); got != tc.lists {
				t.Errorf("list requests %d, want %d", got, tc.lists)
			}
			if got := srv.Hits("xendit.invoice.create"); got != tc.creates {
				t.Errorf("create requests %d, want %d", got, tc.creates)
			}
			if (a.URL == b.URL) != tc.sameLink || a.URL == "" || b.URL == "" {
				t.Errorf("links %q and %q, same want %v", a.URL, b.URL, tc.sameLink)
			}
			if got := srv.XenditInvoiceCount("ORD-1"); got != tc.invoiceCnt {
				t.Errorf("%d invoices at the gateway, want %d", got, tc.invoiceCnt)
			}
		})
	}
}

// TestConcurrentCreatesMakeOneLink: creates of one external_id racing in one
// client make one invoice.
func TestConcurrentCreatesMakeOneLink(t *testing.T) {
	srv, c := setup(t, sandbox.Config{})
	const n = 8
	urls := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.CreatePayment(context.Background(), domain.PaymentRequest{ExternalID: "ORD-RACE", Amount: 10_000})
			if err != nil {
				t.Error(err)
			}
			urls[i] = l.URL
		}()
	}
	wg.Wait()
	for _, u := range urls[1:] {
		if u != urls[0] {
			t.Fatalf("links differ: %v", urls)
		}
	}
	if got := srv.Hits("xendit.invoice.create"); got != 1 {
		t.Fatalf("create requests %d, want 1", got)
	}
}

func mustCreate(t *testing.T, c *xendit.Client, r domain.PaymentRequest) domain.PaymentLink {
	t.Helper()
	l, err := c.CreatePayment(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// paidBurst creates paid+5 invoices at srv and pays the first paid of them.
func paidBurst(t *testing.T, c *xendit.Client, srv *sandbox.Server, paid int) {
	t.Helper()
	for i := range paid + 5 {
		id := fmt.Sprintf("ORD-%03d", i)
		mustCreate(t, c, domain.PaymentRequest{ExternalID: id, Amount: 10_000})
		if i < paid { // the last five stay unpaid
			if err := srv.PayXenditInvoice(id, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRecentPaidFromGoesOn: a burst longer than the page cap is read in
// parts, each going on where the one before stopped, until the list ends;
// together the parts hold every paid invoice once.
func TestRecentPaidFromGoesOn(t *testing.T) {
	const paid = 250
	srv := sandbox.New(sandbox.Config{Step: step})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	c := xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: srv.Credentials().XenditSecretKey, PartPages: 2})
	ctx := context.Background()
	since := srv.Now().Add(-time.Second)
	paidBurst(t, c, srv, paid)
	ids := map[string]bool{}
	var sizes []int
	from := ""
	for part := 0; part < 5; part++ {
		got, next, err := c.RecentPaidFrom(ctx, since, from)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(got))
		for _, r := range got {
			if r.State != domain.PaymentStatePaid || ids[r.ExternalID] {
				t.Fatalf("unexpected or repeated entry %+v", r)
			}
			ids[r.ExternalID] = true
		}
		if next == "" {
			break
		}
		from = next
	}
	if len(ids) != paid || !slices.Equal(sizes, []int{200, 50}) {
		t.Errorf("parts of %v found %d paid invoices, want parts of [200 50] finding %d", sizes, len(ids), paid)
	}
}

// TestRecentPaymentsPages: a burst of more paid invoices than one list page
// holds is read page by page, under either documented cursor name, up to the
// page cap; a server that ignores the cursor does not make the adapter loop.
func TestRecentPaymentsPages(t *testing.T) {
	const paid = 250
	tests := []struct {
		name      string
		cursor    string // sandbox.Config.XenditInvoiceCursor
		pages     int    // xendit.Config.ListPages
		wantFound int
		wantLists int // paid_after pages + one expired_after page
	}{
		{"last_invoice", "last_invoice", 0, paid, 3 + 1},
		{"last_invoice_id", "last_invoice_id", 0, paid, 3 + 1},
		{"capped_at_two_pages", "last_invoice", 2, 200, 2 + 1},
		{"cursor_ignored", "ignore", 0, 100, 2 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := sandbox.New(sandbox.Config{Step: step, XenditInvoiceCursor: tc.cursor})
			hs := httptest.NewServer(srv)
			t.Cleanup(func() { srv.Close(); hs.Close() })
			c := xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: srv.Credentials().XenditSecretKey, ListPages: tc.pages})
			ctx := context.Background()
			since := srv.Now().Add(-time.Second)
			paidBurst(t, c, srv, paid)
			srv.ResetHits()
			got, err := c.RecentPayments(ctx, since)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for _, r := range got {
				if r.State != domain.PaymentStatePaid || ids[r.ExternalID] {
					t.Fatalf("unexpected or repeated entry %+v", r)
				}
				ids[r.ExternalID] = true
			}
			if len(ids) != tc.wantFound {
				t.Errorf("found %d paid invoices, want %d", len(ids), tc.wantFound)
			}
			if n := srv.Hits("xendit.invoice.list"); n != tc.wantLists {
				t.Errorf("%d list requests, want %d", n, tc.wantLists)
			}
		})
	}
}

package xendit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/fixture"
)

// The wire table: each case serves recorded or documented Xendit answers
// (testdata/wire, sources in its README) over real HTTP and checks what the
// adapter makes of them.

func fx(t testing.TB, name string) fixture.File { return fixture.Load(t, fixture.Dir, name) }

// route answers method+path with the fixture file.
func route(t testing.TB, method, path, file string) fixture.Route {
	return fixture.Route{Method: method, Path: path, File: fx(t, file)}
}

// keyed checks that a payout create carries the REFID as Idempotency-key
// and reference_id.
func keyed(refID string) func(t testing.TB, r *http.Request) {
	return func(t testing.TB, r *http.Request) {
		if got := r.Header.Get("Idempotency-key"); got != refID {
			t.Errorf("Idempotency-key %q, want %q", got, refID)
		}
		var body struct {
			ReferenceID string `json:"reference_id"`
			Currency    string `json:"currency"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil || body.ReferenceID != refID || body.Currency != "IDR" {
			t.Errorf("create body %s: %v", b, err)
		}
	}
}

func wireClient(t testing.TB, routes ...fixture.Route) (*Client, *fixture.Server) {
	srv := fixture.Serve(t, routes...)
	c := New(Config{BaseURL: srv.URL, SecretKey: "xnd_development_wire", CallbackToken: "wire-token",
		Retry: gateways.RetryPolicy{MaxAttempts: 1}, Timeout: 5 * time.Second})
	return c, srv
}

// docPayout is the request the documented examples answer.
var docPayout = domain.PayoutRequest{RefID: "myref-1482928194", Channel: "BCA", AccountNumber: "000000000099",
	AccountHolder: "Michael Chen", Amount: 10000, Description: "July payout"}

// recPayout is the request of the recorded probe (test mode, PH_GCASH, PHP).
var recPayout = domain.PayoutRequest{RefID: "e1-probe-20260817-123338", Channel: "PH_GCASH", AccountNumber: "09171234567",
	AccountHolder: "Test Kasambahay", Amount: 100, Description: "E1 probe"}

// errAny in wantPayout accepts any non-nil error.
var errAny = errors.New("any error")

func wantPayout(t *testing.T, r domain.PayoutResult, err error, out domain.PayoutOutcome, wantErr error) {
	t.Helper()
	switch {
	case wantErr == errAny:
		if err == nil {
			t.Fatalf("no error (result %+v)", r)
		}
	case wantErr == nil && err != nil:
		t.Fatalf("unexpected error %v (result %+v)", err, r)
	case wantErr != nil && !errors.Is(err, wantErr):
		t.Fatalf("error %v, want %v (result %+v)", err, wantErr, r)
	}
	if r.Outcome != out {
		t.Fatalf("outcome %s, want %s (%+v, %v)", r.Outcome, out, r, err)
	}
}

func TestWirePayouts(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		routes func(t *testing.T) []fixture.Route
		run    func(t *testing.T, c *Client, srv *fixture.Server)
	}{
		{"documented create is accepted", func(t *testing.T) []fixture.Route {
			r := route(t, "POST", "/v2/payouts", "payout_create_accepted_doc.http")
			r.Check = keyed(docPayout.RefID)
			return []fixture.Route{r}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, docPayout)
			wantPayout(t, r, err, domain.OutcomeAccepted, nil)
			if r.GatewayRef != "disb-571f3644d2b4edf0745e9703" || r.Amount != 10000 {
				t.Fatalf("%+v", r)
			}
		}},
		{"recorded create in another currency is never taken for ours", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "POST", "/v2/payouts", "payout_create_accepted_recorded.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, recPayout)
			wantPayout(t, r, err, domain.OutcomeUnknown, gateways.ErrMismatch)
			if r.RawStatus != "ACCEPTED" || r.GatewayRef != "disb-acda3c97-57c1-4523-9d17-56ac6a550485" {
				t.Fatalf("%+v", r)
			}
		}},
		{"recorded replay answers the original payout with its current status", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "POST", "/v2/payouts", "payout_replay_succeeded_recorded.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, recPayout)
			// No currency in the printed body: the word decides.
			wantPayout(t, r, err, domain.OutcomeSucceeded, nil)
		}},
		{"recorded 409 duplicate with another amount is a mismatch, never a second payout", func(t *testing.T) []fixture.Route {
			return []fixture.Route{
				route(t, "POST", "/v2/payouts", "error_duplicate_409_recorded.http"),
				route(t, "GET", "/v2/payouts", "payout_list_requested_recorded.http"),
			}
		}, func(t *testing.T, c *Client, srv *fixture.Server) {
			req := recPayout
			req.Amount = 101 // the probe's second body
			r, err := c.Send(ctx, req)
			wantPayout(t, r, err, domain.OutcomeUnknown, gateways.ErrMismatch)
			if got := srv.Requests(); len(got) != 2 || got[1] != "GET /v2/payouts?limit=10&reference_id=e1-probe-20260817-123338" {
				t.Fatalf("requests %q", got)
			}
		}},
		{"documented 400 duplicate is resolved by the reference lookup", func(t *testing.T) []fixture.Route {
			return []fixture.Route{
				route(t, "POST", "/v2/payouts", "error_duplicate_400_doc.http"),
				route(t, "GET", "/v2/payouts", "payout_list_accepted_doc.http"),
			}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, docPayout)
			wantPayout(t, r, err, domain.OutcomeAccepted, nil)
		}},
		{"legacy DUPLICATE_TRANSACTION_ERROR is read as a duplicate too", func(t *testing.T) []fixture.Route {
			return []fixture.Route{
				route(t, "POST", "/v2/payouts", "error_duplicate_transaction_legacy.http"),
				route(t, "GET", "/v2/payouts", "payout_list_accepted_doc.http"),
			}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, docPayout)
			wantPayout(t, r, err, domain.OutcomeAccepted, nil)
		}},
		{"documented validation error is a definite rejection", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "POST", "/v2/payouts", "error_validation_400_doc.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, docPayout)
			wantPayout(t, r, err, domain.OutcomeRejected, nil)
			if r.Code != "API_VALIDATION_ERROR" {
				t.Fatalf("%+v", r)
			}
		}},
		{"synchronous insufficient balance is never accepted", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "POST", "/v2/payouts", "error_insufficient_balance_legacy.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, docPayout)
			if r.Outcome == domain.OutcomeAccepted || r.Outcome == domain.OutcomeSucceeded {
				t.Fatalf("%+v %v", r, err)
			}
			var ae *gateways.APIError
			if r.Code != "INSUFFICIENT_BALANCE" && !(errors.As(err, &ae) && ae.Code == "INSUFFICIENT_BALANCE") {
				t.Fatalf("code lost: %+v %v", r, err)
			}
		}},
		{"asynchronous insufficient balance is a failure with its reason", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts/disb-571f3644d2b4edf0745e9703", "payout_get_failed_insufficient_balance_doc.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.PayoutByID(ctx, "disb-571f3644d2b4edf0745e9703")
			wantPayout(t, r, err, domain.OutcomeFailed, nil)
			if r.Code != "INSUFFICIENT_BALANCE" || r.Reason == "" || r.RefID != docPayout.RefID {
				t.Fatalf("%+v", r)
			}
		}},
		{"get accepted", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts/disb-571f3644d2b4edf0745e9703", "payout_get_accepted_doc.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.PayoutByID(ctx, "disb-571f3644d2b4edf0745e9703")
			wantPayout(t, r, err, domain.OutcomeAccepted, nil)
		}},
		{"get cancelled", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts/disb-571f3644d2b4edf0745e9703", "payout_get_cancelled_doc.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.PayoutByID(ctx, "disb-571f3644d2b4edf0745e9703")
			wantPayout(t, r, err, domain.OutcomeCancelled, nil)
		}},
		{"get reversed", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts/disb-571f3644d2b4edf0745e9703", "payout_get_reversed_doc.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.PayoutByID(ctx, "disb-571f3644d2b4edf0745e9703")
			wantPayout(t, r, err, domain.OutcomeReversed, nil)
		}},
		{"get unknown id is not found", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts/disb-missing", "error_payout_not_found_404_doc.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.PayoutByID(ctx, "disb-missing")
			wantPayout(t, r, err, domain.OutcomeNotFound, nil)
		}},
		{"status of a reference Xendit never saw is not found", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts", "payout_list_empty_recorded.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Status(ctx, "does-not-exist")
			wantPayout(t, r, err, domain.OutcomeNotFound, nil)
		}},
		{"recorded list in the data envelope is read (REQUESTED, another currency)", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts", "payout_list_requested_recorded.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Status(ctx, recPayout.RefID)
			wantPayout(t, r, err, domain.OutcomeUnknown, gateways.ErrMismatch)
			if out, ok := payoutOutcome(r.RawStatus); r.RawStatus != "REQUESTED" || !ok || out != domain.OutcomeAccepted {
				t.Fatalf("%+v", r)
			}
		}},
		{"429 with only Rate-Limit-Reset is unknown and rate-limited", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts", "error_rate_limit_429_doc.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Status(ctx, docPayout.RefID)
			wantPayout(t, r, err, domain.OutcomeUnknown, errAny)
			if !gateways.IsRateLimited(err) || !gateways.IsUnknown(err) {
				t.Fatalf("%v", err)
			}
			var ae *gateways.APIError
			if !errors.As(err, &ae) || ae.Code != "RATE_LIMIT_EXCEEDED" || ae.Wait < 58370*time.Millisecond {
				t.Fatalf("%#v", ae)
			}
		}},
		{"recorded 500 on create is unknown", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "POST", "/v2/payouts", "error_server_500_legacy.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, docPayout)
			wantPayout(t, r, err, domain.OutcomeUnknown, errAny)
			if !gateways.IsServerError(err) {
				t.Fatal(err)
			}
		}},
		{"documented 500 on status is unknown", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "GET", "/v2/payouts", "error_server_500_doc.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Status(ctx, docPayout.RefID)
			wantPayout(t, r, err, domain.OutcomeUnknown, errAny)
			var ae *gateways.APIError
			if !errors.As(err, &ae) || ae.Code != "SERVER_ERROR" || ae.Message == "" {
				t.Fatalf("%v", err)
			}
		}},
		{"401 on create is unknown, never rejected", func(t *testing.T) []fixture.Route {
			return []fixture.Route{route(t, "POST", "/v2/payouts", "error_invalid_api_key_401_recorded.http")}
		}, func(t *testing.T, c *Client, _ *fixture.Server) {
			r, err := c.Send(ctx, docPayout)
			wantPayout(t, r, err, domain.OutcomeUnknown, errAny)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := wireClient(t, tt.routes(t)...)
			tt.run(t, c, srv)
		})
	}
}

func TestWireBalanceAndChannels(t *testing.T) {
	ctx := context.Background()
	for file, want := range map[string]domain.Rupiah{"balance_recorded.http": 1_000_000_000, "balance_doc.http": 1241231} {
		c, _ := wireClient(t, route(t, "GET", "/balance", file))
		if b, err := c.Balance(ctx); err != nil || b != want {
			t.Errorf("%s: %d %v", file, b, err)
		}
	}
	c, _ := wireClient(t, route(t, "GET", "/payouts_channels", "channels_doc.http"))
	chs, err := c.Channels(ctx)
	if err != nil || len(chs) != 2 || chs[0].Code != "ID_BSI" || chs[0].Minimum != 10000 || chs[0].Maximum != 1999999999999 {
		t.Fatalf("%+v %v", chs, err)
	}
	c, _ = wireClient(t, route(t, "GET", "/balance", "error_invalid_api_key_401_recorded.http"))
	if _, err := c.Balance(ctx); err == nil || gateways.IsRateLimited(err) {
		t.Fatalf("401: %v", err)
	}
}

func TestWireInvoices(t *testing.T) {
	ctx := context.Background()
	t.Run("create answers the PENDING invoice", func(t *testing.T) {
		c, _ := wireClient(t, route(t, "POST", "/v2/invoices", "invoice_create_pending_recorded.http"))
		l, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "eacd7788-8864-421c-a39c-9c59c3ee875c", Amount: 100000})
		want := time.Date(2023, 1, 22, 15, 14, 1, 410e6, time.UTC)
		if err != nil || l.GatewayRef != "63cc01390d8fc0b926efa2bb" || l.URL != "https://checkout-staging.xendit.co/web/63cc01390d8fc0b926efa2bb" || !l.ExpiresAt.Equal(want) {
			t.Fatalf("%+v %v", l, err)
		}
	})
	t.Run("create validation error", func(t *testing.T) {
		c, _ := wireClient(t, route(t, "POST", "/v2/invoices", "invoice_create_validation_400_recorded.http"))
		_, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "x", Amount: 1})
		var ae *gateways.APIError
		if !errors.As(err, &ae) || ae.HTTPStatus != 400 || ae.Code != "API_VALIDATION_ERROR" {
			t.Fatalf("%v", err)
		}
	})
	for _, tt := range []struct {
		file   string
		state  domain.PaymentState
		amount domain.Rupiah
		paidAt time.Time
	}{
		{"invoice_get_settled_recorded.http", domain.PaymentStatePaid, 91000, time.Date(2023, 1, 20, 0, 6, 0, 535e6, time.UTC)},
		// Callback bodies carry the Invoice fields; served here as the polled
		// answer because no recorded GET in these states was found.
		{"invoice_callback_paid_bank_sdk.http", domain.PaymentStatePaid, 2000000, time.Date(2020, 1, 14, 2, 32, 50, 912e6, time.UTC)},
		{"invoice_callback_paid_qris_sdk.http", domain.PaymentStatePaid, 1000, time.Date(2023, 5, 14, 7, 35, 14, 0, time.UTC)},
		{"invoice_callback_expired_sdk.http", domain.PaymentStateExpired, 1000, time.Time{}},
	} {
		t.Run("get "+tt.file, func(t *testing.T) {
			c, _ := wireClient(t, route(t, "GET", "/v2/invoices/inv-1", tt.file))
			r, err := c.InvoiceByID(ctx, "inv-1")
			if err != nil || r.State != tt.state || r.Amount != tt.amount || !r.PaidAt.Equal(tt.paidAt) || !r.Verified {
				t.Fatalf("%+v %v", r, err)
			}
		})
	}
	t.Run("get unknown invoice", func(t *testing.T) {
		c, _ := wireClient(t, route(t, "GET", "/v2/invoices/6e86bc62165502ccd3c9dadf", "invoice_get_not_found_404_recorded.http"))
		if _, err := c.InvoiceByID(ctx, "6e86bc62165502ccd3c9dadf"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatal(err)
		}
	})
	t.Run("status by external id from the list", func(t *testing.T) {
		c, srv := wireClient(t, route(t, "GET", "/v2/invoices", "invoice_list_settled_recorded.http"))
		r, err := c.PaymentStatus(ctx, "5e4d5893-ba9d-4bde-a2a3-1f54e271c335")
		if err != nil || r.State != domain.PaymentStatePaid || r.Amount != 91000 {
			t.Fatalf("%+v %v", r, err)
		}
		if got := srv.Requests(); len(got) != 1 || got[0] != "GET /v2/invoices?external_id=5e4d5893-ba9d-4bde-a2a3-1f54e271c335&limit=100" {
			t.Fatalf("%q", got)
		}
	})
}

func TestWireCallbacks(t *testing.T) {
	c := New(Config{SecretKey: "xnd_development_wire", CallbackToken: "wire-token"})
	h := http.Header{}
	h.Set(CallbackTokenHeader, "wire-token")
	for _, tt := range []struct {
		file  string
		event string
		out   domain.PayoutOutcome
		err   error
	}{
		{"payout_webhook_succeeded_doc.http", "payout.succeeded", domain.OutcomeSucceeded, nil},
		{"payout_webhook_reversed_doc.http", "payout.reversed", domain.OutcomeReversed, nil},
		// Recorded in test mode for a PHP payout: read, and never taken for rupiah.
		{"payout_webhook_succeeded_recorded.http", "payout.succeeded", domain.OutcomeUnknown, gateways.ErrMismatch},
		{"payout_webhook_failed_recorded.http", "payout.failed", domain.OutcomeUnknown, gateways.ErrMismatch},
	} {
		ev, err := c.ParsePayoutCallback(h, fx(t, tt.file).Body)
		if ev.Event != tt.event || ev.Result.Outcome != tt.out || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%s: %+v %v", tt.file, ev, err)
		}
	}
	if ev, err := c.ParsePayoutCallback(http.Header{}, fx(t, "payout_webhook_succeeded_doc.http").Body); !errors.Is(err, gateways.ErrCallbackAuth) || ev.Result.Outcome == domain.OutcomeSucceeded {
		t.Errorf("no token: %+v %v", ev, err)
	}
	r, err := c.ParseInvoiceCallback(h, fx(t, "invoice_callback_paid_bank_sdk.http").Body)
	if err != nil || r.State != domain.PaymentStatePaid || r.ExternalID != "testing-invoice" {
		t.Errorf("invoice callback: %+v %v", r, err)
	}
}

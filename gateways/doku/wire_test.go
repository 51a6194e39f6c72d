package doku

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/fixture"
)

// The wire table: DOKU's documented, SDK and recorded answers
// (testdata/wire, sources in its README) served over real HTTP.

func fx(t testing.TB, name string) fixture.File { return fixture.Load(t, fixture.Dir, name) }

func TestWireFixturesHaveSources(t *testing.T) {
	probs, n := fixture.Problems(fixture.Dir)
	if n == 0 || len(probs) > 0 {
		t.Fatalf("%d fixtures: %v", n, probs)
	}
}

func testKey(t testing.TB) string {
	b, err := os.ReadFile("testdata/token_test_key.pem")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wireClient(t testing.TB, log *bytes.Buffer, routes ...fixture.Route) (*Client, *fixture.Server) {
	srv := fixture.Serve(t, routes...)
	cfg := Config{BaseURL: srv.URL, ClientID: "BRN-0221-1693209567392", SecretKey: "secret-test", PrivateKey: testKey(t),
		CustomerNumber: "628115678890", NotificationPath: "/notifications/doku", Retry: gateways.RetryPolicy{MaxAttempts: 1}}
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	return New(cfg), srv
}

func TestWireCheckout(t *testing.T) {
	ctx := context.Background()
	c, srv := wireClient(t, nil, fixture.Route{Method: "POST", Path: PathCheckout, File: fx(t, "checkout_create_recorded.http"),
		Check: func(t testing.TB, r *http.Request) {
			if !strings.HasPrefix(r.Header.Get("Signature"), "HMACSHA256=") || r.Header.Get("Client-Id") == "" || r.Header.Get("Request-Id") == "" {
				t.Errorf("unsigned create: %v", r.Header)
			}
		}})
	l, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "WETON-20260831-C098E999", Amount: 5000})
	if err != nil || !strings.Contains(l.URL, "checkout-link-v2") || l.GatewayRef == "" || !l.ExpiresAt.Equal(time.Date(2026, 8, 31, 12, 22, 3, 0, time.UTC)) {
		t.Fatalf("%+v %v", l, err)
	}
	if again, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "WETON-20260831-C098E999", Amount: 5000}); err != nil || again != l {
		t.Fatalf("second create: %+v %v", again, err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
	// The recorded answer names its own invoice: never taken for another.
	c2, _ := wireClient(t, nil, fixture.Route{Method: "POST", Path: PathCheckout, File: fx(t, "checkout_create_recorded.http")})
	if _, err := c2.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-OTHER", Amount: 5000}); !errors.Is(err, ErrWrongReference) {
		t.Fatalf("another invoice: %v", err)
	}
	// Another amount than asked is a mismatch, not a link.
	c3, _ := wireClient(t, nil, fixture.Route{Method: "POST", Path: PathCheckout, File: fx(t, "checkout_create_recorded.http")})
	if _, err := c3.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "WETON-20260831-C098E999", Amount: 5001}); !errors.Is(err, gateways.ErrMismatch) {
		t.Fatalf("amount: %v", err)
	}
}

func TestWireCheckoutStatus(t *testing.T) {
	const inv = "INV-67220100000"
	for _, tt := range []struct {
		file  string
		state domain.PaymentState
		raw   string
	}{
		{"checkout_status_success_doc.http", domain.PaymentStatePaid, "SUCCESS"},
		{"checkout_status_pending_doc.http", domain.PaymentStatePending, "PENDING"},
		{"checkout_status_failed_doc.http", domain.PaymentStatePending, "FAILED"},
		{"checkout_status_expired_doc.http", domain.PaymentStateExpired, "EXPIRED"},
		{"checkout_status_refunded_doc.http", domain.PaymentStateFailed, "REFUNDED"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			c, _ := wireClient(t, nil, fixture.Route{Method: "GET", Path: PathOrderStatus + inv, File: fx(t, tt.file)})
			r, err := c.PaymentStatus(context.Background(), inv)
			if err != nil || r.State != tt.state || r.RawStatus != tt.raw || r.Amount != 120000 || !r.Verified {
				t.Fatalf("%+v %v", r, err)
			}
			if tt.state == domain.PaymentStatePaid && !r.PaidAt.Equal(time.Date(2021, 12, 29, 2, 37, 35, 0, time.UTC)) {
				t.Fatalf("paid at %v", r.PaidAt)
			}
			// The same answer asked about another invoice is never applied.
			c2, _ := wireClient(t, nil, fixture.Route{Method: "GET", Path: PathOrderStatus + "INV-OURS", File: fx(t, tt.file)})
			if r, err := c2.PaymentStatus(context.Background(), "INV-OURS"); !errors.Is(err, ErrWrongReference) || r.State != domain.PaymentStateUnknown {
				t.Fatalf("another invoice: %+v %v", r, err)
			}
		})
	}
	t.Run("a response signature that does not verify settles nothing", func(t *testing.T) {
		f := fx(t, "checkout_status_success_doc.http")
		f.Header.Set("Signature", "HMACSHA256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
		f.Header.Set("Response-Timestamp", "2021-12-29T02:37:36Z")
		c, _ := wireClient(t, nil, fixture.Route{Method: "GET", Path: PathOrderStatus + inv, File: f})
		r, err := c.PaymentStatus(context.Background(), inv)
		if !errors.Is(err, ErrSignature) || r.Verified {
			t.Fatalf("%+v %v", r, err)
		}
	})
}

func TestWireNotification(t *testing.T) {
	var log bytes.Buffer
	c, _ := wireClient(t, &log)
	f := fx(t, "checkout_notif_success_doc.http")
	h := http.Header{"Client-Id": {"BRN-0221-1693209567392"}, "Request-Id": {"e71fe02a-bfef-4af9-a6f6-2cf1f03b00e7"}, "Request-Timestamp": {"2020-11-18T08:45:42Z"}}
	sign := func(body []byte, path string) string {
		return Signature(Components{ClientID: h.Get("Client-Id"), RequestID: h.Get("Request-Id"), Timestamp: h.Get("Request-Timestamp"), Target: path, Body: body}, "secret-test")
	}
	good := h.Clone()
	good.Set("Signature", sign(f.Body, "/notifications/doku"))
	r, err := c.VerifyNotification(good, f.Body)
	if err != nil || !r.Verified || r.State != domain.PaymentStatePaid || r.ExternalID != "INV-67220100000" || r.Amount != 120000 {
		t.Fatalf("signed: %+v %v", r, err)
	}
	tampered := bytes.Replace(f.Body, []byte("120000"), []byte("999999"), 1)
	forOtherPath := h.Clone()
	forOtherPath.Set("Signature", sign(f.Body, "/checkout/v1/payment"))
	for name, tc := range map[string]struct {
		h    http.Header
		body []byte
	}{
		"unsigned": {h, f.Body}, "tampered": {good, tampered}, "other path": {forOtherPath, f.Body},
		"malformed": {good, []byte(`{"order":`)},
	} {
		log.Reset()
		r, err := c.VerifyNotification(tc.h, tc.body)
		if !errors.Is(err, ErrSignature) || r.Verified || r.State == domain.PaymentStatePaid {
			t.Errorf("%s: %+v %v", name, r, err)
		}
		if !strings.Contains(log.String(), "notification refused") {
			t.Errorf("%s: not logged: %q", name, log.String())
		}
	}
}

const kdRef = "2020102900000000000001"

func kdRoutes(t testing.TB, status string) []fixture.Route {
	return []fixture.Route{
		{Method: "POST", Path: PathToken, File: fx(t, "token_sdk.http"), Check: func(t testing.TB, r *http.Request) {
			if r.Header.Get("X-CLIENT-KEY") == "" || r.Header.Get("X-SIGNATURE") == "" || r.Header.Get("X-TIMESTAMP") == "" {
				t.Errorf("token request headers %v", r.Header)
			}
		}},
		{Method: "POST", Path: PathKirimStatus, File: fx(t, status), Check: func(t testing.TB, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer TOKEN_B2B" || r.Header.Get("X-SIGNATURE") == "" || r.Header.Get("X-EXTERNAL-ID") == "" {
				t.Errorf("status headers %v", r.Header)
			}
		}},
	}
}

func TestWireKirimStatus(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		file string
		out  domain.PayoutOutcome
	}{
		{"kirim_status_success_doc.http", domain.OutcomeSucceeded},
		{"kirim_status_pending_doc.http", domain.OutcomeAccepted},
		{"kirim_status_failed_doc.http", domain.OutcomeFailed},
	} {
		t.Run(tt.file, func(t *testing.T) {
			c, _ := wireClient(t, nil, kdRoutes(t, tt.file)...)
			r, err := c.Status(ctx, kdRef)
			if err != nil || r.Outcome != tt.out || r.Amount != 65000 || r.GatewayRef != "DK01123220" {
				t.Fatalf("%+v %v", r, err)
			}
			c2, _ := wireClient(t, nil, kdRoutes(t, tt.file)...)
			if r, err := c2.Status(ctx, "REF-OTHER"); !errors.Is(err, ErrWrongReference) || r.Outcome != domain.OutcomeUnknown {
				t.Fatalf("another REFID: %+v %v", r, err)
			}
		})
	}
	t.Run("a resend finds the transfer and posts nothing", func(t *testing.T) {
		c, srv := wireClient(t, nil, kdRoutes(t, "kirim_status_success_doc.http")...)
		r, err := c.Send(ctx, domain.PayoutRequest{RefID: kdRef, Amount: 65000, Channel: "BCA", AccountNumber: "8377388292", Attempt: 2})
		if err != nil || r.Outcome != domain.OutcomeSucceeded {
			t.Fatalf("%+v %v", r, err)
		}
		for _, q := range srv.Requests() {
			if strings.Contains(q, PathTransfer) {
				t.Fatalf("resend posted: %v", srv.Requests())
			}
		}
		c2, _ := wireClient(t, nil, kdRoutes(t, "kirim_status_success_doc.http")...)
		if r, err := c2.Send(ctx, domain.PayoutRequest{RefID: kdRef, Amount: 70000, Channel: "BCA", AccountNumber: "8377388292", Attempt: 2}); !errors.Is(err, gateways.ErrMismatch) || r.Outcome != domain.OutcomeUnknown {
			t.Fatalf("other money under the REFID: %+v %v", r, err)
		}
	})
}

func TestWireKirimInquiryAndBalance(t *testing.T) {
	ctx := context.Background()
	c, _ := wireClient(t, nil,
		fixture.Route{Method: "POST", Path: PathToken, File: fx(t, "token_sdk.http")},
		fixture.Route{Method: "POST", Path: PathInquiry, File: fx(t, "kirim_inquiry_doc.http")},
		fixture.Route{Method: "POST", Path: PathBalance, File: fx(t, "balance_sdk.http")})
	a, err := c.ValidateAccount(ctx, "BCA", "8377388292")
	if err != nil || !a.Valid || a.HolderName != "SUHUT" {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := c.ValidateAccount(ctx, "BCA", "1111111111"); !errors.Is(err, ErrWrongReference) {
		t.Fatalf("inquiry about another account: %v", err)
	}
	if b, err := c.Balance(ctx); err != nil || b != 12345678 {
		t.Fatalf("balance %d %v", b, err)
	}
}

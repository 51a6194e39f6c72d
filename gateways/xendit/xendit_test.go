package xendit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

const step = time.Minute

func setup(t *testing.T, cfg sandbox.Config) (*sandbox.Server, *xendit.Client) {
	t.Helper()
	cfg.Step = step
	srv := sandbox.New(cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	c := xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: srv.Credentials().XenditSecretKey,
		CallbackToken: srv.Credentials().XenditCallbackToken,
		Retry:         gateways.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxTotalWait: time.Second}})
	return srv, c
}

func req(ref string, amt domain.Rupiah) domain.PayoutRequest {
	return domain.PayoutRequest{RefID: ref, Amount: amt, Channel: "bca", AccountNumber: "0611101146", AccountHolder: "Sari"}
}

func TestCallbackToken(t *testing.T) {
	_, c := setup(t, sandbox.Config{})
	good := sandbox.DefaultCredentials().XenditCallbackToken
	body := []byte(`{"event":"payout.succeeded","data":{"id":"disb-1","reference_id":"REF-1","amount":10000,"status":"SUCCEEDED"}}`)
	tests := []struct {
		name  string
		token string
		err   error
	}{
		{"valid", good, nil},
		{"tampered", good[:len(good)-1] + "X", gateways.ErrCallbackAuth},
		{"prefix", good[:5], gateways.ErrCallbackAuth},
		{"longer", good + "x", gateways.ErrCallbackAuth},
		{"missing", "", gateways.ErrCallbackAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.token != "" {
				h.Set("X-Callback-Token", tt.token)
			}
			ev, err := c.ParsePayoutCallback(h, body)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if tt.err == nil && (ev.Event != "payout.succeeded" || ev.Result.Outcome != domain.OutcomeSucceeded || ev.Result.RefID != "REF-1") {
				t.Fatalf("event %+v", ev)
			}
			if tt.err != nil && ev.Result.Outcome == domain.OutcomeSucceeded {
				t.Fatal("a rejected callback still reported success")
			}
			_, ierr := c.ParseInvoiceCallback(h, []byte(`{"id":"i1","external_id":"ORD-1","status":"PAID","amount":1,"paid_amount":1}`))
			if !errors.Is(ierr, tt.err) || (tt.err == nil && ierr != nil) {
				t.Fatalf("invoice callback err %v, want %v", ierr, tt.err)
			}
		})
	}
	// A client without a configured token accepts nothing.
	empty := xendit.New(xendit.Config{BaseURL: "http://127.0.0.1:1"})
	if empty.VerifyCallbackToken("") {
		t.Fatal("empty token verified")
	}
}

func TestDuplicateResolvedByReference(t *testing.T) {
	for _, code := range []string{"DUPLICATE_ERROR", "DUPLICATE_TRANSACTION_ERROR"} {
		for _, shape := range []string{"array", "data"} {
			t.Run(code+"/"+shape, func(t *testing.T) {
				srv, c := setup(t, sandbox.Config{XenditDuplicateCode: code, XenditListShape: shape, XenditErrorKey: "error_message"})
				ctx := context.Background()
				first, err := c.Send(ctx, req("REF-D", 10_000))
				if err != nil {
					t.Fatal(err)
				}
				// Same REFID, different body (description): the gateway says
				// DUPLICATE; the adapter answers with the original payout.
				r2 := req("REF-D", 10_000)
				r2.Description = "changed"
				got, err := c.Send(ctx, r2)
				if err != nil || got.GatewayRef != first.GatewayRef || got.Outcome != domain.OutcomeAccepted {
					t.Fatalf("duplicate: %+v, %v", got, err)
				}
				// Same REFID, different amount: never treated as the same money.
				got, err = c.Send(ctx, req("REF-D", 20_000))
				if !errors.Is(err, gateways.ErrMismatch) || got.Outcome != domain.OutcomeUnknown {
					t.Fatalf("different amount: %+v, %v", got, err)
				}
				if n := srv.Hits("xendit.payout.list"); n != 2 {
					t.Fatalf("lookups by reference_id = %d, want 2", n)
				}
			})
		}
	}
}

func TestValidationIsRejected(t *testing.T) {
	_, c := setup(t, sandbox.Config{})
	tests := []struct {
		name string
		req  domain.PayoutRequest
		code string
	}{
		{"channel", domain.PayoutRequest{RefID: "R1", Amount: 10_000, Channel: "NOPE", AccountNumber: "1", AccountHolder: "A"}, "CHANNEL_CODE_NOT_SUPPORTED"},
		{"minimum", domain.PayoutRequest{RefID: "R2", Amount: 5_000, Channel: "GOPAY", AccountNumber: "0812", AccountHolder: "A"}, "MINIMUM_TRANSFER_LIMIT_ERROR"},
		{"maximum", domain.PayoutRequest{RefID: "R3", Amount: 30_000_000, Channel: "ID_GOPAY", AccountNumber: "0812", AccountHolder: "A"}, "MAXIMUM_TRANSFER_LIMIT_ERROR"},
		{"holder", domain.PayoutRequest{RefID: "R4", Amount: 10_000, Channel: "BCA", AccountNumber: "1"}, "API_VALIDATION_ERROR"},
	}
	for _, tt := range tests {
		res, err := c.Send(context.Background(), tt.req)
		if err != nil || res.Outcome != domain.OutcomeRejected || res.Code != tt.code || res.Reason == "" {
			t.Errorf("%s: %+v, %v", tt.name, res, err)
		}
	}
}

func TestBadKeyIsUnknownNotRejected(t *testing.T) {
	srv, _ := setup(t, sandbox.Config{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: "xnd_development_WRONG"})
	res, err := c.Send(context.Background(), req("REF-K", 10_000))
	var ae *gateways.APIError
	if res.Outcome != domain.OutcomeUnknown || !errors.As(err, &ae) || ae.HTTPStatus != 401 || ae.Code != "INVALID_API_KEY" {
		t.Fatalf("%+v, %v", res, err)
	}
	if strings.Contains(err.Error(), "WRONG") {
		t.Fatalf("key in error: %v", err)
	}
}

func TestCancelOnlyWhileAccepted(t *testing.T) {
	srv, c := setup(t, sandbox.Config{})
	ctx := context.Background()
	stay := req("REF-STAY", 10_000)
	stay.AccountNumber = "131313" // documented: stays ACCEPTED
	if _, err := c.Send(ctx, stay); err != nil {
		t.Fatal(err)
	}
	before := srv.Balance("xendit")
	srv.Advance(10 * step)
	res, err := c.Cancel(ctx, "REF-STAY")
	if err != nil || res.Outcome != domain.OutcomeCancelled {
		t.Fatalf("cancel: %+v, %v", res, err)
	}
	if srv.Balance("xendit") != before+10_000 {
		t.Fatalf("cancel did not return the money: %d -> %d", before, srv.Balance("xendit"))
	}
	if _, err := c.Send(ctx, req("REF-DONE", 10_000)); err != nil {
		t.Fatal(err)
	}
	srv.Advance(10 * step)
	res, err = c.Cancel(ctx, "REF-DONE")
	if err != nil || res.Outcome != domain.OutcomeSucceeded {
		t.Fatalf("cancel after success: %+v, %v", res, err)
	}
	if res, err := c.Cancel(ctx, "REF-NONE"); err != nil || res.Outcome != domain.OutcomeNotFound {
		t.Fatalf("cancel unknown: %+v, %v", res, err)
	}
}

func TestControlReverseAndPayoutByID(t *testing.T) {
	srv, c := setup(t, sandbox.Config{})
	ctx := context.Background()
	sent, err := c.Send(ctx, req("REF-R", 10_000))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.ReverseXenditPayout("REF-R"); !errors.Is(err, domain.ErrInvalidTransition) {
		t.Fatalf("reverse before success: %v", err)
	}
	srv.Advance(10 * step)
	if err := srv.ReverseXenditPayout("REF-R"); err != nil {
		t.Fatal(err)
	}
	got, err := c.PayoutByID(ctx, sent.GatewayRef)
	if err != nil || got.Outcome != domain.OutcomeReversed || got.RefID != "REF-R" {
		t.Fatalf("%+v, %v", got, err)
	}
	if got, err := c.PayoutByID(ctx, "disb-nope"); err != nil || got.Outcome != domain.OutcomeNotFound {
		t.Fatalf("missing id: %+v, %v", got, err)
	}
}

func TestChannelsAndBalance(t *testing.T) {
	srv, c := setup(t, sandbox.Config{})
	chs, err := c.Channels(context.Background())
	if err != nil || len(chs) < 5 {
		t.Fatalf("%v, %v", chs, err)
	}
	found := false
	for _, ch := range chs {
		if ch.Code == "ID_GOPAY" && ch.Category == "EWALLET" && ch.Minimum == 10_000 {
			found = true
		}
	}
	if !found {
		t.Fatalf("GoPay limits missing: %+v", chs)
	}
	srv.SetBalance("xendit", 5)
	if b, err := c.Balance(context.Background()); err != nil || b != 5 {
		t.Fatalf("balance %d %v", b, err)
	}
	if _, err := c.ValidateAccount(context.Background(), "BCA", "1"); !errors.Is(err, gateways.ErrUnsupported) {
		t.Fatalf("validate: %v", err)
	}
}

func TestRecentPaymentsAndExpire(t *testing.T) {
	srv, c := setup(t, sandbox.Config{})
	ctx := context.Background()
	since := srv.Now().Add(-time.Second)
	for _, id := range []string{"ORD-A", "ORD-B", "ORD-C"} {
		if _, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: id, Amount: 10_000}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.PayXenditInvoice("ORD-A", 0); err != nil {
		t.Fatal(err)
	}
	b, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-B", Amount: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.ExpirePayment(ctx, b.GatewayRef); err != nil || r.State != domain.PaymentStateExpired {
		t.Fatalf("expire: %+v %v", r, err)
	}
	list, err := c.RecentPayments(ctx, since)
	if err != nil || len(list) != 2 || list[0].ExternalID != "ORD-A" || list[0].State != domain.PaymentStatePaid || list[1].State != domain.PaymentStateExpired {
		t.Fatalf("recent: %+v, %v", list, err)
	}
	// Expired invoices get a new link; the old one is not reused.
	nb, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-B", Amount: 10_000})
	if err != nil || nb.GatewayRef == b.GatewayRef {
		t.Fatalf("recreate after expiry: %+v %v", nb, err)
	}
	if _, err := c.PaymentStatus(ctx, "ORD-NONE"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	// An invoice expires by itself when its duration passes.
	if _, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-T", Amount: 10_000, Expiry: time.Hour}); err != nil {
		t.Fatal(err)
	}
	srv.Advance(2 * time.Hour)
	if st, err := c.PaymentStatus(ctx, "ORD-T"); err != nil || st.State != domain.PaymentStateExpired {
		t.Fatalf("timed expiry: %+v %v", st, err)
	}
}

// TestNoSecretInLogsOrErrors drives the adapter through every error path
// with debug logging on and scans the output for the key and token.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	srv := sandbox.New(sandbox.Config{Step: step})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	var logs bytes.Buffer
	lg := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	key, token := srv.Credentials().XenditSecretKey, srv.Credentials().XenditCallbackToken
	c := xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: key, CallbackToken: token, Logger: lg, Timeout: 200 * time.Millisecond,
		Retry: gateways.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxTotalWait: time.Second}})
	wrong := xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: key + "-typo", Logger: lg})
	ctx := context.Background()
	var errs []error
	collect := func(_ any, err error) { errs = append(errs, err) }
	for _, k := range []sandbox.FaultKind{sandbox.FaultDrop, sandbox.FaultServerError, sandbox.FaultTimeout, sandbox.FaultRateLimit} {
		srv.Faults().Add(sandbox.Fault{Endpoint: "*", Kind: k, Count: 3, RetryAfter: "120"})
		collect(c.Send(ctx, req("REF-S-"+string(k), 10_000)))
		collect(c.Balance(ctx))
		srv.Faults().Clear()
	}
	collect(wrong.Send(ctx, req("REF-W", 10_000)))
	collect(wrong.PaymentStatus(ctx, "ORD"))
	collect(c.ParsePayoutCallback(http.Header{"X-Callback-Token": {"bad"}}, []byte(`{}`)))
	dead := xendit.New(xendit.Config{BaseURL: "http://127.0.0.1:1", SecretKey: key, Logger: lg})
	collect(dead.Status(ctx, "REF"))
	var all strings.Builder
	all.Write(logs.Bytes())
	n := 0
	for _, err := range errs {
		if err != nil {
			n++
			all.WriteString(err.Error() + "\n")
			lg.Error("adapter error", "err", err)
		}
	}
	all.Write(logs.Bytes())
	if n < 8 {
		t.Fatalf("only %d errors produced; the test did not exercise the error paths", n)
	}
	for _, s := range []string{key, token, "eG5kX2RldmVsb3BtZW50"} {
		if strings.Contains(all.String(), s) {
			t.Fatalf("secret %q leaked:\n%s", s, all.String())
		}
	}
}

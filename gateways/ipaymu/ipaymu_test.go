package ipaymu

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/fixture"
)

// Signature vectors. iPaymu's signature page (content/docs/signature.en.mdx)
// gives the formula and an example body but no output, and its SDKs carry no
// test vector; the outputs below were computed independently with openssl
// (docs/GATEWAYS.md) over the page's example body, the API key of iPaymu's
// Postman collection and the VA of ipaymu-go-api's test.
func TestRequestSignatureVector(t *testing.T) {
	body := []byte(`{"product":["T-Shirt"],"qty":["1"],"price":["100000"],"returnUrl":"https://your-website.com/thank-you","notifyUrl":"https://your-website.com/notify","cancelUrl":"https://your-website.com/cancel","referenceId":"ID1234"}`)
	const want = "1b7cd2849e211245338053b1aeba94471a5f8991b0df108e25e20a321ef0a00d"
	if got := Signature("post", "1179000899", body, "QbGcoO0Qds9sQFDmY0MWg1Tq.xtuh1"); got != want {
		t.Fatalf("signature %s", got)
	}
	if !VerifySignature(want, "POST", "1179000899", body, "QbGcoO0Qds9sQFDmY0MWg1Tq.xtuh1") ||
		VerifySignature(want, "POST", "1179000899", append(body[:len(body)-1:len(body)-1], ' ', '}'), "QbGcoO0Qds9sQFDmY0MWg1Tq.xtuh1") {
		t.Fatal("verify")
	}
	// The body the adapter sends is the body it signs: "/" is not escaped.
	raw, _ := marshal(map[string]string{"returnUrl": "https://x/y?a=1&b=2"})
	if !bytes.Contains(raw, []byte("https://x/y?a=1&b=2")) {
		t.Fatalf("escaped: %s", raw)
	}
}

// The callback vector: the payload and key ("123456") of the docs
// repository's test runner (examples/test-runner/test-all.js,
// examples/rust/test_hash.js json1), the output by openssl.
func TestCallbackSignatureVector(t *testing.T) {
	form := "trx_id=123456&sid=session_123&reference_id=INV-202310-001&status=berhasil&status_code=1&sub_total=100000&total=100000&amount=100000&fee=0&paid_off=100000&created_at=2023-10-25+10%3A00%3A00&expired_at=2023-10-26+10%3A00%3A00&paid_at=2023-10-25+10%3A05%3A00&settlement_status=unsettled&transaction_status_code=1&is_escrow=0&system_notes=&via=bca&channel=vabca&payment_no=807771234567890&buyer_name=Budi+Santoso&buyer_email=budi%40example.com&buyer_phone=081234567890&additional_info=%5B%5D&url=https%3A%2F%2Fdomain.com%2Fwebhook%2Fcallback&va=807771234567890"
	jsonBody := `{"trx_id":123456,"sid":"session_123","reference_id":"INV-202310-001","status":"berhasil","status_code":1,"sub_total":100000,"total":100000,"amount":100000,"fee":0,"paid_off":100000,"created_at":"2023-10-25 10:00:00","expired_at":"2023-10-26 10:00:00","paid_at":"2023-10-25 10:05:00","settlement_status":"unsettled","transaction_status_code":1,"is_escrow":false,"system_notes":"","via":"bca","channel":"vabca","payment_no":"807771234567890","buyer_name":"Budi Santoso","buyer_email":"budi@example.com","buyer_phone":"081234567890","additional_info":[],"url":"https://domain.com/webhook/callback","va":"807771234567890"}`
	const want = "bd3cb28b3b7f2b1f06f35726cc5fcc35780b2c3f6aaf37468feb76244d7cc433"
	fields, err := CallbackFields("application/json", []byte(jsonBody))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := CallbackSignature(fields, "123456"); s != want {
		s2, _ := CallbackString(fields)
		t.Fatalf("json: %s over %s", s, s2)
	}
	// The form version differs in sub_total, total, amount and fee (strings
	// there, "Leave as String"): its string is the documented normalisation.
	ff, err := CallbackFields("application/x-www-form-urlencoded", []byte(form))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := CallbackString(ff)
	if !strings.Contains(s, `"is_escrow":false`) || !strings.Contains(s, `"trx_id":123456`) || !strings.Contains(s, `"additional_info":[]`) ||
		!strings.Contains(s, `https:\/\/domain.com`) || !strings.Contains(s, `"amount":"100000"`) {
		t.Fatalf("form normalisation: %s", s)
	}
	c := New(Config{VA: "123456", Logger: slog.New(slog.DiscardHandler)})
	r, err := c.VerifyCallback(http.Header{"X-Signature": {want}, "Content-Type": {"application/json"}}, []byte(jsonBody))
	if err != nil || r.State != domain.PaymentStatePaid || r.ExternalID != "INV-202310-001" || r.Amount != 100000 || !r.Verified {
		t.Fatalf("%+v %v", r, err)
	}
}

func fx(t testing.TB, name string) fixture.File { return fixture.Load(t, fixture.Dir, name) }

func TestWireFixturesHaveSources(t *testing.T) {
	probs, n := fixture.Problems(fixture.Dir)
	if n == 0 || len(probs) > 0 {
		t.Fatalf("%d fixtures: %v", n, probs)
	}
}

func wireClient(t testing.TB, log *bytes.Buffer, routes ...fixture.Route) (*Client, *fixture.Server) {
	srv := fixture.Serve(t, routes...)
	cfg := Config{BaseURL: srv.URL, VA: "1179000899", APIKey: "QbGcoO0Qds9sQFDmY0MWg1Tq.xtuh1", Retry: gateways.RetryPolicy{MaxAttempts: 1}, Logger: slog.New(slog.DiscardHandler)}
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	return New(cfg), srv
}

func signedCheck(t testing.TB, r *http.Request) {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	if !VerifySignature(r.Header.Get("signature"), r.Method, r.Header.Get("va"), b.Bytes(), "QbGcoO0Qds9sQFDmY0MWg1Tq.xtuh1") || len(r.Header.Get("timestamp")) != 14 {
		t.Errorf("request not signed as documented: %v", r.Header)
	}
}

func TestWirePayments(t *testing.T) {
	ctx := context.Background()
	c, srv := wireClient(t, nil, fixture.Route{Method: "POST", Path: PathPayment, File: fx(t, "payment_success_recorded.http"), Check: signedCheck})
	l, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-1", Amount: 100000, Description: "Batik"})
	if err != nil || l.GatewayRef != "91538218-5158-459B-8716-DD97FFE3EDAB" || !strings.HasPrefix(l.URL, "https://sandbox.ipaymu.com/payment/") {
		t.Fatalf("%+v %v", l, err)
	}
	if again, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-1", Amount: 100000}); err != nil || again != l || len(srv.Requests()) != 1 {
		t.Fatalf("second create: %+v %v %v", again, err, srv.Requests())
	}
	// After a restart (Retry) no second link is made.
	c2, srv2 := wireClient(t, nil)
	if _, err := c2.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-1", Amount: 100000, Retry: true}); !errors.Is(err, ErrCreateAmbiguous) || len(srv2.Requests()) != 0 {
		t.Fatalf("retry: %v", err)
	}
	for _, f := range []string{"payment_401_recorded.http"} {
		c, _ := wireClient(t, nil, fixture.Route{Method: "POST", Path: PathPayment, File: fx(t, f)})
		if _, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-2", Amount: 1}); !errors.Is(err, ErrKeyRefused) {
			t.Fatalf("%s: %v", f, err)
		}
	}
	c3, _ := wireClient(t, nil, fixture.Route{Method: "POST", Path: PathPayment, File: fx(t, "payment_400_recorded.http")})
	if _, err := c3.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-3", Amount: 1}); err == nil || errors.Is(err, ErrKeyRefused) {
		t.Fatalf("400: %v", err)
	}
}

func TestWireTransactionAndBalance(t *testing.T) {
	ctx := context.Background()
	c, _ := wireClient(t, nil,
		fixture.Route{Method: "POST", Path: PathTransaction, File: fx(t, "transaction_success_recorded.http"), Check: signedCheck},
		fixture.Route{Method: "POST", Path: PathBalance, File: fx(t, "balance_success_recorded.http")})
	r, err := c.TransactionStatus(ctx, 4719, "")
	if err != nil || r.State != domain.PaymentStatePaid || r.Amount != 10000 || r.GatewayRef != "4719" || r.PaidAt.IsZero() {
		t.Fatalf("%+v %v", r, err)
	}
	// The recorded transaction has no ReferenceId: never taken for an order.
	if r, err := c.TransactionStatus(ctx, 4719, "ORD-1"); !errors.Is(err, ErrWrongReference) || r.State != domain.PaymentStateUnknown {
		t.Fatalf("%+v %v", r, err)
	}
	if b, err := c.Balance(ctx); err != nil || b != 0 {
		t.Fatalf("balance %d %v", b, err)
	}
	bad, _ := wireClient(t, nil, fixture.Route{Method: "POST", Path: PathTransaction, File: fx(t, "transaction_401_recorded.http")})
	if _, err := bad.TransactionStatus(ctx, 1, ""); !errors.Is(err, ErrKeyRefused) {
		t.Fatalf("401: %v", err)
	}
}

func TestWireHistoryLookup(t *testing.T) {
	// Entries of the recorded history carry ReferenceId "1"; the first is
	// TransactionId 96461, pending.
	c, _ := wireClient(t, nil,
		fixture.Route{Method: "POST", Path: PathHistory, File: fx(t, "history_recorded.http")})
	list, more, err := ParseHistory(fx(t, "history_recorded.http").Body)
	if err != nil || len(list) != 2 || !more || list[0].TransactionID != 96461 {
		t.Fatalf("%+v %v %v", list, more, err)
	}
	// An order not in the newest pages is pending (nothing settles).
	c.cfg.HistoryPages = 1
	r, err := c.PaymentStatus(context.Background(), "ORD-NOT-LISTED")
	if err != nil || r.State != domain.PaymentStatePending || r.RawStatus != "not_found" {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestWireCallbacks(t *testing.T) {
	var log bytes.Buffer
	c, _ := wireClient(t, &log)
	c.cfg.VA = "1179000899"
	for _, name := range []string{"callback_json_postman.http", "callback_json_doc.http", "callback_form_doc.http"} {
		f := fx(t, name)
		log.Reset()
		// As printed: signed with a VA we do not hold, or unsigned.
		if r, err := c.VerifyCallback(f.Header, f.Body); !errors.Is(err, ErrSignature) || r.Verified || r.State == domain.PaymentStatePaid {
			t.Errorf("%s as printed: %+v %v", name, r, err)
		}
		if !strings.Contains(log.String(), "callback refused") {
			t.Errorf("%s: refusal not logged", name)
		}
		// Signed with our VA: read.
		fields, err := CallbackFields(f.Header.Get("Content-Type"), f.Body)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := CallbackSignature(fields, "1179000899")
		h := f.Header.Clone()
		h.Set("X-Signature", sig)
		r, err := c.VerifyCallback(h, f.Body)
		if err != nil || !r.Verified || r.State != domain.PaymentStatePaid || r.ExternalID == "" {
			t.Errorf("%s signed: %+v %v", name, r, err)
		}
		// Tampered after signing: refused.
		if _, err := c.VerifyCallback(h, bytes.Replace(f.Body, []byte("berhasil"), []byte("pending!"), 1)); !errors.Is(err, ErrSignature) {
			t.Errorf("%s tampered: %v", name, err)
		}
	}
}

func addFiles(f *testing.F, prefix string) {
	paths, _ := filepath.Glob(filepath.Join(fixture.Dir, prefix+"*.http"))
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		fx, err := fixture.Parse(p, b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fx.Body)
	}
}

// FuzzParseAnswers: the answer parsers never panic; paid only for status 1
// or 6 about our reference.
func FuzzParseAnswers(f *testing.F) {
	addFiles(f, "transaction_")
	addFiles(f, "history_")
	addFiles(f, "balance_")
	addFiles(f, "payment_")
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseTransaction(body, "")
		if r.State == domain.PaymentStatePaid && err != nil {
			t.Fatalf("paid with error %v", err)
		}
		if r2, err := ParseTransaction(body, "ORD-1"); r2.State == domain.PaymentStatePaid && (err != nil || !strings.Contains(string(body), "ORD-1")) {
			t.Fatalf("paid for another reference: %s", body)
		}
		_, _, _ = ParseHistory(body)
		if b, err := ParseBalance(body); err == nil && b < 0 {
			t.Fatal("negative balance")
		}
		_, _ = ParseCreated(body, "ORD-1")
	})
}

// FuzzVerifyCallback: bodies signed with a key we do not hold never verify.
func FuzzVerifyCallback(f *testing.F) {
	addFiles(f, "callback_")
	c := New(Config{VA: "1179000899", Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
			h := http.Header{"Content-Type": {ct}, "X-Signature": {"b1a5339f20226fcd8447219f2ff23003e9f1dd7501c02ebc4330a23c69f6c52d"}}
			if r, err := c.VerifyCallback(h, body); err == nil || r.Verified {
				t.Fatalf("verified %+v", r)
			}
		}
	})
}

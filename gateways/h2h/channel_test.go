package h2h

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/sandbox"
)

func sandboxEnv(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	srv := sandbox.New(sandbox.Config{Step: time.Minute})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return srv, hs.URL
}

func testConfig(url string, c sandbox.Credentials) Config {
	return Config{Name: "demo", BaseURL: url + "/h2h/", MemberID: c.H2HMemberID, PIN: c.H2HPin, Password: c.H2HPassword}
}

var fastRetry = gateways.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxTotalWait: time.Second}

func TestConfigJSONRoundTrip(t *testing.T) {
	in := Config{Name: "s1", BaseURL: "http://10.0.0.1:6969/", Transport: TransportText, TextPath: "msg", MemberID: "M1",
		PIN: "1144", Password: "pw", SendTemplate: DefaultTextSend, Products: map[string]string{"GOPAY": "GP"},
		ReplyPatterns: []string{`R#(?P<refid>\d+)`}, SuccessWords: []string{"BERES"}, TimeoutSeconds: 30}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Config
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
	if !strings.Contains(string(b), `"send_template"`) || !strings.Contains(string(b), `"reply_patterns"`) {
		t.Fatalf("unexpected JSON names: %s", b)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := Config{Name: "s", BaseURL: "http://x/", MemberID: "M"}
	for name, mut := range map[string]func(*Config){
		"transport": func(c *Config) { c.Transport = "pigeon" },
		"url":       func(c *Config) { c.BaseURL = "" },
		"member":    func(c *Config) { c.MemberID = "" },
		"pattern":   func(c *Config) { c.ReplyPatterns = []string{"(?P<refid>"} },
	} {
		c := good
		mut(&c)
		if _, err := New(c, Options{}); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

func TestRenderEscapesAndSigns(t *testing.T) {
	ch, err := New(Config{Name: "s", BaseURL: "http://x/", MemberID: "YUSUF", PIN: "1144", Password: "abcd"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := ch.render(DefaultQuerySend, fields{product: "X10", dest: "08123456789", qty: "10000", refID: "2140669"})
	want := "trx?memberID=YUSUF&product=X10&dest=08123456789&qty=10000&refID=2140669&sign=Cp9NLVuKWBt5Sey_uMlYsvnKvJI"
	if got != want {
		t.Fatalf("render = %q", got)
	}
	text, _ := New(Config{Name: "s", BaseURL: "http://x/", MemberID: "M", PIN: "1144", Transport: TransportText}, Options{})
	if got := text.render(DefaultTextSend, fields{product: "GOPAY", dest: "0812", qty: "5000", refID: "R1"}); got != "GOPAY.0812.5000.1144.R#R1" {
		t.Fatalf("text render = %q", got)
	}
}

func TestSendRejectsTemplateBreakingInput(t *testing.T) {
	ch, _ := New(Config{Name: "s", BaseURL: "http://127.0.0.1:1/", MemberID: "M"}, Options{})
	for name, req := range map[string]domain.PayoutRequest{
		"refid_space":  {RefID: "R 1", Amount: 1, Channel: "GOPAY", AccountNumber: "0812"},
		"dest_dot":     {RefID: "R1", Amount: 1, Channel: "GOPAY", AccountNumber: "0812.1144"},
		"dest_amp":     {RefID: "R1", Amount: 1, Channel: "GOPAY", AccountNumber: "0812&pin=1"},
		"zero_amount":  {RefID: "R1", Amount: 0, Channel: "GOPAY", AccountNumber: "0812"},
		"product_hash": {RefID: "R1", Amount: 1, Channel: "GO#PAY", AccountNumber: "0812"},
	} {
		res, err := ch.Send(context.Background(), req)
		if !errors.Is(err, domain.ErrInvalid) || res.Outcome != domain.OutcomeRejected {
			t.Errorf("%s: %+v, %v", name, res, err)
		}
	}
}

func TestSupplierREFIDRuleOverHTTP(t *testing.T) {
	srv, url := sandboxEnv(t)
	ch, err := New(testConfig(url, srv.Credentials()), Options{Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := domain.PayoutRequest{RefID: "R326", Amount: 50_000, Channel: "GOPAY", AccountNumber: sandbox.H2HFailDest}
	first, err := ch.Send(ctx, req)
	if err != nil || first.Outcome != domain.OutcomeAccepted {
		t.Fatalf("send: %+v, %v", first, err)
	}
	srv.Advance(2 * time.Minute)
	failed, err := ch.Status(ctx, "R326")
	if err != nil || failed.Outcome != domain.OutcomeFailed || failed.Reason == "" {
		t.Fatalf("status: %+v, %v", failed, err)
	}
	// The seed's t5: a late resend of a FAILED REFID only reports GAGAL again.
	again, err := ch.Send(ctx, req)
	if err != nil || again.Outcome != domain.OutcomeFailed || again.GatewayRef != first.GatewayRef {
		t.Fatalf("resend of failed REFID: %+v, %v", again, err)
	}
	if srv.PaidCount("h2h", "R326") != 0 {
		t.Fatal("a failed REFID was paid on resend")
	}
	if b, err := ch.Balance(ctx); err != nil || b != srv.Balance("h2h") {
		t.Fatalf("balance %d, %v; sandbox %d", b, err, srv.Balance("h2h"))
	}
	if _, err := ch.ValidateAccount(ctx, "BCA", "1"); !errors.Is(err, gateways.ErrUnsupported) || !IsValidationUnsupported(err) {
		t.Fatalf("validate: %v", err)
	}
}

func TestSalahKamarOverHTTP(t *testing.T) {
	srv, url := sandboxEnv(t)
	ch, _ := New(testConfig(url, srv.Credentials()), Options{Retry: fastRetry})
	srv.Faults().Add(sandbox.Fault{Endpoint: "h2h.trx", Kind: sandbox.FaultWrongRefID})
	res, err := ch.Send(context.Background(), domain.PayoutRequest{RefID: "R7", Amount: 10_000, Channel: "GOPAY", AccountNumber: "0812"})
	if !errors.Is(err, ErrWrongRefID) || res.Outcome != domain.OutcomeUnknown {
		t.Fatalf("reply about another REFID: %+v, %v", res, err)
	}
	if res, err := ch.Status(context.Background(), "R7"); err != nil || res.Outcome != domain.OutcomeAccepted {
		t.Fatalf("status by REFID: %+v, %v", res, err)
	}
}

// TestNoSecretsInLogsOrErrors drives every error path with a logger that
// records everything, then checks that neither the PIN, the password nor
// the signature appear anywhere.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	srv, url := sandboxEnv(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	creds := srv.Credentials()
	creds.H2HPin, creds.H2HPassword = "918273", "Rahasia-Sekali-99"
	var errs []string
	for _, tr := range []string{TransportQuery, TransportText} {
		cfg := testConfig(url, creds) // the sandbox expects other credentials: every call is refused
		cfg.Transport = tr
		if tr == TransportText {
			cfg.TextPath = "text"
		}
		ch, err := New(cfg, Options{Logger: logger, Retry: fastRetry, Timeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		req := domain.PayoutRequest{RefID: "RS1", Amount: 10_000, Channel: "GOPAY", AccountNumber: "0812"}
		for _, f := range []sandbox.FaultKind{"", sandbox.FaultServerError, sandbox.FaultDrop, sandbox.FaultTimeout} {
			if f != "" {
				srv.Faults().Add(sandbox.Fault{Endpoint: "*", Kind: f, Count: 4})
			}
			_, err1 := ch.Send(ctx, req)
			_, err2 := ch.Status(ctx, "RS1")
			_, err3 := ch.Balance(ctx)
			srv.Faults().Clear()
			for _, e := range []error{err1, err2, err3} {
				if e == nil {
					t.Fatalf("transport %s fault %q: a refused call returned no error", tr, f)
				}
				errs = append(errs, e.Error())
			}
		}
	}
	all := logs.String() + strings.Join(errs, "\n")
	sign := Sign(creds.H2HMemberID, "GOPAY", "0812", "RS1", creds.H2HPin, creds.H2HPassword)
	for _, secret := range []string{creds.H2HPin, creds.H2HPassword, sign} {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q leaked:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "h2h") {
		t.Fatal("nothing was logged or returned: the test checked nothing")
	}
}

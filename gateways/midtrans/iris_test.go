package midtrans

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/sandbox"
)

var fastRetry = gateways.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxTotalWait: time.Second}

func irisEnv(t *testing.T) (*sandbox.Server, string) { return irisEnvB(t) }

func irisEnvB(t testing.TB) (*sandbox.Server, string) {
	t.Helper()
	srv := sandbox.New(sandbox.Config{Step: time.Minute})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return srv, hs.URL
}

func irisFor(srv *sandbox.Server, url string, mut func(*IrisConfig)) *Iris {
	c := srv.Credentials()
	cfg := IrisConfig{BaseURL: url + "/iris", CreatorKey: c.IrisCreatorKey, ApproverKey: c.IrisApproverKey,
		OTP: StaticOTP(c.IrisOTP), MerchantKey: c.IrisMerchantKey, Retry: fastRetry, Now: srv.Now}
	if mut != nil {
		mut(&cfg)
	}
	return NewIris(cfg)
}

func payout(ref, account string) domain.PayoutRequest {
	return domain.PayoutRequest{RefID: ref, Amount: 100_000, Channel: "BCA", AccountNumber: account, AccountHolder: "Budi", Description: "bagi hasil"}
}

func TestIrisWithoutApproverLeavesQueuedForAPerson(t *testing.T) {
	srv, url := irisEnv(t)
	it := irisFor(srv, url, func(c *IrisConfig) { c.ApproverKey = "" })
	ctx := context.Background()
	res, err := it.Send(ctx, payout("REF-Q", "0611101146"))
	if err != nil || res.Outcome != domain.OutcomeAccepted || res.RawStatus != "queued" {
		t.Fatalf("send: %+v, %v", res, err)
	}
	srv.Advance(time.Hour)
	if res, _ := it.Status(ctx, "REF-Q"); res.RawStatus != "queued" {
		t.Fatalf("payout moved without approval: %+v", res)
	}
	if _, err := it.Cancel(ctx, "REF-Q"); !errors.Is(err, gateways.ErrUnsupported) {
		t.Fatalf("reject without approver key: %v", err)
	}
}

func TestIrisWrongOTPIsFinishedByStatus(t *testing.T) {
	srv, url := irisEnv(t)
	otp := "000000"
	it := irisFor(srv, url, func(c *IrisConfig) {
		c.OTP = func(context.Context) (string, error) { return otp, nil }
	})
	ctx := context.Background()
	res, err := it.Send(ctx, payout("REF-OTP", "0611101146"))
	if err != nil || res.Outcome != domain.OutcomeAccepted || res.RawStatus != "queued" {
		t.Fatalf("send with a wrong OTP: %+v, %v", res, err)
	}
	otp = srv.Credentials().IrisOTP
	if res, err := it.Status(ctx, "REF-OTP"); err != nil || res.RawStatus != "approved" {
		t.Fatalf("status should finish the approval: %+v, %v", res, err)
	}
	srv.Advance(time.Hour)
	if res, _ := it.Status(ctx, "REF-OTP"); res.Outcome != domain.OutcomeSucceeded {
		t.Fatalf("after progression: %+v", res)
	}
	if n := srv.PaidCount("iris", "REF-OTP"); n != 1 {
		t.Fatalf("paid %d times", n)
	}
}

func TestIrisRejectCancels(t *testing.T) {
	srv, url := irisEnv(t)
	it := irisFor(srv, url, func(c *IrisConfig) { c.OTP = nil }) // approver key, but no OTP: queued
	ctx := context.Background()
	if _, err := it.Send(ctx, payout("REF-R", "0611101146")); err != nil {
		t.Fatal(err)
	}
	res, err := it.Cancel(ctx, "REF-R")
	if err != nil || res.Outcome != domain.OutcomeCancelled {
		t.Fatalf("cancel: %+v, %v", res, err)
	}
	if _, err := it.Cancel(ctx, "REF-NONE"); !errors.Is(err, ErrReferenceUnknown) {
		t.Fatalf("cancel unknown: %v", err)
	}
}

func TestIrisRejectsBeforeSending(t *testing.T) {
	srv, url := irisEnv(t)
	it := irisFor(srv, url, nil)
	ctx := context.Background()
	for name, req := range map[string]domain.PayoutRequest{
		"no_refid":  {Amount: 1, Channel: "BCA", AccountNumber: "1", AccountHolder: "x"},
		"refid_sp":  {RefID: "A B", Amount: 1, Channel: "BCA", AccountNumber: "1", AccountHolder: "x"},
		"no_amount": {RefID: "A", Channel: "BCA", AccountNumber: "1", AccountHolder: "x"},
		"no_holder": {RefID: "A", Amount: 1, Channel: "BCA", AccountNumber: "1"},
	} {
		if res, err := it.Send(ctx, req); !errors.Is(err, domain.ErrInvalid) || res.Outcome != domain.OutcomeRejected {
			t.Errorf("%s: %+v, %v", name, res, err)
		}
	}
	// Iris's own refusal (unknown bank): Iris documents no such refusal, so
	// the outcome is unknown, never rejected; nothing exists in the sandbox.
	res, err := it.Send(ctx, domain.PayoutRequest{RefID: "REF-BANK", Amount: 1000, Channel: "NOBANK", AccountNumber: "0611101146", AccountHolder: "x"})
	var ae *gateways.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 400 || !errors.Is(err, ErrCreateRefused) || res.Outcome != domain.OutcomeUnknown {
		t.Fatalf("invalid bank: %+v, %v", res, err)
	}
	if srv.IrisPayoutCount("REF-BANK") != 0 {
		t.Fatal("a rejected payout exists")
	}
}

func TestIrisSameKeyDifferentBodyIsConflict(t *testing.T) {
	srv, url := irisEnv(t)
	it := irisFor(srv, url, nil)
	ctx := context.Background()
	if _, err := it.Send(ctx, payout("REF-K", "0611101146")); err != nil {
		t.Fatal(err)
	}
	other := irisFor(srv, url, nil) // another book: it does not know REF-K
	changed := payout("REF-K", "0611101146")
	changed.Amount = 999_000
	res, err := other.Send(ctx, changed)
	if !errors.Is(err, ErrKeyConflict) || !errors.Is(err, gateways.ErrMismatch) || res.Outcome != domain.OutcomeUnknown {
		t.Fatalf("same REFID, different money: %+v, %v", res, err)
	}
	if srv.IrisPayoutCount("REF-K") != 1 {
		t.Fatal("a second payout was created")
	}
}

// TestIrisLostCreateIsFoundInStatements: a create whose answer was lost
// leaves no reference_no; Status finds the payout in Iris's statements once
// money moved for it (here: the same REFID approved from another book), and
// reports not_found while nothing moved (queued payouts are not in the
// statements). Status never posts the create.
func TestIrisLostCreateIsFoundInStatements(t *testing.T) {
	srv, url := irisEnv(t)
	it := irisFor(srv, url, nil)
	ctx := context.Background()
	srv.Faults().Add(sandbox.Fault{Endpoint: "iris.payout.create", Kind: sandbox.FaultDrop, Count: 1})
	if res, err := it.Send(ctx, payout("REF-LOST", "0611101146")); res.Outcome != domain.OutcomeUnknown || !gateways.IsUnknown(err) {
		t.Fatalf("dropped: %+v, %v", res, err)
	}
	res, err := it.Status(ctx, "REF-LOST")
	if err != nil || res.Outcome != domain.OutcomeNotFound {
		t.Fatalf("queued payout, not in the statements: %+v, %v", res, err)
	}
	creates := srv.Hits("iris.payout.create")
	other := irisFor(srv, url, nil) // a person's resend from elsewhere approves it
	if _, err := other.Send(ctx, payout("REF-LOST", "0611101146")); err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Hour)
	res, err = it.Status(ctx, "REF-LOST")
	if err != nil || res.Outcome != domain.OutcomeSucceeded || res.GatewayRef == "" {
		t.Fatalf("found in the statements: %+v, %v", res, err)
	}
	if srv.Hits("iris.payout.create") != creates+1 || srv.IrisPayoutCount("REF-LOST") != 1 || srv.PaidCount("iris", "REF-LOST") != 1 {
		t.Fatalf("creates %d (want %d), payouts %d, paid %d", srv.Hits("iris.payout.create"), creates+1, srv.IrisPayoutCount("REF-LOST"), srv.PaidCount("iris", "REF-LOST"))
	}
}

func TestIrisKeyWindowEndsAtMidnightUTC(t *testing.T) {
	it := NewIris(IrisConfig{BaseURL: "http://127.0.0.1:1"})
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	end, ends := it.KeyWindow().End(t0)
	if want := time.Date(2026, 11, 22, 23, 45, 0, 0, time.UTC); !ends || !end.Equal(want) {
		t.Fatalf("window of a 03:00 UTC send ends %v, %v; want %v", end, ends, want)
	}
}

func TestIrisBalanceAndAccountValidation(t *testing.T) {
	srv, url := irisEnv(t)
	it := irisFor(srv, url, nil)
	ctx := context.Background()
	srv.SetBalance("iris", 2_500_000)
	if b, err := it.Balance(ctx); err != nil || b != 2_500_000 {
		t.Fatalf("balance %d, %v", b, err)
	}
	info, err := it.ValidateAccount(ctx, "BCA", "0611101146")
	if err != nil || !info.Valid || info.HolderName != "SANDBOX BCA" {
		t.Fatalf("valid account: %+v, %v", info, err)
	}
	info, err = it.ValidateAccount(ctx, "BCA", sandbox.IrisInvalidAccount)
	if err != nil || info.Valid {
		t.Fatalf("invalid account: %+v, %v", info, err)
	}
}

func TestTOTPSource(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	code, err := TOTP(secret, func() time.Time { return at })(context.Background())
	if err != nil || len(code) != 6 {
		t.Fatalf("code %q, %v", code, err)
	}
	want, _ := totp.GenerateCode(secret, at)
	if code != want {
		t.Fatalf("code %q, want %q", code, want)
	}
	if _, err := TOTP("not base32!", nil)(context.Background()); err == nil || strings.Contains(err.Error(), "not base32!") {
		t.Fatalf("bad secret: %v", err)
	}
}

// TestNoKeysInLogsOrErrors drives Iris and Midtrans through refused keys,
// faults and dropped connections with a logger that records everything,
// then checks that no key or OTP appears in logs or error text.
func TestNoKeysInLogsOrErrors(t *testing.T) {
	srv, url := irisEnv(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	secrets := []string{"IRIS-creator-WRONG-1", "IRIS-approver-WRONG-2", "IRIS-merchant-WRONG-3", "SB-Mid-server-WRONG-4", srv.Credentials().IrisCreatorKey, srv.Credentials().IrisApproverKey, srv.Credentials().IrisOTP, srv.Credentials().MidtransServerKey}
	ctx := context.Background()
	var errs []string
	add := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	wrong := irisFor(srv, url, func(c *IrisConfig) {
		c.CreatorKey, c.ApproverKey, c.MerchantKey, c.Logger = secrets[0], secrets[1], secrets[2], logger
	})
	_, err := wrong.Send(ctx, payout("REF-S1", "0611101146"))
	add(err)
	_, err = wrong.Balance(ctx)
	add(err)
	_, err = wrong.VerifyNotification("00", []byte(`{}`))
	add(err)
	right := irisFor(srv, url, func(c *IrisConfig) { c.Logger = logger })
	for _, f := range []sandbox.FaultKind{sandbox.FaultServerError, sandbox.FaultDrop, sandbox.FaultRateLimit} {
		srv.Faults().Add(sandbox.Fault{Endpoint: "*", Kind: f, Count: 3, RetryAfter: "0"})
		_, err = right.Send(ctx, payout("REF-S-"+string(f), "0611101146"))
		add(err)
		srv.Faults().Clear()
	}
	srv.Faults().Add(sandbox.Fault{Endpoint: "iris.payout.approve", Kind: sandbox.FaultServerError, Count: 3})
	_, err = right.Send(ctx, payout("REF-S-APPROVE", "0611101146")) // approval fails: logged, not returned
	add(err)
	srv.Faults().Clear()
	g := New(Config{CoreURL: url + "/midtrans", SnapURL: url, ServerKey: secrets[3], Logger: logger, Retry: fastRetry})
	_, err = g.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-S", Amount: 1000})
	add(err)
	_, err = g.PaymentStatus(ctx, "ORD-S")
	add(err)
	if len(errs) < 5 || logs.Len() == 0 {
		t.Fatalf("too little was exercised: %d errors, %d bytes of log", len(errs), logs.Len())
	}
	all := logs.String() + strings.Join(errs, "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %q leaked", s)
		}
	}
}

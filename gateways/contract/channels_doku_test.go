package contract

import (
	"errors"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways/doku"
	"lunas/gateways/ipaymu"
	"lunas/gateways/sandbox"
)

// Rows for DOKU (Checkout payments, Kirim DOKU payouts) and iPaymu
// payments, through the sandbox over real HTTP.

func newDOKU(e *Env) *doku.Client {
	c := e.Creds
	return doku.New(doku.Config{BaseURL: e.URL, ClientID: c.DOKUClientID, SecretKey: c.DOKUSecretKey, PrivateKey: c.DOKUPrivateKey,
		CustomerNumber: c.DOKUCustomerNumber, Timeout: e.Timeout, Retry: e.Retry, Now: e.Srv.Now})
}

func newIpaymu(e *Env) *ipaymu.Client {
	c := e.Creds
	return ipaymu.New(ipaymu.Config{BaseURL: e.URL, VA: c.IpaymuVA, APIKey: c.IpaymuAPIKey, Timeout: e.Timeout, Retry: e.Retry})
}

func dokuReq(bank, account string) func(string, domain.Rupiah) domain.PayoutRequest {
	return func(refID string, amt domain.Rupiah) domain.PayoutRequest {
		return domain.PayoutRequest{RefID: refID, Amount: amt, Channel: bank, AccountNumber: account,
			AccountHolder: "Sari Wulandari", Description: "Bagi hasil batik"}
	}
}

func init() {
	payoutCases = append(payoutCases, payoutCase{
		Name:    "doku",
		Book:    "doku",
		New:     func(t testing.TB, e *Env) domain.PayoutChannel { return newDOKU(e) },
		Request: dokuReq("BCA", "0611101146"),
		// DOKU's documented sandbox rule: bank 002 (BRI) and an account
		// containing 12345 ends FAILED.
		Failures:       []failureCase{{Name: "06", Code: "06", Request: dokuReq("BRI", sandbox.DOKUFailAccount)}},
		CreateEndpoint: "doku.transfer",
		StatusEndpoint: "doku.status",
	})
	paymentCases = append(paymentCases, paymentCase{
		Name:           "doku",
		New:            func(t testing.TB, e *Env) domain.PaymentGateway { return newDOKU(e) },
		Pay:            func(e *Env, id string, amt domain.Rupiah) error { return e.Srv.PayDOKU(id, amt) },
		Expire:         func(e *Env, id string) error { return e.Srv.ExpireDOKU(id) },
		CreateEndpoint: "doku.checkout.create",
		StatusEndpoint: "doku.checkout.status",
	}, paymentCase{
		Name:           "ipaymu",
		New:            func(t testing.TB, e *Env) domain.PaymentGateway { return newIpaymu(e) },
		Pay:            func(e *Env, id string, amt domain.Rupiah) error { return e.Srv.PayIpaymu(id, amt) },
		Expire:         func(e *Env, id string) error { return e.Srv.ExpireIpaymu(id) },
		CreateEndpoint: "ipaymu.payment.create",
		StatusEndpoint: "ipaymu.history",
	})
}

// TestDOKUTamperedStatusNeverSettles: a status answer whose signature does
// not verify leaves the payment unsettled.
func TestDOKUTamperedStatusNeverSettles(t *testing.T) {
	e := newEnv(t)
	g := newDOKU(e)
	if _, err := g.CreatePayment(ctx(t), domain.PaymentRequest{ExternalID: "ORD-TAMPER", Amount: 250_000}); err != nil {
		t.Fatal(err)
	}
	if err := e.Srv.PayDOKU("ORD-TAMPER", 0); err != nil {
		t.Fatal(err)
	}
	if err := e.Srv.TamperDOKU("ORD-TAMPER"); err != nil {
		t.Fatal(err)
	}
	st, err := g.PaymentStatus(ctx(t), "ORD-TAMPER")
	if !errors.Is(err, doku.ErrSignature) || st.Verified {
		t.Fatalf("%+v %v", st, err)
	}
}

// TestDOKUKeyWindow: past the first 00:00 WIB the sandbox forgets the
// REFID as DOKU may; a resend (Attempt 2) only asks the status inquiry and
// the key window says no resend may be made.
func TestDOKUKeyWindow(t *testing.T) {
	e := newEnv(t)
	ch := newDOKU(e)
	req := dokuReq("BCA", "0611101146")("REF-DOKU-WINDOW", 50_000)
	first := send(t, payoutCases[len(payoutCases)-1], e, ch, req)
	if domain.ResendAllowed(ch.KeyWindow(), e.Srv.Now(), e.Srv.Now().Add(24*time.Hour)) {
		t.Fatal("resend allowed at 24 h")
	}
	e.Srv.Advance(25 * time.Hour)
	req.Attempt = 2
	again, err := ch.Send(ctx(t), req)
	if err != nil || again.GatewayRef != first.GatewayRef || again.Outcome != domain.OutcomeSucceeded {
		t.Fatalf("resend past the window: %+v, %v", again, err)
	}
	if n := e.Srv.DOKUTransferCount("REF-DOKU-WINDOW"); n != 1 {
		t.Fatalf("%d transfers", n)
	}
	wantPaid(t, e, "doku", "REF-DOKU-WINDOW", 50_000, 1)
}

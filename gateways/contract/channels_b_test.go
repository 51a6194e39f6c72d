package contract

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/h2h"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
)

// Rows for Iris, the H2H supplier (query and text transports) and Midtrans
// payments. Iris approval is driven by the adapter itself (approver key and
// the sandbox's fixed OTP), so the rows need no Approve hook.

func newIris(t testing.TB, e *Env) *midtrans.Iris {
	return midtrans.NewIris(midtrans.IrisConfig{
		BaseURL: e.URL + "/iris", CreatorKey: e.Creds.IrisCreatorKey, ApproverKey: e.Creds.IrisApproverKey,
		OTP: midtrans.StaticOTP(e.Creds.IrisOTP), MerchantKey: e.Creds.IrisMerchantKey,
		Timeout: e.Timeout, Retry: e.Retry, Now: e.Srv.Now,
	})
}

func irisReq(account, bank string) func(string, domain.Rupiah) domain.PayoutRequest {
	return func(refID string, amt domain.Rupiah) domain.PayoutRequest {
		return domain.PayoutRequest{RefID: refID, Amount: amt, Channel: bank, AccountNumber: account,
			AccountHolder: "Sari Wulandari", Description: "Bagi hasil batik"}
	}
}

func h2hConfig(e *Env, transport string) h2h.Config {
	c := h2h.Config{Name: "sandbox", BaseURL: e.URL + "/h2h/", Transport: transport, MemberID: e.Creds.H2HMemberID,
		PIN: e.Creds.H2HPin, Password: e.Creds.H2HPassword, Products: map[string]string{"GOPAY": "GOPAY"}}
	if transport == h2h.TransportText {
		c.TextPath = "text"
	}
	return c
}

func newH2H(t testing.TB, e *Env, transport string) *h2h.Channel {
	ch, err := h2h.New(h2hConfig(e, transport), h2h.Options{Retry: e.Retry, Now: e.Srv.Now, Timeout: e.Timeout})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func h2hReq(dest string) func(string, domain.Rupiah) domain.PayoutRequest {
	return func(refID string, amt domain.Rupiah) domain.PayoutRequest {
		return domain.PayoutRequest{RefID: refID, Amount: amt, Channel: "GOPAY", AccountNumber: dest, AccountHolder: "Sari"}
	}
}

func init() {
	iris := payoutCase{
		Name:                "iris",
		Book:                "iris",
		New:                 func(t testing.TB, e *Env) domain.PayoutChannel { return newIris(t, e) },
		Request:             irisReq("0611101146", "BCA"),
		CreateEndpoint:      "iris.payout.create",
		StatusEndpoint:      "iris.payout.get",
		LostCreateNotListed: true,
		// Approval carries no idempotency key: a 5xx must not be repeated.
		UnkeyedEndpoint: "iris.payout.approve",
		UnkeyedPost: func(ctx context.Context, e *Env) error {
			c := gateways.New(gateways.Config{Gateway: "iris", BaseURL: e.URL + "/iris",
				Auth: &gateways.BasicAuth{User: e.Creds.IrisApproverKey}, Retry: e.Retry})
			_, err := c.Do(ctx, gateways.Call{Method: http.MethodPost, Path: "/api/v1/payouts/approve",
				JSON: map[string]any{"reference_nos": []string{"nope"}, "otp": e.Creds.IrisOTP}})
			return err
		},
	}
	for account, ta := range sandbox.IrisTestAccounts {
		if ta.FailCode != "" {
			iris.Failures = append(iris.Failures, failureCase{Name: ta.FailCode, Code: ta.FailCode, Request: irisReq(account, "BCA")})
		}
	}
	payoutCases = append(payoutCases, iris)

	for _, tr := range []string{h2h.TransportQuery, h2h.TransportText} {
		tr := tr
		pc := payoutCase{
			Name:    "h2h-" + tr,
			Book:    "h2h",
			New:     func(t testing.TB, e *Env) domain.PayoutChannel { return newH2H(t, e, tr) },
			Request: h2hReq("081234567890"),
			Failures: []failureCase{
				{Name: "FAILED", Code: "FAILED", Request: h2hReq(sandbox.H2HFailDest)},
			},
			CreateEndpoint: "h2h.trx",
			StatusEndpoint: "h2h.trx",
		}
		if tr == h2h.TransportText {
			pc.CreateEndpoint, pc.StatusEndpoint = "h2h.text", "h2h.text"
			// A balance query over the text transport is a POST without a
			// REFID: it must not be repeated on a 5xx.
			pc.UnkeyedEndpoint = "h2h.text"
			pc.UnkeyedPost = func(ctx context.Context, e *Env) error {
				ch, err := h2h.New(h2hConfig(e, tr), h2h.Options{Retry: e.Retry})
				if err != nil {
					return err
				}
				_, err = ch.Balance(ctx)
				return err
			}
		}
		payoutCases = append(payoutCases, pc)
	}

	paymentCases = append(paymentCases, paymentCase{
		Name:           "midtrans",
		New:            func(t testing.TB, e *Env) domain.PaymentGateway { return newMidtrans(e) },
		Pay:            func(e *Env, id string, amt domain.Rupiah) error { return e.Srv.PayMidtrans(id, amt, "") },
		Expire:         func(e *Env, id string) error { return e.Srv.SetMidtransStatus(id, "expire", "") },
		CreateEndpoint: "midtrans.snap.create",
		StatusEndpoint: "midtrans.status",
	})
}

func newMidtrans(e *Env) *midtrans.Gateway {
	return midtrans.New(midtrans.Config{CoreURL: e.URL + "/midtrans", SnapURL: e.URL,
		ServerKey: e.Creds.MidtransServerKey, Timeout: e.Timeout, Retry: e.Retry, Now: e.Srv.Now})
}

// TestMidtransPaymentStatusCases covers every Midtrans status a payment can
// show, over real HTTP against the sandbox.
func TestMidtransPaymentStatusCases(t *testing.T) {
	type want struct {
		state     domain.PaymentState
		amount    domain.Rupiah
		verified  bool
		challenge bool
		sigErr    bool
	}
	cases := []struct {
		name     string
		variants sandbox.MidtransVariants
		act      func(s *sandbox.Server, id string) error
		want     want
	}{
		{"404_before_method_chosen_http200", sandbox.MidtransVariants{}, nil,
			want{state: domain.PaymentStatePending, verified: true}},
		{"404_before_method_chosen_http404", sandbox.MidtransVariants{NotFoundHTTP404: true}, nil,
			want{state: domain.PaymentStatePending, verified: true}},
		{"pending", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error { return s.MidtransChoose(id, "bank_transfer") },
			want{state: domain.PaymentStatePending, amount: 250_000, verified: true}},
		{"pending_uppercase", sandbox.MidtransVariants{UppercaseStatus: true}, func(s *sandbox.Server, id string) error { return s.MidtransChoose(id, "qris") },
			want{state: domain.PaymentStatePending, amount: 250_000, verified: true}},
		{"settlement", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error { return s.PayMidtrans(id, 0, "") },
			want{state: domain.PaymentStatePaid, amount: 250_000, verified: true}},
		{"settlement_uppercase", sandbox.MidtransVariants{UppercaseStatus: true}, func(s *sandbox.Server, id string) error { return s.PayMidtrans(id, 0, "") },
			want{state: domain.PaymentStatePaid, amount: 250_000, verified: true}},
		{"capture_challenge_not_paid", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error { return s.PayMidtrans(id, 0, "challenge") },
			want{state: domain.PaymentStatePending, amount: 250_000, verified: true, challenge: true}},
		{"capture_accept_paid", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error { return s.SetMidtransStatus(id, "capture", "accept") },
			want{state: domain.PaymentStatePaid, amount: 250_000, verified: true}},
		{"expire", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error { return s.SetMidtransStatus(id, "expire", "") },
			want{state: domain.PaymentStateExpired, amount: 250_000, verified: true}},
		{"deny", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error { return s.SetMidtransStatus(id, "deny", "deny") },
			want{state: domain.PaymentStateFailed, amount: 250_000, verified: true}},
		{"cancel", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error { return s.SetMidtransStatus(id, "cancel", "") },
			want{state: domain.PaymentStateFailed, amount: 250_000, verified: true}},
		{"amount_mismatch_reported", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error { return s.PayMidtrans(id, 249_000, "") },
			want{state: domain.PaymentStatePaid, amount: 249_000, verified: true}},
		{"bad_signature_not_verified", sandbox.MidtransVariants{}, func(s *sandbox.Server, id string) error {
			if err := s.PayMidtrans(id, 0, ""); err != nil {
				return err
			}
			return s.TamperMidtrans(id)
		}, want{state: domain.PaymentStatePaid, amount: 250_000, verified: false, sigErr: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.Srv.SetMidtransVariants(c.variants)
			g := newMidtrans(e)
			if _, err := g.CreatePayment(ctx(t), domain.PaymentRequest{ExternalID: "ORD-MT-1", Amount: 250_000}); err != nil {
				t.Fatal(err)
			}
			if c.act != nil {
				if err := c.act(e.Srv, "ORD-MT-1"); err != nil {
					t.Fatal(err)
				}
			}
			st, err := g.PaymentStatus(ctx(t), "ORD-MT-1")
			if c.want.sigErr != errors.Is(err, midtrans.ErrSignature) || (!c.want.sigErr && err != nil) {
				t.Fatalf("err = %v, want signature error %v", err, c.want.sigErr)
			}
			got := want{state: st.State, amount: st.Amount, verified: st.Verified, challenge: st.Challenge, sigErr: c.want.sigErr}
			if got != c.want {
				t.Fatalf("status = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestIrisKeyWindow: once the sandbox forgets the idempotency key (the first
// midnight UTC), a posted create would make a second payout; a Send of a
// REFID whose reference_no is known only queries, and the key window says no
// resend may be made.
func TestIrisKeyWindow(t *testing.T) {
	e := newEnv(t)
	ch := newIris(t, e)
	req := irisReq("0611101146", "BCA")("REF-WINDOW", 50_000)
	first, err := ch.Send(ctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if domain.ResendAllowed(ch.KeyWindow(), e.Srv.Now(), e.Srv.Now().Add(24*60*60*1e9)) {
		t.Fatal("resend allowed at 24 h")
	}
	e.Srv.Advance(25 * 60 * 60 * 1e9)
	again, err := ch.Send(ctx(t), req)
	if err != nil || again.GatewayRef != first.GatewayRef || again.Outcome != domain.OutcomeSucceeded {
		t.Fatalf("resend past the window: %+v, %v; want a status of the first payout", again, err)
	}
	if n := e.Srv.IrisPayoutCount("REF-WINDOW"); n != 1 {
		t.Fatalf("Iris holds %d payouts for the REFID, want 1", n)
	}
	wantPaid(t, e, "iris", "REF-WINDOW", 50_000, 1)
}

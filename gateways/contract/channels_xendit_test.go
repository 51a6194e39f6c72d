package contract

import (
	"context"
	"net/http"
	"testing"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

func newXendit(t testing.TB, e *Env) *xendit.Client {
	return xendit.New(xendit.Config{BaseURL: e.URL, SecretKey: e.Creds.XenditSecretKey,
		CallbackToken: e.Creds.XenditCallbackToken, Timeout: e.Timeout, Retry: e.Retry})
}

func xenditReq(account string) func(string, domain.Rupiah) domain.PayoutRequest {
	return func(refID string, amt domain.Rupiah) domain.PayoutRequest {
		return domain.PayoutRequest{RefID: refID, Amount: amt, Channel: "BCA", AccountNumber: account,
			AccountHolder: "Sari Wulandari", Description: "Bagi hasil batik"}
	}
}

func init() {
	pc := payoutCase{
		Name:           "xendit",
		Book:           "xendit",
		New:            func(t testing.TB, e *Env) domain.PayoutChannel { return newXendit(t, e) },
		Request:        xenditReq("0611101146"),
		CreateEndpoint: "xendit.payout.create",
		StatusEndpoint: "xendit.payout.list",
		// Invoice creation is the Xendit POST that carries no idempotency key.
		UnkeyedEndpoint: "xendit.invoice.create",
		UnkeyedPost: func(ctx context.Context, e *Env) error {
			c := gateways.New(gateways.Config{Gateway: "xendit", BaseURL: e.URL,
				Auth: &gateways.BasicAuth{User: e.Creds.XenditSecretKey}, Retry: e.Retry})
			_, err := c.Do(ctx, gateways.Call{Method: http.MethodPost, Path: "/v2/invoices",
				JSON: map[string]any{"external_id": "ORD-UNKEYED", "amount": 10000}})
			return err
		},
	}
	for account, code := range sandbox.XenditTestAccounts {
		if code == "ACCEPTED" {
			continue
		}
		pc.Failures = append(pc.Failures, failureCase{Name: code, Code: code, Request: xenditReq(account)})
	}
	payoutCases = append(payoutCases, pc)

	paymentCases = append(paymentCases, paymentCase{
		Name:           "xendit",
		New:            func(t testing.TB, e *Env) domain.PaymentGateway { return newXendit(t, e) },
		Pay:            func(e *Env, id string, amt domain.Rupiah) error { return e.Srv.PayXenditInvoice(id, amt) },
		Expire:         func(e *Env, id string) error { return e.Srv.ExpireXenditInvoice(id) },
		CreateEndpoint: "xendit.invoice.create",
		StatusEndpoint: "xendit.invoice.list",
	})
}

package xendit_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// benchSetup serves a sandbox on loopback (real TCP, keep-alive) and returns
// an adapter for it. MaxObjects keeps memory flat over millions of payouts.
func benchSetup(b *testing.B) (*sandbox.Server, *xendit.Client) {
	srv := sandbox.New(sandbox.Config{Step: time.Hour, MaxObjects: 10_000, StartBalance: 1 << 62})
	hs := httptest.NewServer(srv)
	b.Cleanup(func() { srv.Close(); hs.Close() })
	return srv, xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: srv.Credentials().XenditSecretKey})
}

func reportRate(b *testing.B, perOp int) {
	b.ReportMetric(float64(b.N*perOp)/b.Elapsed().Seconds(), "roundtrips/s")
}

// BenchmarkSendPayout: one POST /v2/payouts per op, a new REFID each time.
func BenchmarkSendPayout(b *testing.B) {
	_, c := benchSetup(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := c.Send(ctx, domain.PayoutRequest{RefID: fmt.Sprint("B-", i), Amount: 10_000, Channel: "BCA", AccountNumber: "0611101146", AccountHolder: "Sari"})
		if err != nil || res.Outcome != domain.OutcomeAccepted {
			b.Fatalf("%+v %v", res, err)
		}
	}
	reportRate(b, 1)
}

// BenchmarkPayoutStatus: one GET /v2/payouts?reference_id= per op.
func BenchmarkPayoutStatus(b *testing.B) {
	_, c := benchSetup(b)
	ctx := context.Background()
	if _, err := c.Send(ctx, domain.PayoutRequest{RefID: "B-S", Amount: 10_000, Channel: "BCA", AccountNumber: "0611101146", AccountHolder: "Sari"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if res, err := c.Status(ctx, "B-S"); err != nil || res.Outcome != domain.OutcomeAccepted {
			b.Fatalf("%+v %v", res, err)
		}
	}
	reportRate(b, 1)
}

// BenchmarkPayoutStatusParallel: status polls from several goroutines, as
// the engine's pollers do.
func BenchmarkPayoutStatusParallel(b *testing.B) {
	_, c := benchSetup(b)
	ctx := context.Background()
	if _, err := c.Send(ctx, domain.PayoutRequest{RefID: "B-P", Amount: 10_000, Channel: "BCA", AccountNumber: "0611101146", AccountHolder: "Sari"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Status(ctx, "B-P"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, 1)
}

// BenchmarkPaymentStatus: one GET /v2/invoices?external_id= per op.
func BenchmarkPaymentStatus(b *testing.B) {
	_, c := benchSetup(b)
	ctx := context.Background()
	if _, err := c.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-B", Amount: 10_000}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.PaymentStatus(ctx, "ORD-B"); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, 1)
}

package midtrans

import (
	"context"
	"testing"

	"lunas/domain"
)

// BenchmarkIrisStatusRoundTrip measures Iris Status (GET payout) round trips
// to the sandbox over loopback HTTP.
func BenchmarkIrisStatusRoundTrip(b *testing.B) {
	srv, url := irisEnvB(b)
	it := irisFor(srv, url, nil)
	ctx := context.Background()
	if _, err := it.Send(ctx, payout("REF-BENCH", "0611101146")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res, err := it.Status(ctx, "REF-BENCH"); err != nil || res.Outcome == domain.OutcomeUnknown {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkMidtransPaymentStatus measures Core API status round trips
// (including signature verification) to the sandbox over loopback HTTP.
func BenchmarkMidtransPaymentStatus(b *testing.B) {
	srv, url := irisEnvB(b)
	g := New(Config{CoreURL: url + "/midtrans", SnapURL: url, ServerKey: srv.Credentials().MidtransServerKey, Retry: fastRetry})
	ctx := context.Background()
	if _, err := g.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "ORD-BENCH", Amount: 10_000}); err != nil {
		b.Fatal(err)
	}
	if err := srv.PayMidtrans("ORD-BENCH", 0, ""); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res, err := g.PaymentStatus(ctx, "ORD-BENCH"); err != nil || !res.Verified {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkParseStatus measures parsing and verifying one status body.
func BenchmarkParseStatus(b *testing.B) {
	body := []byte(status("O1", "200", "10000.00", "settlement", "accept"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseStatus(body, "O1", vecServerKey); err != nil {
			b.Fatal(err)
		}
	}
}

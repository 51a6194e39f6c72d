package h2h

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways/sandbox"
)

// BenchmarkH2HStatusRoundTrip measures status checks by REFID (signed GET,
// free-text reply, regex parse) to the sandbox supplier over loopback HTTP.
func BenchmarkH2HStatusRoundTrip(b *testing.B) {
	srv := sandbox.New(sandbox.Config{Step: time.Minute})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ch, err := New(testConfig(hs.URL, srv.Credentials()), Options{Retry: fastRetry})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ch.Send(ctx, domain.PayoutRequest{RefID: "RB1", Amount: 10_000, Channel: "GOPAY", AccountNumber: "0812"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res, err := ch.Status(ctx, "RB1"); err != nil || res.Outcome != domain.OutcomeAccepted {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkParseReply measures parsing one OtomaX reply with the default patterns.
func BenchmarkParseReply(b *testing.B) {
	p := defaultParser(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(replySuccess, "359912451"); err != nil {
			b.Fatal(err)
		}
	}
}

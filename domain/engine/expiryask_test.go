package engine_test

import (
	"context"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// listerGateway lists paid payments (none here), like Xendit's invoice list.
type listerGateway struct{ *gateway }

func (g listerGateway) RecentPayments(ctx context.Context, since time.Time) ([]domain.PaymentResult, error) {
	return nil, nil
}

// With a gateway whose list reports only paid payments, a link that expires
// at the gateway is closed by the one-by-one ask made just after its expiry
// time, not at the next safety-net ask minutes later.
func TestExpiryAtListerGatewayClosedAtOnce(t *testing.T) {
	gw := &gateway{res: map[string]domain.PaymentResult{}}
	f := newFixture(t, func(cfg *engine.Config) {
		cfg.Payments = map[string]domain.PaymentGateway{"xendit": listerGateway{gw}}
	})
	f.gw = gw
	ext := f.order(200000) // expires in 24 h
	start := f.clk.Now()
	for f.clk.Now().Before(start.Add(24*time.Hour - 5*time.Minute)) {
		f.clk.Add(10 * time.Minute)
		if err := f.e.PollNow(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	gw.mu.Lock()
	gw.res[ext] = domain.PaymentResult{ExternalID: ext, State: domain.PaymentStateExpired, Verified: true, RawStatus: "EXPIRED"}
	gw.mu.Unlock()
	f.clk.Add(start.Add(24*time.Hour + 10*time.Second).Sub(f.clk.Now()))
	if err := f.e.PollNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	var st domain.PaymentStatus
	f.db.Read(context.Background(), func(tx domain.ReadTx) error {
		p, err := tx.GetPaymentByExternalID(ext)
		st = p.Status
		return err
	})
	if st != domain.PaymentExpired {
		t.Fatalf("10 s after the link expired at the gateway the payment is %s, want expired", st)
	}
}

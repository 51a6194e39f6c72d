package engine_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// pagerGateway lists paid payments one per part, like Xendit's invoice list
// cut short at its page cap; its plain list gives only the first part.
type pagerGateway struct {
	*gateway
	mu      sync.Mutex
	paid    []domain.PaymentResult
	failAt  int // the part (from 1) that fails; 0: none
	parts   []string
	failure error
}

func (g *pagerGateway) RecentPaidFrom(ctx context.Context, since time.Time, from string) ([]domain.PaymentResult, string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.parts = append(g.parts, from)
	i := 0
	if from != "" {
		i, _ = strconv.Atoi(from)
	}
	if len(g.parts) == g.failAt {
		return nil, "", g.failure
	}
	next := ""
	if i+1 < len(g.paid) {
		next = strconv.Itoa(i + 1)
	}
	return g.paid[i : i+1], next, nil
}

func (g *pagerGateway) RecentPayments(ctx context.Context, since time.Time) ([]domain.PaymentResult, error) {
	rs, _, err := g.RecentPaidFrom(ctx, since, "")
	return rs, err
}

// A list answer cut short goes on part by part in the same round, each part
// settled as it arrives (the next read meanwhile, or after); the list cursor
// moves only once the last part is read, and stays where it was when a part
// fails.
func TestListGoesOnPastThePageCap(t *testing.T) {
	tests := []struct {
		name        string
		failAt      int
		concurrency int // above 1: the next part is read while one is settled
		wantSettled int
		wantCursor  bool
	}{
		{"read to the end", 0, 4, 3, true},
		{"read to the end, one at a time", 0, 1, 3, true},
		{"second part fails", 2, 4, 1, false},
		{"second part fails, one at a time", 2, 1, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gw := &pagerGateway{gateway: &gateway{res: map[string]domain.PaymentResult{}}, failAt: tc.failAt, failure: errors.New("503")}
			f := newFixture(t, func(cfg *engine.Config) {
				cfg.Payments = map[string]domain.PaymentGateway{"xendit": gw}
				cfg.Concurrency = tc.concurrency
			})
			f.gw = gw.gateway
			var newest time.Time
			for i := range 3 {
				ext := f.order(150000)
				newest = f.clk.Now().Add(time.Duration(i) * time.Second)
				gw.paid = append(gw.paid, domain.PaymentResult{ExternalID: ext, State: domain.PaymentStatePaid, Amount: 150000,
					Verified: true, RawStatus: "PAID", PaidAt: newest})
			}
			f.clk.Add(5 * time.Second)
			if err := f.e.PollNow(context.Background()); err != nil {
				t.Fatal(err)
			}
			var settled int
			var cursor string
			f.db.Read(context.Background(), func(tx domain.ReadTx) error {
				for _, r := range gw.paid {
					if p, err := tx.GetPaymentByExternalID(r.ExternalID); err == nil && p.Status == domain.PaymentSettled {
						settled++
					}
				}
				cursor, _ = tx.GetSetting("engine.listed.xendit")
				return nil
			})
			if settled != tc.wantSettled {
				t.Errorf("%d of 3 paid payments settled after one round (parts asked from %q), want %d", settled, gw.parts, tc.wantSettled)
			}
			if got := cursor == newest.UTC().Format(time.RFC3339Nano); got != tc.wantCursor {
				t.Errorf("list cursor %q; moved to the newest payment: %v, want %v", cursor, got, tc.wantCursor)
			}
		})
	}
}

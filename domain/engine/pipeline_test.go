package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// gatedChannel holds the first call until the store shows want transfers in
// sending, and remembers how many it saw.
type gatedChannel struct {
	*channel
	db   domain.Store
	want int
	once sync.Once
	saw  int
}

func (g *gatedChannel) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	g.once.Do(func() {
		// A guard against hanging when the next batch is never claimed
		// (the failure this test is for), not a timing assumption.
		for give := time.Now().Add(20 * time.Second); g.saw < g.want && time.Now().Before(give); time.Sleep(time.Millisecond) {
			g.db.Read(ctx, func(tx domain.ReadTx) error {
				n, err := tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSending}})
				g.saw = n
				return err
			})
		}
	})
	return g.channel.Send(ctx, req)
}

// The sender claims the next batch while the calls of the one before are
// still out (two batches in flight), and every transfer is still sent once.
func TestSenderClaimsTheNextBatchWhileCallsAreOut(t *testing.T) {
	var g *gatedChannel
	f := newFixture(t, func(c *engine.Config) {
		c.Batch, c.Concurrency = 2, 2
		g = &gatedChannel{channel: c.Channels["xendit"].(*channel), want: 4}
		c.Channels["xendit"] = g
	})
	g.db = f.db
	for range 2 { // two transfers each: two full batches
		ext := f.order(150000)
		f.settle(ext, 150000)
	}
	approved := f.transfers(domain.TransferApproved)
	if len(approved) != 4 {
		t.Fatalf("%d approved transfers, want 4", len(approved))
	}
	for _, l := range f.e.Loops() {
		if l.Name == "sender" {
			if err := l.Round(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if g.saw != 4 {
		t.Errorf("while the first batch's call was out, %d transfers were in sending; want 4 (the next batch claimed)", g.saw)
	}
	for _, x := range approved {
		if got := f.transfer(x.RefID); got.Status != domain.TransferSucceeded || f.ch.paidCount(x.RefID) != 1 {
			t.Errorf("%s: %s, paid %d times", x.RefID, got.Status, f.ch.paidCount(x.RefID))
		}
	}
}

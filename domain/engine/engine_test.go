package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/engine"
)

func TestSettleSendTrackHappyPath(t *testing.T) {
	f := newFixture(t)
	ext := f.order(200000)
	f.settle(ext, 200000)
	tr := f.transfers()
	// 70% seller = 140000, supplier fixed 10000; fee and commission stay.
	if len(tr) != 2 {
		t.Fatalf("want 2 transfers, got %d", len(tr))
	}
	amounts := map[domain.Rupiah]bool{}
	for _, x := range tr {
		if x.Status != domain.TransferApproved || !strings.HasPrefix(x.RefID, "LNS-261122-") || len(x.RefID) != 21 {
			t.Fatalf("unexpected transfer %+v", x)
		}
		amounts[x.Amount] = true
	}
	if !amounts[140000] || !amounts[10000] {
		t.Fatalf("amounts %v", amounts)
	}
	f.send()
	for _, x := range f.transfers() {
		if x.Status != domain.TransferSucceeded || x.Attempts != 1 {
			t.Fatalf("after send: %+v", x)
		}
		if f.ch.paidCount(x.RefID) != 1 {
			t.Fatalf("%s paid %d times", x.RefID, f.ch.paidCount(x.RefID))
		}
	}
	bal := f.checkLedger()
	if bal[domain.PayableAccount(f.payees[0].ID)] != 0 || bal[domain.ClearingAccount("xendit")] != 200000 {
		t.Fatalf("balances %v", bal)
	}
	// Duplicated news: polling again settles nothing twice.
	f.gw.pay(ext, 200000)
	if err := f.e.PollNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.transfers()); n != 2 {
		t.Fatalf("duplicate settlement: %d transfers", n)
	}
	// Buyer and two payees have mail queued.
	var queued int
	f.db.Read(context.Background(), func(tx domain.ReadTx) error {
		q, _, err := tx.(interface{ MailStats() (int, int, error) }).MailStats()
		queued = q
		return err
	})
	if queued != 3 {
		t.Fatalf("want 3 queued mails, got %d", queued)
	}
}

func TestSettlementFlagsWhatDoesNotCheckOut(t *testing.T) {
	cases := []struct {
		name string
		res  func(ext string) domain.PaymentResult
	}{
		{"amount short", func(ext string) domain.PaymentResult {
			return domain.PaymentResult{ExternalID: ext, State: domain.PaymentStatePaid, Amount: 199999, Verified: true}
		}},
		{"amount over", func(ext string) domain.PaymentResult {
			return domain.PaymentResult{ExternalID: ext, State: domain.PaymentStatePaid, Amount: 200001, Verified: true}
		}},
		{"signature", func(ext string) domain.PaymentResult {
			return domain.PaymentResult{ExternalID: ext, State: domain.PaymentStatePaid, Amount: 200000}
		}},
		{"challenge", func(ext string) domain.PaymentResult {
			return domain.PaymentResult{ExternalID: ext, State: domain.PaymentStatePaid, Amount: 200000, Verified: true, Challenge: true}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ext := f.order(200000)
			f.gw.res[ext] = c.res(ext)
			if err := f.e.PollNow(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := len(f.transfers()); n != 0 {
				t.Fatalf("flagged payment created %d transfers", n)
			}
			f.db.Read(context.Background(), func(tx domain.ReadTx) error {
				p, err := tx.GetPaymentByExternalID(ext)
				if err != nil || p.Status != domain.PaymentFlagged || p.FlagReason == "" {
					t.Fatalf("payment %+v %v", p, err)
				}
				o, _ := tx.GetOrder(p.OrderID)
				if o.Status != domain.OrderFlagged {
					t.Fatalf("order %s", o.Status)
				}
				return nil
			})
			if bal := f.checkLedger(); len(bal) != 0 {
				t.Fatalf("flagged payment posted %v", bal)
			}
		})
	}
}

func TestAutoSendPolicy(t *testing.T) {
	cases := []struct {
		name   string
		limits engine.Limits
		unver  bool
		risk   engine.RiskChecker
		want   domain.TransferStatus
		reason string
	}{
		{"within limits", engine.Limits{PerTransfer: 500000, PayeeDaily: 1000000}, false, nil, domain.TransferApproved, ""},
		{"per transfer", engine.Limits{PerTransfer: 100000}, false, nil, domain.TransferAwaitingApproval, "per-transfer"},
		{"daily", engine.Limits{PayeeDaily: 100000}, false, nil, domain.TransferAwaitingApproval, "daily"},
		{"unverified", engine.Limits{}, true, nil, domain.TransferAwaitingApproval, "not verified"},
		{"risk hold", engine.Limits{}, false, riskFn(engine.Assessment{Hold: true, Reasons: []string{"first payout"}}), domain.TransferAwaitingApproval, "first payout"},
		{"risk block", engine.Limits{}, false, riskFn(engine.Assessment{Block: true, Reasons: []string{"watchlist"}}), domain.TransferAwaitingApproval, "watchlist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, func(cfg *engine.Config) { cfg.Limits = c.limits; cfg.Risk = c.risk })
			if c.unver {
				f.db.Write(context.Background(), func(tx domain.Tx) error {
					p, _ := tx.GetPayee(f.payees[0].ID)
					p.Verification = domain.VerifyNone
					return tx.UpdatePayee(&p)
				})
			}
			ext := f.order(200000)
			f.settle(ext, 200000)
			var seller domain.Transfer
			for _, x := range f.transfers() {
				if x.PayeeID == f.payees[0].ID {
					seller = x
				}
			}
			if seller.Status != c.want || !strings.Contains(seller.HoldReason, c.reason) {
				t.Fatalf("status %s hold %q", seller.Status, seller.HoldReason)
			}
		})
	}
}

type riskFn engine.Assessment

func (r riskFn) Assess(ctx context.Context, tx domain.Tx, t domain.Transfer) (engine.Assessment, error) {
	return engine.Assessment(r), nil
}

func TestEventsDoNotBlockOnSlowSubscriber(t *testing.T) {
	f := newFixture(t)
	_, stop := f.e.Bus().Subscribe(1) // never read
	defer stop()
	fast, stop2 := f.e.Bus().Subscribe(1000)
	defer stop2()
	for i := 0; i < 5; i++ {
		ext := f.order(200000)
		f.settle(ext, 200000)
	}
	f.send()
	if f.e.Bus().Dropped() == 0 {
		t.Fatal("slow subscriber should have missed events")
	}
	kinds := map[engine.EventKind]int{}
	for len(fast) > 0 {
		kinds[(<-fast).Kind]++
	}
	if kinds[engine.EventPaymentSettled] != 5 || kinds[engine.EventTransferCreated] != 10 {
		t.Fatalf("events %v", kinds)
	}
}

func TestRefIDsUnique(t *testing.T) {
	seen := map[string]bool{}
	f := newFixture(t)
	for i := 0; i < 10000; i++ {
		r := engine.NewRefID(f.clk.Now())
		if seen[r] {
			t.Fatalf("duplicate %s", r)
		}
		seen[r] = true
	}
}

var _ = errors.Is

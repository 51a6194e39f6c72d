package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/reconcile"
)

// bookChannel is a gateway that is both a payment gateway and a payout
// channel named "book", answering from fixed tables.
type bookChannel struct {
	payments map[string]domain.PaymentResult
	payouts  map[string]domain.PayoutResult
	balance  domain.Rupiah
}

func (bookChannel) Name() string { return "book" }
func (b bookChannel) PaymentStatus(_ context.Context, ext string) (domain.PaymentResult, error) {
	return b.payments[ext], nil
}
func (b bookChannel) Status(_ context.Context, ref string) (domain.PayoutResult, error) {
	return b.payouts[ref], nil
}
func (b bookChannel) Balance(context.Context) (domain.Rupiah, error) { return b.balance, nil }

// TestReconcileBalanceParts: a channel's expected balance is its recorded
// opening balance, plus settlements, plus the money of flagged payments and
// of payments the gateway already has as paid (a step ahead of Lunas),
// minus payouts and the transfers in transit (accepted at the gateway, or
// finished there while Lunas still has them in progress). With the gateway
// holding exactly that, nothing is a difference; a rupiah off is one, and
// its sentence gives both figures.
func TestReconcileBalanceParts(t *testing.T) {
	const want = 1_000_000 + 100_000 + 50_000 + 9_000 - 60_000 - 20_000 - 10_000
	for _, c := range []struct {
		balance domain.Rupiah
		kind    reconcile.Kind
	}{
		{want, reconcile.Matched},
		{want - 1, reconcile.AmountMismatch},
		{want + 20_000, reconcile.AmountMismatch}, // as if the payout in transit had not left
	} {
		t.Run(fmt.Sprint(c.balance), func(t *testing.T) {
			db := openStore(t)
			ctx := context.Background()
			at := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
			err := db.Write(ctx, func(tx domain.Tx) error {
				if out, err := domain.RecordOpening(tx, "book", 1_000_000, at); err != nil || out != domain.OpeningRecorded {
					return fmt.Errorf("opening: %v %v", out, err)
				}
				y := domain.Payee{Name: "Ani", Channel: "BCA", AccountNumber: "1234567890"}
				if err := tx.CreatePayee(&y); err != nil {
					return err
				}
				for i, p := range []domain.Payment{
					{ExternalID: "P-SETTLED", Amount: 100_000, PaidAmount: 100_000, Status: domain.PaymentSettled},
					{ExternalID: "P-AHEAD", Amount: 50_000, Status: domain.PaymentPending},
					{ExternalID: "P-FLAGGED", Amount: 10_000, PaidAmount: 9_000, Status: domain.PaymentFlagged},
				} {
					o := domain.Order{ExternalID: fmt.Sprint("O-", i), Status: domain.OrderOpen, CreatedAt: at,
						Items: []domain.OrderItem{{Name: "x", Qty: 1, UnitPrice: p.Amount}}}
					if err := tx.CreateOrder(&o); err != nil {
						return err
					}
					p.OrderID, p.Gateway, p.CreatedAt = o.ID, "book", at
					if err := tx.CreatePayment(&p); err != nil {
						return err
					}
				}
				settle := domain.SettlementPosting("book", "payment:P-SETTLED", 100_000, []domain.Portion{{Role: domain.RoleSeller, PayeeID: y.ID, Amount: 100_000}})
				if err := tx.Post(&settle); err != nil {
					return err
				}
				for _, x := range []domain.Transfer{
					{RefID: "T-PAID", Amount: 60_000, Status: domain.TransferSucceeded},
					{RefID: "T-TRANSIT", Amount: 20_000, Status: domain.TransferAccepted},
					{RefID: "T-AHEAD", Amount: 10_000, Status: domain.TransferAccepted},
				} {
					x.PayeeID, x.Channel, x.CreatedAt = y.ID, "book", at
					if err := tx.CreateTransfer(&x); err != nil {
						return err
					}
					if x.Status == domain.TransferSucceeded {
						p := domain.PayoutPosting(&x, false)
						if err := tx.Post(&p); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			gw := bookChannel{balance: c.balance,
				payments: map[string]domain.PaymentResult{
					"P-SETTLED": {State: domain.PaymentStatePaid, Amount: 100_000},
					"P-AHEAD":   {State: domain.PaymentStatePaid, Amount: 50_000},
					"P-FLAGGED": {State: domain.PaymentStatePaid, Amount: 9_000},
				},
				payouts: map[string]domain.PayoutResult{
					"T-PAID":    {Outcome: domain.OutcomeSucceeded, Amount: 60_000},
					"T-TRANSIT": {Outcome: domain.OutcomeAccepted, Amount: 20_000},
					"T-AHEAD":   {Outcome: domain.OutcomeSucceeded, Amount: 10_000},
				}}
			rep, err := reconcile.Run(ctx, db, reconcile.Gateways{Payments: []reconcile.PaymentChecker{gw}, Payouts: []reconcile.PayoutChecker{gw}},
				at.Add(-time.Hour), at.Add(time.Hour), reconcile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]reconcile.Kind{}
			var bal reconcile.Item
			for _, it := range rep.Items {
				kinds[it.Subject] = it.Kind
				if it.Area == reconcile.AreaBalance {
					bal = it
				}
			}
			wantKinds := map[string]reconcile.Kind{"P-SETTLED": reconcile.Matched, "P-AHEAD": reconcile.Behind, "P-FLAGGED": reconcile.Matched,
				"T-PAID": reconcile.Matched, "T-TRANSIT": reconcile.Matched, "T-AHEAD": reconcile.Behind, "book": c.kind}
			for s, k := range wantKinds {
				if kinds[s] != k {
					t.Errorf("%s: %s, want %s", s, kinds[s], k)
				}
			}
			d := bal.Balance
			if d == nil || bal.LocalAmount != want || !d.OpeningRecorded || d.Flagged != 9_000 || d.Unrecorded != 50_000 || d.InTransit != 30_000 || d.InTransitCount != 2 {
				t.Fatalf("balance item %+v %+v", bal, d)
			}
			if n := rep.Differences(); (c.kind == reconcile.Matched) != (n == 0) || n > 1 {
				t.Errorf("%d differences, want %d", n, map[bool]int{true: 0, false: 1}[c.kind == reconcile.Matched])
			}
			s := bal.Sentence(domain.LangEnglish)
			if c.kind != reconcile.Matched && (!strings.Contains(s, c.balance.Format(domain.LangEnglish)) || !strings.Contains(s, domain.Rupiah(want).Format(domain.LangEnglish)) ||
				!strings.Contains(s, "2 transfer(s) in progress")) {
				t.Errorf("balance sentence: %q", s)
			}
		})
	}
}

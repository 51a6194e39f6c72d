package reconcile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/reconcile"
	"lunas/domain/sqlite"
)

// statedPayouts answers every REFID as succeeded with a fixed amount, the
// shape of a gateway reply; 0 is what an adapter returns when the gateway
// stated no amount (H2H status replies, an empty Xendit amount field).
type statedPayouts struct{ amount domain.Rupiah }

func (statedPayouts) Name() string { return "stub" }
func (s statedPayouts) Status(_ context.Context, ref string) (domain.PayoutResult, error) {
	if strings.HasPrefix(ref, "HELD-") { // never sent: unknown at the gateway
		return domain.PayoutResult{RefID: ref, Outcome: domain.OutcomeNotFound}, nil
	}
	return domain.PayoutResult{RefID: ref, Outcome: domain.OutcomeSucceeded, Amount: s.amount}, nil
}

// statedPayments answers every payment as paid with a fixed amount.
type statedPayments struct{ amount domain.Rupiah }

func (statedPayments) Name() string { return "stub" }
func (s statedPayments) PaymentStatus(_ context.Context, ext string) (domain.PaymentResult, error) {
	return domain.PaymentResult{ExternalID: ext, State: domain.PaymentStatePaid, Amount: s.amount}, nil
}

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lunas.db"), sqlite.Options{Cipher: newGCM(t), SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seed stores one settled payment and one succeeded transfer of 150000 for
// each named gateway, plus a transfer still awaiting approval.
func seed(t *testing.T, db *sqlite.DB, gateways ...string) {
	t.Helper()
	err := db.Write(context.Background(), func(tx domain.Tx) error {
		y := domain.Payee{Name: "Ani", Channel: "BCA", AccountNumber: "1234567890"}
		if err := tx.CreatePayee(&y); err != nil {
			return err
		}
		for i, g := range gateways {
			o := domain.Order{ExternalID: fmt.Sprintf("ORD-%d", i), Status: domain.OrderOpen,
				Items: []domain.OrderItem{{Name: "x", Qty: 1, UnitPrice: 150000}}}
			if err := tx.CreateOrder(&o); err != nil {
				return err
			}
			p := domain.Payment{OrderID: o.ID, Gateway: g, ExternalID: "PAY-" + g, Amount: 150000, PaidAmount: 150000, Status: domain.PaymentSettled}
			if err := tx.CreatePayment(&p); err != nil {
				return err
			}
			for _, x := range []domain.Transfer{
				{RefID: "R-" + g, Amount: 150000, Status: domain.TransferSucceeded},
				{RefID: "HELD-" + g, Amount: 150000, Status: domain.TransferAwaitingApproval},
			} {
				x.PayeeID, x.Channel = y.ID, g
				if err := tx.CreateTransfer(&x); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReconcileUnstatedAmountIsNeverMatched: when the gateway agrees on the
// status but states no amount, the record is "amount not checked", never
// "matched"; a stated amount is compared as before.
func TestReconcileUnstatedAmountIsNeverMatched(t *testing.T) {
	for _, c := range []struct {
		name   string
		remote domain.Rupiah
		want   reconcile.Kind
	}{
		{"no amount stated", 0, reconcile.AmountNotChecked},
		{"same amount", 150000, reconcile.Matched},
		{"other amount", 149000, reconcile.AmountMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openStore(t)
			seed(t, db, "stub")
			rep, err := reconcile.Run(context.Background(), db, reconcile.Gateways{
				Payments: []reconcile.PaymentChecker{statedPayments{c.remote}},
				Payouts:  []reconcile.PayoutChecker{statedPayouts{c.remote}},
			}, time.Time{}, time.Time{}, reconcile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Items) != 2 {
				t.Fatalf("items = %+v, want the payment and the sent transfer", rep.Items)
			}
			for _, it := range rep.Items {
				if it.Kind != c.want {
					t.Errorf("%s %s: kind %s, want %s", it.Area, it.Subject, it.Kind, c.want)
				}
			}
			if rep.Counts[c.want] != 2 {
				t.Errorf("counts = %v, want 2 x %s", rep.Counts, c.want)
			}
		})
	}
}

// TestReconcileUnconfiguredGatewayIsCounted: records of a gateway or channel
// that was not given to Run are listed as not configured with a count, not
// dropped; a transfer never sent has nothing to check and is not listed.
func TestReconcileUnconfiguredGatewayIsCounted(t *testing.T) {
	db := openStore(t)
	seed(t, db, "stub", "midtrans")
	rep, err := reconcile.Run(context.Background(), db, reconcile.Gateways{
		Payments: []reconcile.PaymentChecker{statedPayments{150000}},
		Payouts:  []reconcile.PayoutChecker{statedPayouts{150000}},
	}, time.Time{}, time.Time{}, reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]reconcile.Kind{}
	for _, it := range rep.Items {
		got[string(it.Area)+":"+it.Subject] = it.Kind
	}
	want := map[string]reconcile.Kind{
		"payment:PAY-stub": reconcile.Matched, "transfer:R-stub": reconcile.Matched,
		"payment:PAY-midtrans": reconcile.NotConfigured, "transfer:R-midtrans": reconcile.NotConfigured,
	}
	if len(got) != len(want) {
		t.Errorf("items = %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if rep.Counts[reconcile.NotConfigured] != 2 {
		t.Errorf("not configured = %d, want 2", rep.Counts[reconcile.NotConfigured])
	}
	if s := rep.Summary(); s == "" {
		t.Error("empty summary")
	}
}

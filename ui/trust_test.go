package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lunas/domain"
	"lunas/domain/engine"
)

// pastPayouts stores n succeeded payouts to the payee's current account,
// each with its fixed destination, as the engine leaves them.
func pastPayouts(t *testing.T, st domain.Store, p domain.Payee, n int) {
	t.Helper()
	err := st.Write(context.Background(), func(tx domain.Tx) error {
		var order, payment int64 // the seeded shop's paid order
		if x, err := tx.GetTransfer("RF-20261122-0001"); err == nil {
			if ob, err := tx.GetObligation(x.ObligationID); err == nil {
				order, payment = ob.OrderID, ob.PaymentID
			}
		}
		for i := 0; i < n; i++ {
			ob := domain.Obligation{OrderID: order, PaymentID: payment, PayeeID: p.ID, Role: domain.RoleSeller, Amount: 90_000, Status: domain.ObligationPaid, CreatedAt: fixedNow}
			if err := tx.CreateObligation(&ob); err != nil {
				return err
			}
			x := domain.Transfer{RefID: fmt.Sprintf("RF-PAST-%d", i), ObligationID: ob.ID, PayeeID: p.ID, Channel: "xendit", Amount: 90_000,
				Status: domain.TransferSucceeded, CreatedAt: fixedNow.Add(-time.Duration(i+1) * time.Hour), CreatedBy: "engine"}
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
			if err := tx.(engine.DestinationTx).SaveDestination(x.ID, engine.Destination{Bank: p.Channel, AccountNumber: p.AccountNumber, AccountHolder: p.AccountHolder}, fixedNow); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sale is a buyer paying an order whose whole amount is owed to p: the
// order in the store, the invoice at the sandbox (over HTTP), the buyer's
// payment there; the running engine polls, settles and creates the
// transfer, whose REFID sale returns once it exists.
func sale(t *testing.T, env *testEnv, p domain.Payee, ext string, amount domain.Rupiah) string {
	t.Helper()
	ctx := context.Background()
	link, err := env.x.CreatePayment(ctx, domain.PaymentRequest{ExternalID: ext, Amount: amount, Description: "batik", BuyerName: "Rina", BuyerEmail: "rina@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var payment int64
	err = env.store.Write(ctx, func(tx domain.Tx) error {
		rule := domain.PayoutRule{Name: "maker " + ext, Shares: []domain.Share{{Role: domain.RoleSeller, PayeeID: p.ID, BPS: 10000}}}
		if err := tx.CreatePayoutRule(&rule); err != nil {
			return err
		}
		o := domain.Order{ExternalID: ext, Source: "test", BuyerName: "Rina", BuyerEmail: "rina@example.com",
			Items: []domain.OrderItem{{Name: "Batik tulis", Qty: 1, UnitPrice: amount}}, PayoutRuleID: rule.ID, Status: domain.OrderOpen, CreatedAt: time.Now()}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		pay := domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: ext, GatewayRef: link.GatewayRef, Amount: amount, URL: link.URL,
			Status: domain.PaymentPending, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(24 * time.Hour)}
		err := tx.CreatePayment(&pay)
		payment = pay.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.sb.PayXenditInvoice(ext, 0); err != nil {
		t.Fatal(err)
	}
	var ref string
	waitFor(t, 30*time.Second, "the engine to settle "+ext, func() bool {
		_ = env.store.Read(ctx, func(tx domain.ReadTx) error {
			obs, err := tx.ListObligationsByPayment(payment)
			for _, ob := range obs {
				ts, _ := tx.ListTransfersByObligation(ob.ID)
				for _, x := range ts {
					ref = x.RefID
				}
			}
			return err
		})
		return ref != ""
	})
	return ref
}

// TestTrustRuleAutoSendsWithinLimitAndStopsAfterAccountChange: the shop
// holds every transfer above Rp100.000 for approval. The owner sets, in the
// Payees screen, a trust rule for a maker whose account received 3
// successful payouts: "up to Rp150.000 after 3". Through the real engine,
// store and sandbox: a sale paying the maker Rp120.000 is sent without
// approval and paid; one paying Rp200.000 waits; after the maker's account
// number changes the rule is off (shown, audited) and Rp120.000 waits again.
func TestTrustRuleAutoSendsWithinLimitAndStopsAfterAccountChange(t *testing.T) {
	env := newTestEnvWith(t, true, func(c *engine.Config) { c.Limits.PerTransfer = 100_000 })
	svc := env.services()
	svc.Trust = env.eng
	u := newTestUI(t, svc, domain.RoleOwner)
	maker := env.seed.payees[0]
	pastPayouts(t, env.store, maker, 3)

	u.Navigate(ScreenPayees)
	waitIdle(u)
	ps := u.screens[ScreenPayees].(*payeesScreen)
	if !markupHas(u, tr("trust.cell.none")) {
		t.Fatal("payees table does not say the maker has no trust rule")
	}
	ps.trustDialog(maker)
	amount := focusedKeyEntry(t, u)
	test.Type(amount, "Rp150.000")
	test.Tap(ps.trustOpen.confirm)
	waitIdle(u)
	if !ps.trustOpen.closed {
		t.Fatalf("trust dialog still open: %s", markup(u))
	}
	on := trf("trust.cell.on", map[string]any{"Amount": money(150_000), "N": 3})
	if !markupHas(u, on) {
		t.Fatalf("payees table does not show %q", on)
	}
	if !auditHasAction(t, env.store, "trust.set") {
		t.Fatal("setting the rule was not audited")
	}

	// Within the rule: sent without approval and paid at the sandbox.
	refA := sale(t, env, maker, "TRUST-A", 120_000)
	waitFor(t, 30*time.Second, refA+" paid", func() bool { return statusOf(t, env.store, refA) == domain.TransferSucceeded })
	if n := env.sb.PaidCount("xendit", refA); n != 1 {
		t.Fatalf("sandbox paid %s %d times", refA, n)
	}
	if !auditDetailHas(t, env.store, "transfer:"+refA, "trust rule") {
		t.Fatalf("%s: the audit log does not say a trust rule sent it", refA)
	}
	// Above the rule's limit: waits for the owner.
	refB := sale(t, env, maker, "TRUST-B", 200_000)
	if st := statusOf(t, env.store, refB); st != domain.TransferAwaitingApproval {
		t.Fatalf("%s (Rp200.000, above the rule) is %s, want awaiting approval", refB, st)
	}

	// The maker's account number changes: the rule is off, shown and audited.
	changed := maker
	changed.AccountNumber = "0611101999"
	if err := env.store.Write(context.Background(), func(tx domain.Tx) error { return tx.UpdatePayee(&changed) }); err != nil {
		t.Fatal(err)
	}
	u.reloadCurrent()
	waitIdle(u)
	off := trf("trust.cell.off", map[string]any{"Why": tr("trust.short.account_changed")})
	if !markupHas(u, off) {
		t.Fatalf("payees table does not show %q", off)
	}
	if !auditHasAction(t, env.store, "trust.off") {
		t.Fatal("switching the rule off was not audited")
	}
	refC := sale(t, env, changed, "TRUST-C", 120_000)
	if st := statusOf(t, env.store, refC); st != domain.TransferAwaitingApproval {
		t.Fatalf("%s after the account change is %s, want awaiting approval", refC, st)
	}
}

func auditHasAction(t *testing.T, st domain.Store, action string) bool {
	t.Helper()
	return auditDetailHas(t, st, "", action)
}

// auditDetailHas: an audit entry about subject ("" any) whose action or
// detail contains text.
func auditDetailHas(t *testing.T, st domain.Store, subject, text string) bool {
	t.Helper()
	found := false
	if err := st.Read(context.Background(), func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(0, 0)
		for _, e := range es {
			if (subject == "" || e.Subject == subject) && (e.Action == text || strings.Contains(e.Detail, text)) {
				found = true
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return found
}

// TestDashboardSaysWhyTransfersWait: the dashboard names what waits for
// approval (count and sum) and why, reasons grouped with their own count
// and sum, the flag number left out so that one rule is one line.
func TestDashboardSaysWhyTransfersWait(t *testing.T) {
	env := newTestEnv(t, false)
	n := 0
	addAwaitingWhy(t, env.store, env.seed.payees, "RF-FLAG", 2, func(i int) domain.Rupiah { return 70_000 }, func() string {
		n++ // two flags of one rule, as security.Checker words them
		return fmt.Sprintf("Too many transfers to one payee (flag #%d) / Terlalu banyak transfer ke satu penerima", 40+n)
	})
	u := newTestUI(t, env.services(), domain.RoleOwner)
	u.Navigate(ScreenDashboard)
	u.reloadCurrent()
	waitIdle(u)
	for _, want := range []string{
		trf("dash.wait.head", map[string]any{"N": "5", "Total": money(4_190_000)}),
		trf("dash.wait.line", map[string]any{"N": "3", "Total": money(4_050_000), "Reason": "above the automatic limit Rp1,000,000"}),
		trf("dash.wait.line", map[string]any{"N": "2", "Total": money(140_000), "Reason": "Too many transfers to one payee"}),
	} {
		if !markupHas(u, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

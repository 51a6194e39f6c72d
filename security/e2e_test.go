package security

import (
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// TestEngineHoldsFlaggedTransferUntilOwnerApprovesWithCode runs the real
// engine against the sandbox over loopback HTTP with this package's risk
// checker and code verifier: a first payout to a new payee is held with a
// flag; staff cannot approve; a wrong code and a replayed code do not
// approve; a fresh code does, and the sandbox pays it exactly once.
func TestEngineHoldsFlaggedTransferUntilOwnerApprovesWithCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := f.ctx
	owner, enr := f.owner()
	staff, _ := f.user(owner, "ani", domain.RoleStaff)

	sb := sandbox.New(sandbox.Config{Step: 5 * time.Millisecond})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey, Timeout: 5 * time.Second})
	eng, err := engine.New(engine.Config{
		Store: f.db, Payments: map[string]domain.PaymentGateway{"xendit": x},
		Channels: map[string]domain.PayoutChannel{"xendit": x}, DefaultChannel: "xendit",
		Risk: f.svc.Checker(), Codes: f.svc,
	})
	if err != nil {
		t.Fatal(err)
	}

	p := f.payee("Siti Aminah", "1234567890", "SITI AMINAH")
	var orderID int64
	err = f.db.Write(ctx, func(tx domain.Tx) error {
		r := domain.PayoutRule{Name: "titip jual", Shares: []domain.Share{{Role: domain.RoleSeller, PayeeID: p.ID, BPS: 9000}}}
		if err := tx.CreatePayoutRule(&r); err != nil {
			return err
		}
		o := domain.Order{ExternalID: "ORD-1", Items: []domain.OrderItem{{Name: "Batik tulis", Qty: 1, UnitPrice: 250_000}}, PayoutRuleID: r.ID}
		err := tx.CreateOrder(&o)
		orderID = o.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	link, err := x.CreatePayment(ctx, domain.PaymentRequest{ExternalID: "PAY-1", Amount: 250_000, Description: "ORD-1"})
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.Write(ctx, func(tx domain.Tx) error {
		return tx.CreatePayment(&domain.Payment{OrderID: orderID, Gateway: "xendit", ExternalID: "PAY-1", GatewayRef: link.GatewayRef,
			Amount: 250_000, Status: domain.PaymentPending, URL: link.URL})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.PayXenditInvoice("PAY-1", 0); err != nil {
		t.Fatal(err)
	}
	var held []domain.Transfer
	for i := 0; i < 50 && len(held) == 0; i++ {
		if err := eng.PollNow(ctx); err != nil {
			t.Fatal(err)
		}
		f.db.Read(ctx, func(tx domain.ReadTx) (err error) {
			held, err = tx.ListTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferAwaitingApproval}})
			return err
		})
		time.Sleep(10 * time.Millisecond)
	}
	if len(held) != 1 || held[0].Amount != 225_000 || !strings.Contains(held[0].HoldReason, "First payout") {
		t.Fatalf("held transfers: %+v", held)
	}
	ref := held[0].RefID
	flags, _ := f.svc.ListFlags(ctx, owner, domain.FlagOpen, ref, domain.Page{})
	if rules(flags) != "first_payout" {
		t.Fatalf("flags %s", rules(flags))
	}

	if err := eng.Approve(ctx, staff, f.code(enr.Secret), ref); !errors.Is(err, domain.ErrPermission) {
		t.Fatalf("staff approval: %v", err)
	}
	bad := "000000"
	if f.code(enr.Secret) == bad {
		bad = "111111"
	}
	if err := eng.Approve(ctx, owner, bad, ref); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong code: %v", err)
	}
	// Seven concurrent submissions of one Approve (a double-click, retries):
	// one approval, no failure, and the owner is not locked out.
	code := f.code(enr.Secret)
	var wg sync.WaitGroup
	errs := make([]error, 7)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = eng.Approve(ctx, owner, code, ref) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent approval %d: %v", i, err)
		}
	}
	if u := f.userRow(owner.UserID); u.Failures != 0 || !u.LockedUntil.IsZero() {
		t.Fatalf("after seven submissions of one approval: failures %d, locked until %v", u.Failures, u.LockedUntil)
	}
	var final domain.Transfer
	for i := 0; i < 100; i++ {
		if _, err := eng.SendNow(ctx); err != nil {
			t.Fatal(err)
		}
		if err := eng.TrackNow(ctx, true); err != nil {
			t.Fatal(err)
		}
		f.db.Read(ctx, func(tx domain.ReadTx) (err error) { final, err = tx.GetTransfer(ref); return err })
		if final.Status == domain.TransferSucceeded {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if final.Status != domain.TransferSucceeded || final.ApprovedBy != "sari" {
		t.Fatalf("transfer %+v", final)
	}
	n := 0
	for _, po := range sb.Paid() {
		if po.RefID == ref {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("sandbox paid %s %d times", ref, n)
	}
	if _, err := f.svc.VerifyAudit(ctx, owner); err != nil {
		t.Fatalf("audit chain after the run: %v", err)
	}
}

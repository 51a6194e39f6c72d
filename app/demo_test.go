package app

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"lunas/domain"
	"lunas/security"
)

// TestSecureDemoRuntime: the demo runtime with the real security settles
// and pays, encrypts through a vault, and its engine asks the security
// service for approval codes (a wrong code is refused as at a real shop).
func TestSecureDemoRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo shop for a few seconds")
	}
	ctx := context.Background()
	rt, shop, err := startDemo(ctx, demoOptions{Secure: true, SandboxStep: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Stop()
	if rt.Security == nil || rt.Owner.UserID == 0 || rt.OwnerTOTPSecret == "" {
		t.Fatalf("secure demo without its owner: %+v", rt.Owner)
	}
	if n, err := rt.Security.ActiveUsers(ctx); err != nil || n != 1 {
		t.Fatalf("active users = %d, %v", n, err)
	}
	bctx, cancel := context.WithCancel(ctx)
	buyers := make(chan struct{})
	go func() { runBuyers(bctx, rt, shop, 200*time.Millisecond, 6, func(string) {}); close(buyers) }()
	defer func() { cancel(); <-buyers }()
	var ok, waiting int
	var counts string
	state := func() string {
		rt.Store.Read(ctx, func(tx domain.ReadTx) error {
			ok, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSucceeded}})
			waiting, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferAwaitingApproval}})
			all, _ := tx.CountTransfers(domain.TransferFilter{})
			pays, _ := tx.ListPayments(domain.PaymentFilter{})
			counts = fmt.Sprint(all, len(pays))
			return nil
		})
		return counts
	}
	// A loaded machine makes the demo slower: the wait ends when the shop
	// stops moving (payments, transfers), not at a fixed time.
	if !waitProgress(t, func() bool { state(); return ok > 0 }, state) {
		t.Fatalf("no transfer succeeded in the secure demo (%d waiting for approval)", waiting)
	}
	var ref string
	rt.Store.Read(ctx, func(tx domain.ReadTx) error {
		ts, _ := tx.ListTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSucceeded}, Page: domain.Page{Limit: 1}})
		if len(ts) > 0 {
			ref = ts[0].RefID
		}
		return nil
	})
	if err := rt.Engine.Approve(ctx, rt.Owner, "000000", ref); !errors.Is(err, security.ErrBadCredentials) {
		t.Fatalf("approval with a wrong code: %v, want ErrBadCredentials from the security service", err)
	}
}

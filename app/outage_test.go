package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/postgres/pgtest"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// TestEngineRidesOutPostgresOutage: the shop's PostgreSQL server stops while
// payments are being paid; the engine pauses (one store.down event), the
// server starts again, the engine resumes (store.up) and pays everything:
// nothing twice, the ledger balanced.
func TestEngineRidesOutPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("outage test in -short mode")
	}
	if _, err := pgtest.FindBin(); err != nil {
		pgtest.Skip(t)
	}
	c, err := pgtest.StartCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Remove()
	defer c.Stop()
	ctx := context.Background()
	s := newTestShopAt(t, nil, c.URL("postgres"))
	shop, err := seedDemo(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	s.setting(settingLimitPerTransfer, "0")
	s.setting(settingLimitPayeeDaily, "0")
	sb := sandbox.New(sandbox.Config{Step: 100 * time.Millisecond, Seed: 9})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	defer sb.Close()
	o := crashEngineOptions(srv.URL, "")
	o.Intervals.Write = 5 * time.Second // a send whose answer the outage kept from the store is checked after 7 s
	eng, err := buildEngine(ctx, s.DB, o)
	if err != nil {
		t.Fatal(err)
	}
	events, unsubscribe := eng.Bus().Subscribe(1024)
	defer unsubscribe()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
	rng := rand.New(rand.NewPCG(3, 4))
	orders := 0
	order := func() string {
		orders++
		ext, _, err := demoBuyer(ctx, s.DB, x, shop, rng, orders)
		if err != nil {
			t.Fatal(err)
		}
		return ext
	}
	for range 3 {
		if err := sb.PayXenditInvoice(order(), 0); err != nil {
			t.Fatal(err)
		}
	}
	waitAllPaid(t, s.DB, 3)

	// Three more buyers pay while the server is down.
	late := []string{order(), order(), order()}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, ext := range late {
		if err := sb.PayXenditInvoice(ext, 0); err != nil {
			t.Fatal(err)
		}
	}
	waitEvent(t, events, engine.EventStoreDown)
	if !eng.StoreDown() {
		t.Error("engine does not say it is paused")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, engine.EventStoreUp)
	waitAllPaid(t, s.DB, 6)
	eng.Stop()
	checkMoney(t, s.DB, sb, orders)
}

// waitEvent waits for an event of kind (the engine's loops run on real time).
func waitEvent(t *testing.T, events <-chan engine.Event, kind engine.EventKind) {
	t.Helper()
	deadline := time.After(stallLimit)
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind {
				return
			}
		case <-deadline:
			t.Fatalf("no %s event", kind)
		}
	}
}

// waitAllPaid waits until n payments settled and no transfer is open.
func waitAllPaid(t *testing.T, db domain.Store, n int) {
	t.Helper()
	settled, open := 0, 0
	state := func() string {
		db.Read(context.Background(), func(tx domain.ReadTx) error {
			p, _ := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentSettled}})
			settled = len(p)
			open, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferApproved,
				domain.TransferSending, domain.TransferAccepted, domain.TransferUnknown, domain.TransferAwaitingApproval}})
			return nil
		})
		return fmt.Sprint(settled, open)
	}
	if !waitProgress(t, func() bool { state(); return settled == n && open == 0 }, state) {
		t.Fatalf("no progress: %d of %d payments settled, %d transfers still open", settled, n, open)
	}
}

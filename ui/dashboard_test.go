package ui

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"lunas/domain"
)

// rowSums hides the store's SQL aggregates (DashboardQuerier), so the
// dashboard adds up the rows itself, as it does on a store without them.
type rowSums struct{ domain.Store }

func (s rowSums) Read(ctx context.Context, fn func(domain.ReadTx) error) error {
	return s.Store.Read(ctx, func(tx domain.ReadTx) error { return fn(struct{ domain.ReadTx }{tx}) })
}

// storeDay puts settled payments and succeeded transfers (amounts as given)
// on the day of fixedNow into a real SQLite store.
func storeDay(t *testing.T, st domain.Store, settled, paid []domain.Rupiah) {
	t.Helper()
	err := st.Write(context.Background(), func(tx domain.Tx) error {
		p := domain.Payee{Name: "Bu Ani", Channel: "BCA", AccountNumber: "0611101146", AccountHolder: "Bu Ani", Verification: domain.VerifyOK}
		if err := tx.CreatePayee(&p); err != nil {
			return err
		}
		o := domain.Order{ExternalID: "BTK-1", Source: "demo", BuyerName: "Rina", Items: []domain.OrderItem{{Name: "Kain", Qty: 1, UnitPrice: 1000}},
			Status: domain.OrderPaid, CreatedAt: fixedNow.Add(-time.Hour)}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		for i, a := range settled {
			pay := domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: fmt.Sprintf("PAY-%d", i), Amount: a, PaidAmount: a,
				Status: domain.PaymentSettled, CreatedAt: fixedNow.Add(-time.Hour), SettledAt: fixedNow.Add(-time.Minute)}
			if err := tx.CreatePayment(&pay); err != nil {
				return err
			}
		}
		// The obligations' payment, still pending: not on the chart.
		pend := domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: "PAY-OB", Amount: 1000, Status: domain.PaymentPending,
			CreatedAt: fixedNow.Add(-time.Hour)}
		if err := tx.CreatePayment(&pend); err != nil {
			return err
		}
		for i, a := range paid {
			ob := domain.Obligation{PaymentID: pend.ID, OrderID: o.ID, PayeeID: p.ID, Role: domain.RoleSeller, Amount: a, CreatedAt: fixedNow.Add(-time.Hour)}
			if err := tx.CreateObligation(&ob); err != nil {
				return err
			}
			tr := domain.Transfer{RefID: fmt.Sprintf("RF-20261122-%04d", i+1), ObligationID: ob.ID, PayeeID: p.ID, Channel: "xendit",
				Amount: a, Status: domain.TransferSucceeded, CreatedAt: fixedNow.Add(-time.Hour), CreatedBy: "engine"}
			if err := tx.CreateTransfer(&tr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDashboardSumsNeverWrap: absurd amounts whose daily sum overflows
// int64 show the largest amount Lunas can count and an alert, never a
// wrapped-around (negative or small) total; ordinary sums stay exact. The
// stores' SQL aggregates refuse such a sum with an error instead.
func TestDashboardSumsNeverWrap(t *testing.T) {
	const half = domain.Rupiah(math.MaxInt64/2 + 1) // two of these overflow
	cases := []struct {
		name            string
		settled, paid   []domain.Rupiah
		wantS, wantP    domain.Rupiah
		wantCapped      bool
		sqlRefusesOrCap bool
	}{
		{"exact", []domain.Rupiah{515_000, 1_250_000}, []domain.Rupiah{425_000, 95_000}, 1_765_000, 520_000, false, false},
		{"settled overflows", []domain.Rupiah{half, half, 7}, []domain.Rupiah{425_000}, math.MaxInt64, 425_000, true, true},
		{"paid out overflows", []domain.Rupiah{515_000}, []domain.Rupiah{math.MaxInt64 - 1, 5}, 515_000, math.MaxInt64, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openStore(t, func() time.Time { return fixedNow })
			storeDay(t, db, c.settled, c.paid)
			d, err := loadDashboard(context.Background(), rowSums{db}, fixedNow, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			today := d.Days[13]
			if today.Settled != c.wantS || today.PaidOut != c.wantP || d.Capped != c.wantCapped || d.SettledToday != c.wantS {
				t.Fatalf("settled %d, paid out %d, capped %v; want %d, %d, %v", today.Settled, today.PaidOut, d.Capped, c.wantS, c.wantP, c.wantCapped)
			}

			// The SQL aggregates (what the desktop uses on SQLite) either
			// refuse the sum or give the same figures: never a wrapped one.
			q, err := loadDashboard(context.Background(), db, fixedNow, time.UTC)
			switch {
			case err != nil && !c.sqlRefusesOrCap:
				t.Fatalf("SQL sums: %v", err)
			case err == nil && (q.Days[13].Settled != c.wantS || q.Days[13].PaidOut != c.wantP):
				t.Fatalf("SQL sums: settled %d, paid out %d; want %d, %d", q.Days[13].Settled, q.Days[13].PaidOut, c.wantS, c.wantP)
			}
		})
	}
}

// TestDashboardShowsCappedTotals: the capped day is said in words on the
// dashboard, in both languages, and the chart's scale is the cap.
func TestDashboardShowsCappedTotals(t *testing.T) {
	db := openStore(t, func() time.Time { return fixedNow })
	const half = domain.Rupiah(math.MaxInt64/2 + 1)
	storeDay(t, db, []domain.Rupiah{half, half}, nil)
	svc := Services{Store: rowSums{db}, Now: func() time.Time { return fixedNow }, Location: time.UTC}
	u := newTestUI(t, svc, domain.RoleOwner)
	for _, lang := range []string{LangEnglish, LangIndonesian} {
		SetLanguage(lang)
		d := u.screens[ScreenDashboard].(*dashboard)
		d.shown = false
		d.reload()
		waitIdle(u)
		if !d.data.Capped || !hasText(d.alerts, tr("alert.capped")) {
			t.Errorf("%s: capped %v, alert %q not shown", lang, d.data.Capped, tr("alert.capped"))
		}
		if got, want := d.data.Days[13].Settled, domain.Rupiah(math.MaxInt64); got != want {
			t.Errorf("%s: chart's today %d, want the cap %d", lang, got, want)
		}
	}
	SetLanguage(LangEnglish)
}

package sqlite

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"lunas/domain"
)

// TestListTransfersPageMatchesOffsetPaging: walking pages by key gives the
// same rows, in the same order, as OFFSET paging, for a bulk filter (read
// in id order) and a selective one (through the status index), with a search.
func TestListTransfersPageMatchesOffsetPaging(t *testing.T) {
	db := openTest(t, "", Options{Cipher: newGCM(t)})
	s := makeSeed(t, db)
	write(t, db, func(tx domain.Tx) error {
		for i := 0; i < 57; i++ {
			st := domain.TransferSucceeded
			if i%5 == 0 {
				st = domain.TransferAwaitingApproval
			}
			if err := tx.CreateTransfer(&domain.Transfer{RefID: fmt.Sprintf("PG-%03d", i), PayeeID: s.payee.ID, Channel: "xendit",
				Amount: domain.Rupiah(1000 + i), Status: st}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, f := range []domain.TransferFilter{
		{Statuses: []domain.TransferStatus{domain.TransferSucceeded, domain.TransferFailed}},
		{Statuses: []domain.TransferStatus{domain.TransferAwaitingApproval}},
		{},
		{Search: "PG-01"},
	} {
		var want, got []string
		_ = db.Read(ctx, func(rtx domain.ReadTx) error {
			all, err := rtx.ListTransfers(f)
			if err != nil {
				t.Fatal(err)
			}
			want = refids(all)
			tx := rtx.(*Tx)
			var last int64
			for {
				page, err := tx.ListTransfersPage(f, last, 0, 7)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, refids(page)...)
				if len(page) < 7 {
					break
				}
				last = page[len(page)-1].ID
			}
			off, err := tx.ListTransfersPage(f, 0, 7, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) > 7 && !slices.Equal(refids(off), want[7:min(14, len(want))]) {
				t.Errorf("%+v: OFFSET page = %v", f, refids(off))
			}
			return nil
		})
		if !slices.Equal(got, want) {
			t.Errorf("%+v: keyset pages %v, want %v", f, got, want)
		}
	}
}

// TestDashboardDaySums buckets by the shop's day (WIB): 23:30 WIB belongs to
// that day, 00:30 WIB to the next, whatever the UTC date.
func TestDashboardDaySums(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	clock := &fixedClock{t: time.Date(2026, 11, 20, 16, 30, 0, 0, time.UTC)} // 23:30 WIB on the 20th
	db := openTest(t, "", Options{Cipher: newGCM(t), Now: clock.Now})
	s := makeSeed(t, db)
	write(t, db, func(tx domain.Tx) error {
		if err := tx.SetPaymentStatus(s.payment.ID, domain.PaymentPending, domain.PaymentSettled, 320000, "", clock.Now()); err != nil {
			return err
		}
		p2 := domain.Payment{OrderID: s.order.ID, Gateway: "xendit", ExternalID: "PAY-2", Amount: 5000}
		if err := tx.CreatePayment(&p2); err != nil {
			return err
		}
		return tx.SetPaymentStatus(p2.ID, domain.PaymentPending, domain.PaymentSettled, 5000, "", clock.Now().Add(time.Hour)) // 00:30 WIB on the 21st
	})
	clock.Add(time.Hour)
	write(t, db, func(tx domain.Tx) error {
		for _, to := range []domain.TransferStatus{domain.TransferApproved, domain.TransferSending, domain.TransferSucceeded} {
			from := map[domain.TransferStatus]domain.TransferStatus{domain.TransferApproved: domain.TransferAwaitingApproval,
				domain.TransferSending: domain.TransferApproved, domain.TransferSucceeded: domain.TransferSending}[to]
			if err := tx.MoveTransfer(s.transfer.RefID, from, to, domain.TransferPatch{}); err != nil {
				return err
			}
		}
		return nil
	})
	from := time.Date(2026, 11, 8, 0, 0, 0, 0, wib)
	to := time.Date(2026, 11, 22, 0, 0, 0, 0, wib)
	_ = db.Read(ctx, func(rtx domain.ReadTx) error {
		tx := rtx.(*Tx)
		settled, err := tx.SettledByDay(from, to, wib)
		if err != nil {
			t.Fatal(err)
		}
		if settled["2026-11-20"] != 320000 || settled["2026-11-21"] != 5000 || len(settled) != 2 {
			t.Errorf("settled by day = %v", settled)
		}
		paid, err := tx.PaidOutByDay(from, to, wib)
		if err != nil {
			t.Fatal(err)
		}
		if paid["2026-11-21"] != 256000 || len(paid) != 1 {
			t.Errorf("paid out by day = %v", paid)
		}
		n, err := tx.CountPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentSettled}})
		if err != nil || n != 2 {
			t.Errorf("settled payments = %d, %v", n, err)
		}
		return nil
	})
}

package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"lunas/domain"
)

// Reports stream the rows of a period in a stable order with their filters.
func testReports(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	e.write(func(tx Tx) error {
		if err := tx.SetPaymentStatus(s.Payment.ID, domain.PaymentPending, domain.PaymentFlagged, 320000, "amount differs", day0); err != nil {
			return err
		}
		x := domain.Transfer{RefID: "H-1", PayeeID: s.Payee.ID, Channel: "iris", Amount: 5000, HoldReason: "first payout"}
		if err := tx.CreateTransfer(&x); err != nil {
			return err
		}
		settle := domain.SettlementPosting("xendit", "payment:PAY-1", 320000, []domain.Portion{{Role: domain.RoleSeller, PayeeID: s.Payee.ID, Amount: 256000}, {Role: domain.RoleCommission, Amount: 64000}})
		if err := tx.Post(&settle); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{Actor: "sari", Action: "report.test"})
	})
	e.clock.Add(48 * time.Hour)
	e.write(func(tx Tx) error { // outside the period
		o := domain.Order{ExternalID: "INV-LATE", Items: []domain.OrderItem{{Name: "x", Qty: 1, UnitPrice: 10}}}
		return tx.CreateOrder(&o)
	})
	f := domain.ReportFilter{From: day0.Add(-time.Hour), To: day0.Add(time.Hour)}
	e.read(func(tx Tx) error {
		var orders []domain.OrderReportRow
		if err := tx.EachOrder(f, func(r domain.OrderReportRow) error { orders = append(orders, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(orders) != 1 || orders[0].ExternalID != "INV-1" || orders[0].Items != 1 || orders[0].Subtotal != 300000 || orders[0].Total != 320000 {
			t.Errorf("orders = %+v", orders)
		}
		var pays []domain.Payment
		if err := tx.EachPayment(domain.ReportFilter{Gateway: "xendit", PayeeID: s.Payee.ID}, func(p domain.Payment) error { pays = append(pays, p); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(pays) != 1 || pays[0].ExternalID != "PAY-1" || pays[0].Status != domain.PaymentFlagged {
			t.Errorf("payments = %+v", pays)
		}
		var trs []domain.TransferReportRow
		if err := tx.EachTransfer(f, func(r domain.TransferReportRow) error { trs = append(trs, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(trs) != 2 || trs[0].RefID != "LNS-1" || trs[0].AccountNumber != "8410099887" || trs[0].PayeeName != "Bu Ratna" || trs[0].PayeeBank != "BCA" || trs[1].RefID != "H-1" {
			t.Errorf("transfers = %+v", trs)
		}
		var iris []string
		tx.EachTransfer(domain.ReportFilter{Gateway: "iris"}, func(r domain.TransferReportRow) error { iris = append(iris, r.RefID); return nil })
		if !slices.Equal(iris, []string{"H-1"}) {
			t.Errorf("iris transfers = %v", iris)
		}
		var posts []domain.Posting
		if err := tx.EachPosting(domain.ReportFilter{PayeeID: s.Payee.ID}, func(p domain.Posting) error { posts = append(posts, p); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(posts) != 1 || len(posts[0].Lines) < 3 || posts[0].Ref != "payment:PAY-1" {
			t.Errorf("postings = %+v", posts)
		}
		var flags []domain.FlagReportRow
		if err := tx.EachFlag(f, func(r domain.FlagReportRow) error { flags = append(flags, r); return nil }); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, r := range flags {
			kinds = append(kinds, r.Kind+":"+r.Subject+":"+r.Reason)
		}
		if !slices.Contains(kinds, "payment:PAY-1:amount differs") || !slices.Contains(kinds, "transfer:H-1:first payout") {
			t.Errorf("flags = %v", kinds)
		}
		var audit []domain.AuditEntry
		if err := tx.EachAudit(f, func(a domain.AuditEntry) error { audit = append(audit, a); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(audit) != 1 || audit[0].Action != "report.test" {
			t.Errorf("audit = %+v", audit)
		}
		n, err := tx.CountRows(f)
		want := int64(len(orders) + 1 + len(trs) + len(posts[0].Lines) + len(flags) + len(audit))
		if err != nil || n != want {
			t.Errorf("CountRows = %d, %v; want %d", n, err, want)
		}
		// fn's error stops the stream and comes back.
		stop := fmt.Errorf("stop")
		if err := tx.EachTransfer(f, func(domain.TransferReportRow) error { return stop }); err != stop {
			t.Errorf("stopped stream: %v", err)
		}
		return nil
	})
}

// Walking pages by key gives the same rows, in the same order, as OFFSET
// paging, for a bulk filter and a selective one, with a search.
func testTransferPages(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	e.write(func(tx Tx) error {
		for i := 0; i < 57; i++ {
			st := domain.TransferSucceeded
			if i%5 == 0 {
				st = domain.TransferAwaitingApproval
			}
			if err := tx.CreateTransfer(&domain.Transfer{RefID: fmt.Sprintf("PG-%03d", i), PayeeID: s.Payee.ID, Channel: "xendit",
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
		e.read(func(tx Tx) error {
			all, err := tx.ListTransfers(f)
			if err != nil {
				t.Fatal(err)
			}
			want = refids(all)
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

// The dashboard buckets by the shop's day (WIB): 23:30 WIB belongs to that
// day, 00:30 WIB to the next, whatever the UTC date.
func testDashboard(t *testing.T, b Backend) {
	wib := time.FixedZone("WIB", 7*3600)
	e := newEnv(t, b, time.Date(2026, 11, 20, 16, 30, 0, 0, time.UTC)) // 23:30 WIB on the 20th
	s := e.seed()
	e.write(func(tx Tx) error {
		if err := tx.SetPaymentStatus(s.Payment.ID, domain.PaymentPending, domain.PaymentSettled, 320000, "", e.clock.Now()); err != nil {
			return err
		}
		p2 := domain.Payment{OrderID: s.Order.ID, Gateway: "xendit", ExternalID: "PAY-2", Amount: 5000}
		if err := tx.CreatePayment(&p2); err != nil {
			return err
		}
		return tx.SetPaymentStatus(p2.ID, domain.PaymentPending, domain.PaymentSettled, 5000, "", e.clock.Now().Add(time.Hour)) // 00:30 WIB on the 21st
	})
	e.clock.Add(time.Hour)
	e.write(func(tx Tx) error {
		for _, to := range []domain.TransferStatus{domain.TransferApproved, domain.TransferSending, domain.TransferSucceeded} {
			from := map[domain.TransferStatus]domain.TransferStatus{domain.TransferApproved: domain.TransferAwaitingApproval,
				domain.TransferSending: domain.TransferApproved, domain.TransferSucceeded: domain.TransferSending}[to]
			if err := tx.MoveTransfer(s.Transfer.RefID, from, to, domain.TransferPatch{}); err != nil {
				return err
			}
		}
		return nil
	})
	from := time.Date(2026, 11, 8, 0, 0, 0, 0, wib)
	to := time.Date(2026, 11, 22, 0, 0, 0, 0, wib)
	e.read(func(tx Tx) error {
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

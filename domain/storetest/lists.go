package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"lunas/domain"
)

func testLists(t *testing.T, b Backend) {
	e := newEnv(t, b, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	s := e.seed()
	var other, third domain.Payee
	e.write(func(tx Tx) error {
		other = domain.Payee{Name: "Pak Joko_%"}
		if err := tx.CreatePayee(&other); err != nil {
			return err
		}
		third = domain.Payee{Name: "bu ani"} // lower case sorts after upper case (byte order)
		return tx.CreatePayee(&third)
	})
	start := e.clock.Now()
	for i := range 30 {
		e.clock.Add(time.Hour)
		e.write(func(tx Tx) error {
			payee, status := s.Payee.ID, domain.TransferSucceeded
			if i%3 == 0 {
				payee, status = other.ID, domain.TransferFailed
			}
			x := domain.Transfer{RefID: fmt.Sprintf("T-%02d", i), PayeeID: payee, Channel: []string{"xendit", "iris"}[i%2], Amount: domain.Rupiah(1000 * (i + 1)), Status: status}
			return tx.CreateTransfer(&x)
		})
	}
	e.read(func(tx Tx) error {
		count := func(f domain.TransferFilter) int {
			n, err := tx.CountTransfers(f)
			if err != nil {
				t.Fatal(err)
			}
			list, err := tx.ListTransfers(f)
			if err != nil {
				t.Fatal(err)
			}
			if f.Limit == 0 && len(list) != n {
				t.Errorf("filter %+v: list %d, count %d", f, len(list), n)
			}
			return n
		}
		checks := []struct {
			f    domain.TransferFilter
			want int
		}{
			{domain.TransferFilter{}, 31},
			{domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferFailed}}, 10},
			{domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferFailed, domain.TransferAwaitingApproval}}, 11},
			{domain.TransferFilter{PayeeID: other.ID}, 10},
			{domain.TransferFilter{Channel: "iris"}, 15},
			{domain.TransferFilter{From: start.Add(time.Hour), To: start.Add(11 * time.Hour)}, 10},
			{domain.TransferFilter{Search: "T-1"}, 10},
			{domain.TransferFilter{Search: "t-1"}, 10},    // search ignores case
			{domain.TransferFilter{Search: "joko_%"}, 10}, // payee name, LIKE wildcards taken literally
			{domain.TransferFilter{Search: "o_%"}, 10},
			{domain.TransferFilter{Search: "%"}, 10},
			{domain.TransferFilter{Search: `\`}, 0},
		}
		for _, c := range checks {
			if n := count(c.f); n != c.want {
				t.Errorf("filter %+v: %d, want %d", c.f, n, c.want)
			}
		}
		page, _ := tx.ListTransfers(domain.TransferFilter{Page: domain.Page{Offset: 5, Limit: 3}})
		if len(page) != 3 || page[0].RefID != "T-24" || page[2].RefID != "T-22" {
			t.Errorf("page = %v", refids(page))
		}
		if rest, _ := tx.ListTransfers(domain.TransferFilter{Page: domain.Page{Offset: 29}}); len(rest) != 2 || rest[1].RefID != "LNS-1" {
			t.Errorf("offset without limit = %v", refids(rest))
		}
		total, err := tx.PayeeTotalSince(s.Payee.ID, start.Add(10*time.Hour))
		var want domain.Rupiah
		for i := 9; i < 30; i++ { // created at start+(i+1)h >= start+10h
			if i%3 != 0 {
				want += domain.Rupiah(1000 * (i + 1))
			}
		}
		if err != nil || total != want {
			t.Errorf("PayeeTotalSince = %d, %v; want %d", total, err, want)
		}
		failedOnly, _ := tx.PayeeTotalSince(other.ID, start)
		if failedOnly != 0 {
			t.Errorf("failed transfers counted: %d", failedOnly)
		}
		byOb, _ := tx.ListTransfersByObligation(s.Oblig.ID)
		if len(byOb) != 1 || byOb[0].RefID != "LNS-1" {
			t.Errorf("by obligation = %v", refids(byOb))
		}
		payees, _ := tx.ListPayees(domain.Page{Limit: 1})
		if len(payees) != 1 || payees[0].Name != "Bu Ratna" {
			t.Errorf("payees page = %+v", payees)
		}
		all, _ := tx.ListPayees(domain.Page{})
		var names []string
		for _, p := range all {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, []string{"Bu Ratna", "Pak Joko_%", "bu ani"}) {
			t.Errorf("payees by name = %q", names)
		}
		return nil
	})

	// Orders and payments: filters, newest first, and due polls.
	e.write(func(tx Tx) error {
		for i := range 5 {
			e.clock.Add(time.Minute)
			o := domain.Order{ExternalID: fmt.Sprint("ORD-", i), BuyerName: []string{"Citra", "Dewi"}[i%2],
				Items: []domain.OrderItem{{Name: "x", Qty: int64(i + 1), UnitPrice: 1000}, {Name: "y", Qty: 1, UnitPrice: 500}}}
			if err := tx.CreateOrder(&o); err != nil {
				return err
			}
			p := domain.Payment{OrderID: o.ID, Gateway: []string{"xendit", "midtrans"}[i%2], ExternalID: fmt.Sprint("P-", i), Amount: 1500,
				NextPollAt: start.Add(time.Duration(5-i) * time.Minute)}
			if err := tx.CreatePayment(&p); err != nil {
				return err
			}
			if i == 4 {
				if err := tx.SetPaymentStatus(p.ID, domain.PaymentPending, domain.PaymentExpired, 0, "", time.Time{}); err != nil {
					return err
				}
			}
		}
		return tx.SchedulePoll(s.Payment.ID, start, start.Add(100*time.Hour))
	})
	e.read(func(tx Tx) error {
		ords, err := tx.ListOrders(domain.OrderFilter{Search: "dewi", Page: domain.Page{Limit: 10}})
		if err != nil || len(ords) != 2 || ords[0].ExternalID != "ORD-3" || len(ords[0].Items) != 2 || ords[0].Items[0].Qty != 4 {
			t.Errorf("orders = %+v, %v", ords, err)
		}
		if n, _ := tx.CountOrders(domain.OrderFilter{Statuses: []domain.OrderStatus{domain.OrderOpen}}); n != 6 {
			t.Errorf("open orders %d, want 6", n)
		}
		if n, _ := tx.CountOrders(domain.OrderFilter{Search: "ord-"}); n != 5 {
			t.Errorf("orders matching ord- %d, want 5", n)
		}
		allOrds, _ := tx.ListOrders(domain.OrderFilter{})
		if len(allOrds) != 6 || allOrds[5].ExternalID != "INV-1" || len(allOrds[5].Items) != 1 {
			t.Errorf("all orders = %d", len(allOrds))
		}
		due, err := tx.ListPayments(domain.PaymentFilter{DuePoll: start.Add(3 * time.Minute)})
		if err != nil || len(due) != 2 || due[0].ExternalID != "P-3" || due[1].ExternalID != "P-2" {
			t.Errorf("due = %+v, %v", due, err)
		}
		mid, _ := tx.ListPayments(domain.PaymentFilter{Gateway: "midtrans"})
		if len(mid) != 2 {
			t.Errorf("midtrans payments %d", len(mid))
		}
		exp, _ := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentExpired}})
		if len(exp) != 1 || exp[0].ExternalID != "P-4" {
			t.Errorf("expired payments %+v", exp)
		}
		p, _ := tx.GetPayment(s.Payment.ID)
		if p.PollCount != 1 || !p.NextPollAt.Equal(start.Add(100*time.Hour)) || !p.LastChecked.Equal(start) {
			t.Errorf("after SchedulePoll: %+v", p)
		}
		return nil
	})
}

func testEncrypted(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	const acct1, acct2 = "8410099887123", "0987654321555"
	var a, bb domain.Payee
	e.write(func(tx Tx) error {
		a = domain.Payee{Name: "A", AccountNumber: acct1}
		bb = domain.Payee{Name: "B", AccountNumber: "placeholder"}
		if err := tx.CreatePayee(&a); err != nil {
			return err
		}
		if err := tx.CreatePayee(&bb); err != nil {
			return err
		}
		bb.AccountNumber = acct2
		return tx.UpdatePayee(&bb)
	})
	e.read(func(tx Tx) error {
		if p, err := tx.GetPayee(bb.ID); err != nil || p.AccountNumber != acct2 {
			t.Errorf("updated account = %+v, %v", p, err)
		}
		return nil
	})
	// Without a key, account numbers cannot be read or written; other
	// columns can.
	locked := e.open(Options{})
	if err := locked.Read(ctx, func(tx domain.ReadTx) error { return errOnly(tx.GetPayee(a.ID)) }); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("read without cipher: %v", err)
	}
	if err := locked.Write(ctx, func(tx domain.Tx) error {
		return tx.CreatePayee(&domain.Payee{Name: "C", AccountNumber: "1"})
	}); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("create without cipher: %v", err)
	}
	for name, fn := range map[string]func(tx domain.Tx) error{
		"payee email": func(tx domain.Tx) error { return tx.CreatePayee(&domain.Payee{Name: "E", Email: "e@example.com"}) },
		"buyer email": func(tx domain.Tx) error {
			return tx.CreateOrder(&domain.Order{ExternalID: "L-1", BuyerEmail: "b@example.com", Items: []domain.OrderItem{{Name: "x", Qty: 1, UnitPrice: 1}}})
		},
	} {
		if err := locked.Write(ctx, fn); !errors.Is(err, domain.ErrLocked) {
			t.Errorf("%s without cipher: %v", name, err)
		}
	}
	if err := locked.Write(ctx, func(tx domain.Tx) error {
		return tx.CreatePayee(&domain.Payee{Name: "D (no account yet)"})
	}); err != nil {
		t.Errorf("create without account, locked: %v", err)
	}
	// A different key does not open them.
	wrong := e.open(Options{Cipher: NewGCM(t)})
	if err := wrong.Read(ctx, func(tx domain.ReadTx) error { return errOnly(tx.GetPayee(a.ID)) }); err == nil {
		t.Error("another key opened an account number")
	}
}

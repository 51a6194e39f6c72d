package storetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"lunas/domain"
)

func testReopen(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	db := e.open(Options{Cipher: e.ciph}) // nothing left to migrate
	err := db.Read(ctx, func(tx domain.ReadTx) error {
		x, err := tx.GetTransfer(s.Transfer.RefID)
		if err != nil || x != s.Transfer {
			t.Errorf("after reopen: %+v, %v", x, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two stores on one database (two processes, or the desktop beside serve):
// each sees the other's commits, and a compare-and-set raced from both is
// won once.
func testTwoStores(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	other := e.open(Options{Cipher: e.ciph, Now: e.clock.Now})
	if err := other.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting("from.other", "1") }); err != nil {
		t.Fatal(err)
	}
	e.read(func(tx Tx) error {
		if v, err := tx.GetSetting("from.other"); err != nil || v != "1" {
			t.Errorf("other store's write: %q, %v", v, err)
		}
		return nil
	})
	ref := s.Transfer.RefID
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		db := []domain.Store{e.db, other}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Write(ctx, func(tx domain.Tx) error {
				if err := tx.MoveTransfer(ref, domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferPatch{ApprovedBy: fmt.Sprint("p", i)}); err != nil {
					return err
				}
				return tx.AppendAudit(&domain.AuditEntry{Actor: "p", Action: "approve", Subject: ref})
			})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("racing approve: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d racing approvals won, want 1", wins)
	}
	// Both wrote audit entries through their own connection: one chain.
	for i := range 6 {
		db := []domain.Store{e.db, other}[i%2]
		if err := db.Write(ctx, func(tx domain.Tx) error { return tx.AppendAudit(&domain.AuditEntry{Actor: "p", Action: "n"}) }); err != nil {
			t.Fatal(err)
		}
	}
	e.read(func(tx Tx) error {
		es, err := tx.ListAudit(0, 0)
		if err != nil || len(es) != 7 {
			t.Fatalf("audit: %d, %v", len(es), err)
		}
		prev := ""
		for i, a := range es {
			if a.Seq != int64(i+1) || a.PrevHash != prev || a.ComputeHash(prev) != a.Hash {
				t.Errorf("entry %d does not chain: %+v", i, a)
			}
			prev = a.Hash
		}
		return nil
	})
}

func testRoundTrip(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	now := day0.Truncate(time.Microsecond)
	e.write(func(tx Tx) error {
		p := domain.Product{SKU: "BTK-1", Name: "Batik", Price: 150000, PayeeID: s.Payee.ID, Active: true}
		if err := tx.CreateProduct(&p); err != nil {
			return err
		}
		p.Price = 175000
		if err := tx.UpdateProduct(&p); err != nil {
			return err
		}
		if err := tx.CreateProduct(&domain.Product{Name: "Tanpa SKU", Price: 0}); err != nil {
			return err
		}
		if err := tx.CreateProduct(&domain.Product{Name: "Tanpa SKU juga", Price: 1}); err != nil {
			return err // no SKU is not a duplicate SKU
		}
		if err := tx.SetSetting("shop.name", "Batik Sari"); err != nil {
			return err
		}
		if err := tx.SetSetting("shop.name", "Batik Sari 2"); err != nil {
			return err
		}
		r := domain.PayoutRule{Name: "80/fee", Shares: []domain.Share{{Role: domain.RoleSeller, PayeeID: s.Payee.ID, BPS: 8000}, {Role: domain.RoleGatewayFee, Fixed: 4500}}}
		return tx.CreatePayoutRule(&r)
	})
	e.read(func(tx Tx) error {
		p, err := tx.GetProduct(1)
		if err != nil || p.Price != 175000 || p.SKU != "BTK-1" || !p.Active || !p.Created.Equal(now) || p.PayeeID != s.Payee.ID {
			t.Errorf("product = %+v, %v", p, err)
		}
		if ps, err := tx.ListProducts(domain.Page{}); err != nil || len(ps) != 3 || ps[0].Name != "Batik" || ps[2].SKU != "" || ps[2].Active {
			t.Errorf("products = %+v, %v", ps, err)
		}
		if v, err := tx.GetSetting("shop.name"); err != nil || v != "Batik Sari 2" {
			t.Errorf("setting = %q, %v", v, err)
		}
		if _, err := tx.GetSetting("nope"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing setting: %v", err)
		}
		pe, err := tx.GetPayee(s.Payee.ID)
		if err != nil || pe.AccountNumber != "8410099887" || pe.Verification != domain.VerifyNone || pe.PayoutRuleID != s.Rule.ID ||
			pe.Email != "r@example.com" || !pe.CreatedAt.Equal(now) || pe.Erased {
			t.Errorf("payee = %+v, %v", pe, err)
		}
		o, err := tx.GetOrderByExternalID("INV-1")
		if err != nil || len(o.Items) != 1 || o.BuyerEmail != "andi@example.com" || o.Items[0].Qty != 2 || o.Status != domain.OrderOpen || !o.CreatedAt.Equal(now) || o.Shipping != 20000 {
			t.Errorf("order = %+v, %v", o, err)
		}
		if o2, err := tx.GetOrder(o.ID); err != nil || o2.ExternalID != "INV-1" || len(o2.Items) != 1 {
			t.Errorf("order by id = %+v, %v", o2, err)
		}
		pay, err := tx.GetPaymentByExternalID("PAY-1")
		if err != nil || pay.Amount != 320000 || pay.Status != domain.PaymentPending || pay.OrderID != o.ID {
			t.Errorf("payment = %+v, %v", pay, err)
		}
		if ob, err := tx.GetObligation(s.Oblig.ID); err != nil || ob != s.Oblig {
			t.Errorf("obligation = %+v, %v", ob, err)
		}
		obs, err := tx.ListObligationsByPayment(pay.ID)
		if err != nil || len(obs) != 1 || obs[0] != s.Oblig {
			t.Errorf("obligations = %+v, %v; want %+v", obs, err, s.Oblig)
		}
		tr, err := tx.GetTransfer("LNS-1")
		if err != nil || tr != s.Transfer {
			t.Errorf("transfer = %+v, %v\nwant %+v", tr, err, s.Transfer)
		}
		rules, err := tx.ListPayoutRules()
		if err != nil || len(rules) != 2 || len(rules[1].Shares) != 2 || rules[1].Shares[1].Fixed != 4500 {
			t.Errorf("rules = %+v, %v", rules, err)
		}
		r, err := tx.GetPayoutRule(rules[1].ID)
		if err != nil || r.Name != "80/fee" || len(r.Shares) != 2 || r.Shares[0].PayeeID != s.Payee.ID || r.Shares[0].BPS != 8000 {
			t.Errorf("rule = %+v, %v", r, err)
		}
		for name, err := range map[string]error{
			"product": errOnly(tx.GetProduct(99)), "order": errOnly(tx.GetOrder(99)), "payment": errOnly(tx.GetPayment(99)),
			"payee": errOnly(tx.GetPayee(99)), "rule": errOnly(tx.GetPayoutRule(99)), "obligation": errOnly(tx.GetObligation(99)),
			"transfer": errOnly(tx.GetTransfer("nope")), "order ext": errOnly(tx.GetOrderByExternalID("nope")),
			"payment ext": errOnly(tx.GetPaymentByExternalID("nope")),
		} {
			if !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("missing %s: %v, want ErrNotFound", name, err)
			}
		}
		return nil
	})
	// A gateway's garbled answer (invalid UTF-8, NUL) is stored, never refused.
	e.write(func(tx Tx) error {
		return tx.MoveTransfer("LNS-1", domain.TransferAwaitingApproval, domain.TransferRejected,
			domain.TransferPatch{FailureReason: "gateway said \xff\xfe\x00 bad"})
	})
	e.read(func(tx Tx) error {
		if x, err := tx.GetTransfer("LNS-1"); err != nil || !strings.HasPrefix(x.FailureReason, "gateway said ") || !strings.HasSuffix(x.FailureReason, " bad") {
			t.Errorf("garbled reason = %q, %v", x.FailureReason, err)
		}
		return nil
	})
	// The shop's maximum per order (a setting) is kept by the store.
	e.write(func(tx Tx) error { return tx.SetSetting(domain.SettingMaxOrder, "100000") })
	if err := e.tryWrite(func(tx Tx) error {
		return tx.CreateOrder(&domain.Order{ExternalID: "BIG", Items: []domain.OrderItem{{Name: "x", Qty: 1, UnitPrice: 100001}}})
	}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("order above the maximum: %v", err)
	}
	// Missing rows on update.
	for name, fn := range map[string]func(tx Tx) error{
		"product": func(tx Tx) error { return tx.UpdateProduct(&domain.Product{ID: 99, Name: "x"}) },
		"payee":   func(tx Tx) error { return tx.UpdatePayee(&domain.Payee{ID: 99, Name: "x"}) },
	} {
		if err := e.tryWrite(fn); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("update missing %s: %v", name, err)
		}
	}
}

func testDuplicates(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	tests := []struct {
		name string
		fn   func(tx Tx) error
		want error
		not  error
	}{
		{"refid", func(tx Tx) error {
			x := domain.Transfer{RefID: "LNS-1", PayeeID: s.Payee.ID, Amount: 1}
			return tx.CreateTransfer(&x)
		}, domain.ErrDuplicateRefID, nil},
		{"order external id", func(tx Tx) error {
			o := s.Order
			return tx.CreateOrder(&o)
		}, domain.ErrDuplicate, domain.ErrDuplicateRefID},
		{"payment external id", func(tx Tx) error {
			p := s.Payment
			return tx.CreatePayment(&p)
		}, domain.ErrDuplicate, domain.ErrDuplicateRefID},
		{"product sku", func(tx Tx) error {
			a, b := domain.Product{SKU: "X", Name: "a"}, domain.Product{SKU: "X", Name: "b"}
			if err := tx.CreateProduct(&a); err != nil {
				return err
			}
			return tx.CreateProduct(&b)
		}, domain.ErrDuplicate, nil},
		{"user name, any case", func(tx Tx) error {
			if err := tx.CreateUser(&domain.User{Name: "Sari", Role: domain.RoleOwner, PasswordHash: "h"}); err != nil {
				return err
			}
			return tx.CreateUser(&domain.User{Name: "sARI", Role: domain.RoleStaff, PasswordHash: "h"})
		}, domain.ErrDuplicate, nil},
		{"missing parent refid", func(tx Tx) error {
			x := domain.Transfer{RefID: "LNS-2", ParentRefID: "nope", PayeeID: s.Payee.ID, Amount: 1}
			return tx.CreateTransfer(&x)
		}, domain.ErrInvalid, domain.ErrDuplicateRefID},
		{"missing payee", func(tx Tx) error {
			x := domain.Transfer{RefID: "LNS-3", PayeeID: 999, Amount: 1}
			return tx.CreateTransfer(&x)
		}, domain.ErrInvalid, nil},
		{"transfer without amount", func(tx Tx) error {
			return tx.CreateTransfer(&domain.Transfer{RefID: "LNS-4", PayeeID: s.Payee.ID})
		}, domain.ErrInvalid, nil},
	}
	for _, tt := range tests {
		err := e.tryWrite(tt.fn)
		if !errors.Is(err, tt.want) || tt.not != nil && errors.Is(err, tt.not) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// A refused duplicate REFID inside a larger transaction leaves the rest
	// usable, and the caller decides: here it tries another REFID (as the
	// engine does) and commits.
	e.write(func(tx Tx) error {
		a := domain.Transfer{RefID: "LNS-3", PayeeID: s.Payee.ID, Amount: 5}
		if err := tx.CreateTransfer(&a); err != nil {
			return err
		}
		dup := domain.Transfer{RefID: "LNS-3", PayeeID: s.Payee.ID, Amount: 6}
		if err := tx.CreateTransfer(&dup); !errors.Is(err, domain.ErrDuplicateRefID) {
			t.Errorf("duplicate in same tx: %v", err)
		}
		dup.RefID = "LNS-3b"
		return tx.CreateTransfer(&dup)
	})
	e.read(func(tx Tx) error {
		if x, err := tx.GetTransfer("LNS-3"); err != nil || x.Amount != 5 {
			t.Errorf("LNS-3 = %+v, %v", x, err)
		}
		if x, err := tx.GetTransfer("LNS-3b"); err != nil || x.Amount != 6 {
			t.Errorf("LNS-3b = %+v, %v", x, err)
		}
		if n, _ := tx.CountUsers(); n != 0 {
			t.Errorf("%d users after a refused write", n)
		}
		return nil
	})
}

func testCompareAndSet(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	ref := s.Transfer.RefID
	e.write(func(tx Tx) error {
		if err := tx.MoveTransfer(ref, domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferPatch{ApprovedBy: "sari"}); err != nil {
			return err
		}
		return tx.MoveTransfer(ref, domain.TransferApproved, domain.TransferSending, domain.TransferPatch{IncAttempts: true, MarkSent: true})
	})
	tests := []struct {
		name string
		fn   func(tx Tx) error
		want error
	}{
		{"stale transfer", func(tx Tx) error {
			return tx.MoveTransfer(ref, domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferPatch{})
		}, domain.ErrConflict},
		{"illegal transfer move", func(tx Tx) error {
			return tx.MoveTransfer(ref, domain.TransferSending, domain.TransferApproved, domain.TransferPatch{})
		}, domain.ErrInvalidTransition},
		{"missing transfer", func(tx Tx) error {
			return tx.MoveTransfer("nope", domain.TransferSending, domain.TransferUnknown, domain.TransferPatch{})
		}, domain.ErrNotFound},
		{"stale order", func(tx Tx) error {
			return tx.SetOrderStatus(s.Order.ID, domain.OrderPaid, domain.OrderFlagged)
		}, domain.ErrConflict},
		{"missing order", func(tx Tx) error { return tx.SetOrderStatus(99, domain.OrderOpen, domain.OrderPaid) }, domain.ErrNotFound},
		{"stale payment", func(tx Tx) error {
			return tx.SetPaymentStatus(s.Payment.ID, domain.PaymentSettled, domain.PaymentFlagged, 1, "x", time.Time{})
		}, domain.ErrConflict},
		{"missing payment", func(tx Tx) error {
			return tx.SetPaymentStatus(99, domain.PaymentPending, domain.PaymentSettled, 1, "", time.Time{})
		}, domain.ErrNotFound},
		{"stale obligation", func(tx Tx) error {
			return tx.SetObligationStatus(s.Oblig.ID, domain.ObligationPaid, domain.ObligationReopened)
		}, domain.ErrConflict},
		{"missing obligation", func(tx Tx) error {
			return tx.SetObligationStatus(99, domain.ObligationOpen, domain.ObligationPaid)
		}, domain.ErrNotFound},
		{"missing poll", func(tx Tx) error { return tx.SchedulePoll(99, time.Now(), time.Now()) }, domain.ErrNotFound},
		{"stale correction", func(tx Tx) error {
			return tx.CorrectTransferStatus(ref, domain.TransferFailed, domain.TransferSucceeded, "x")
		}, domain.ErrConflict},
		{"missing correction", func(tx Tx) error {
			return tx.CorrectTransferStatus("nope", domain.TransferFailed, domain.TransferSucceeded, "x")
		}, domain.ErrNotFound},
		{"stale note", func(tx Tx) error { return tx.NoteTransfer(ref, domain.TransferUnknown, "x") }, domain.ErrConflict},
		{"missing note", func(tx Tx) error { return tx.NoteTransfer("nope", domain.TransferUnknown, "x") }, domain.ErrNotFound},
	}
	for _, tt := range tests {
		if err := e.tryWrite(tt.fn); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	settled := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	e.write(func(tx Tx) error {
		if err := tx.SetOrderStatus(s.Order.ID, domain.OrderOpen, domain.OrderPaid); err != nil {
			return err
		}
		if err := tx.SetPaymentStatus(s.Payment.ID, domain.PaymentPending, domain.PaymentSettled, 320000, "", settled); err != nil {
			return err
		}
		if err := tx.SetObligationStatus(s.Oblig.ID, domain.ObligationOpen, domain.ObligationPaid); err != nil {
			return err
		}
		if err := tx.MoveTransfer(ref, domain.TransferSending, domain.TransferUnknown, domain.TransferPatch{FailureReason: "first"}); err != nil {
			return err
		}
		return tx.NoteTransfer(ref, domain.TransferUnknown, "timeout") // why it waits, without moving it
	})
	e.write(func(tx Tx) error { // a zero time keeps the settlement time
		return tx.SetPaymentStatus(s.Payment.ID, domain.PaymentSettled, domain.PaymentFlagged, 320000, "late", time.Time{})
	})
	e.read(func(tx Tx) error {
		x, _ := tx.GetTransfer(ref)
		if x.Status != domain.TransferUnknown || x.ApprovedBy != "sari" || x.Attempts != 1 || x.SentAt.IsZero() || x.FailureReason != "timeout" || x.Channel != "xendit" {
			t.Errorf("transfer after moves = %+v", x)
		}
		p, _ := tx.GetPayment(s.Payment.ID)
		if p.Status != domain.PaymentFlagged || p.PaidAmount != 320000 || !p.SettledAt.Equal(settled) || p.FlagReason != "late" {
			t.Errorf("payment = %+v", p)
		}
		o, _ := tx.GetOrder(s.Order.ID)
		ob, _ := tx.GetObligation(s.Oblig.ID)
		if o.Status != domain.OrderPaid || ob.Status != domain.ObligationPaid {
			t.Errorf("order %s, obligation %s", o.Status, ob.Status)
		}
		return nil
	})

	// Writers race the same compare-and-set: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.db.Write(ctx, func(tx domain.Tx) error {
				return tx.MoveTransfer(ref, domain.TransferUnknown, domain.TransferSucceeded, domain.TransferPatch{GatewayRef: fmt.Sprint("g", i)})
			})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("racing move: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d racing moves won, want 1", wins)
	}
	// A person's correction moves outside the state machine, still as a
	// compare-and-set.
	e.write(func(tx Tx) error {
		return tx.CorrectTransferStatus(ref, domain.TransferSucceeded, domain.TransferFailed, "bank says no")
	})
	e.read(func(tx Tx) error {
		if x, _ := tx.GetTransfer(ref); x.Status != domain.TransferFailed || x.FailureReason != "bank says no" {
			t.Errorf("corrected = %+v", x)
		}
		return nil
	})
}

func testPostings(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	unbalanced := domain.Posting{Ref: "payment:X", Lines: []domain.PostingLine{{Account: "clearing:xendit", Amount: 100}, {Account: "commission", Amount: -99}}}
	if err := e.tryWrite(func(tx Tx) error { return tx.Post(&unbalanced) }); !errors.Is(err, domain.ErrUnbalanced) {
		t.Fatalf("unbalanced posting: %v", err)
	}
	rule := domain.PayoutRule{Name: "r", Shares: []domain.Share{{Role: domain.RoleSeller, PayeeID: 7, BPS: 8000}, {Role: domain.RoleGatewayFee, Fixed: 4500}}}
	portions, _ := rule.Split(370001)
	settle := domain.SettlementPosting("xendit", "payment:PAY-1", 370001, portions)
	tr := domain.Transfer{RefID: "R1", PayeeID: 7, Channel: "xendit", Amount: 296000}
	out := domain.PayoutPosting(&tr, false)
	e.write(func(tx Tx) error {
		if err := tx.Post(&settle); err != nil {
			return err
		}
		return tx.Post(&out)
	})
	e.read(func(tx Tx) error {
		bal, err := tx.Balances()
		if err != nil {
			t.Fatal(err)
		}
		var sum domain.Rupiah
		for _, v := range bal {
			sum += v
		}
		if sum != 0 || bal["clearing:xendit"] != 370001 || bal["payable:7"] != 0 || bal["paidout:xendit"] != -296000 {
			t.Errorf("balances %v (sum %d)", bal, sum)
		}
		ps, err := tx.ListPostings("payment:PAY-1")
		if err != nil || len(ps) != 1 || len(ps[0].Lines) != len(settle.Lines) || ps[0].Lines[0] != settle.Lines[0] || ps[0].ID != settle.ID {
			t.Errorf("postings = %+v, %v", ps, err)
		}
		all, _ := tx.ListPostings("")
		if len(all) != 2 {
			t.Errorf("%d postings, want 2 (the unbalanced one must not be stored)", len(all))
		}
		return nil
	})
}

func testAuditChain(t *testing.T, b Backend) {
	e := newEnv(t, b, time.Date(2026, 11, 22, 9, 0, 0, 999, time.UTC))
	e.read(func(tx Tx) error {
		if _, err := tx.AuditAnchor(); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("anchor of an empty log: %v", err)
		}
		return nil
	})
	for i := range 3 {
		e.clock.Add(time.Second)
		e.write(func(tx Tx) error {
			a := domain.AuditEntry{Actor: "sari", Action: "test", Subject: fmt.Sprint("n:", i), Detail: "d"}
			if err := tx.AppendAudit(&a); err != nil {
				return err
			}
			if a.Seq != int64(i+1) || a.Hash == "" || (i == 0) != (a.PrevHash == "") {
				t.Errorf("entry %d = %+v", i, a)
			}
			return nil
		})
	}
	e.read(func(tx Tx) error {
		es, err := tx.ListAudit(0, 0)
		if err != nil || len(es) != 3 {
			t.Fatalf("ListAudit = %d, %v", len(es), err)
		}
		prev := ""
		for _, a := range es {
			if a.PrevHash != prev || a.ComputeHash(prev) != a.Hash || a.At.Location() != time.UTC || a.At.Nanosecond()%1000 != 0 {
				t.Errorf("entry %+v does not chain", a)
			}
			prev = a.Hash
		}
		tail, _ := tx.ListAudit(1, 1)
		if len(tail) != 1 || tail[0].Seq != 2 {
			t.Errorf("ListAudit(1,1) = %+v", tail)
		}
		an, err := tx.AuditAnchor()
		if err != nil || an.HeadSeq != 3 || an.HeadHash != es[2].Hash || an.SignedSeq != 0 || an.MAC != "" {
			t.Errorf("anchor = %+v, %v", an, err)
		}
		return nil
	})
	if err := e.tryWrite(func(tx Tx) error { return tx.AppendAudit(&domain.AuditEntry{}) }); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("empty audit entry: %v", err)
	}
	// With the vault's keys: an event recorded while locked waits outside
	// the chain, the next append with the key chains it (marked), keys the
	// hashes from there on and signs the anchor; a store without the key
	// can no longer append.
	k := &keyer{GCM: e.ciph}
	keyed := e.open(Options{Cipher: k, Now: e.clock.Now})
	k.locked = true
	if err := keyed.Write(ctx, func(tx domain.Tx) error {
		return tx.AppendAudit(&domain.AuditEntry{Actor: "x", Action: "signin.failed"})
	}); err != nil {
		t.Fatal(err)
	}
	e.read(func(tx Tx) error {
		if n, err := tx.CountAuditPending(); err != nil || n != 1 {
			t.Errorf("pending while locked = %d, %v", n, err)
		}
		return nil
	})
	k.locked = false
	if err := keyed.Write(ctx, func(tx domain.Tx) error { return tx.AppendAudit(&domain.AuditEntry{Actor: "sari", Action: "signed"}) }); err != nil {
		t.Fatal(err)
	}
	e.read(func(tx Tx) error {
		if n, _ := tx.CountAuditPending(); n != 0 {
			t.Errorf("%d events still pending", n)
		}
		if p, err := tx.ListAuditPending(); err != nil || len(p) != 0 {
			t.Errorf("pending = %+v, %v", p, err)
		}
		es, _ := tx.ListAudit(3, 0)
		if len(es) != 2 || es[0].Action != "signin.failed" || !strings.HasPrefix(es[0].Detail, domain.PendingPrefix) ||
			es[1].Hash != es[1].ComputeKeyedHash(k.key, es[0].Hash) {
			t.Errorf("chained entries = %+v", es)
		}
		an, err := tx.AuditAnchor()
		if err != nil || an.HeadSeq != 5 || an.SignedSeq != 5 || an.KeyedFrom != 4 || an.Alarm != "" {
			t.Errorf("keyed anchor = %+v, %v", an, err)
		}
		if mac, _ := k.AuditMAC(an.AnchorMessage()); mac != an.MAC {
			t.Errorf("anchor MAC %q, want %q", an.MAC, mac)
		}
		tail, ok, err := tx.AuditTail()
		if err != nil || !ok || tail.Seq != 5 {
			t.Errorf("tail = %+v, %v, %v", tail, ok, err)
		}
		if h, err := tx.AuditHashAt(4); err != nil || h != es[0].Hash {
			t.Errorf("hash at 4 = %q, %v", h, err)
		}
		if _, err := tx.AuditHashAt(99); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("hash at 99: %v", err)
		}
		return nil
	})
	if err := e.tryWrite(func(tx Tx) error { return tx.AppendAudit(&domain.AuditEntry{Actor: "x", Action: "plain"}) }); !errors.Is(err, domain.ErrAuditKeyed) {
		t.Errorf("plain append to a keyed log: %v", err)
	}
	// The tamper alarm is kept on the anchor.
	e.write(func(tx Tx) error { return domain.RaiseAuditAlarm(tx, "entries were removed", time.Time{}) })
	e.read(func(tx Tx) error {
		if an, _ := tx.AuditAnchor(); an.Alarm != "entries were removed" || an.AlarmAt.IsZero() {
			t.Errorf("alarm = %+v", an)
		}
		return nil
	})
}

// keyer is a FieldCipher with the vault's audit keys.
type keyer struct {
	*GCM
	key    []byte
	locked bool
}

func (k *keyer) AuditChainKey() ([]byte, error) {
	if k.locked {
		return nil, domain.ErrLocked
	}
	if k.key == nil {
		k.key = []byte("chain key for the contract test")
	}
	return k.key, nil
}

func (k *keyer) AuditMAC(msg []byte) (string, error) {
	if k.locked {
		return "", domain.ErrLocked
	}
	m := hmac.New(sha256.New, []byte("anchor key"))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil)), nil
}

func testReadOnly(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	err := e.db.Read(ctx, func(rtx domain.ReadTx) error {
		return rtx.(domain.Tx).SetSetting("a", "b")
	})
	if !errors.Is(err, b.ReadOnly) {
		t.Errorf("write in Read: %v", err)
	}
	// And a failing Write commits nothing.
	boom := errors.New("boom")
	err = e.tryWrite(func(tx Tx) error {
		if err := tx.SetSetting("a", "b"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v", err)
	}
	e.read(func(tx Tx) error {
		if _, err := tx.GetSetting("a"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("rolled-back setting visible: %v", err)
		}
		return nil
	})
}

func testPanic(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	func() {
		defer func() { recover() }()
		e.db.Write(ctx, func(tx domain.Tx) error {
			tx.SetSetting("half", "done")
			panic("bug in a caller")
		})
	}()
	// The writer is free again and the half-done work is gone.
	e.write(func(tx Tx) error {
		if _, err := tx.GetSetting("half"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("panicked write committed: %v", err)
		}
		return tx.SetSetting("after", "ok")
	})
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/storetest"
)

// laterShop is a shop with one payee, an order with its payment, an
// obligation and two transfers awaiting approval.
type laterShop struct {
	db     *DB
	payee  domain.Payee
	order  domain.Order
	pay    domain.Payment
	ob     domain.Obligation
	refIDs []string
}

func newLaterShop(t *testing.T) *laterShop {
	t.Helper()
	s := &laterShop{db: openTest(t, newDatabase(t), Options{Cipher: storetest.NewGCM(t)})}
	err := s.db.Write(ctx, func(tx domain.Tx) error {
		s.payee = domain.Payee{Name: "Bu Ani", Channel: "BCA", AccountNumber: "8410099887"}
		if err := tx.CreatePayee(&s.payee); err != nil {
			return err
		}
		s.order = domain.Order{ExternalID: "INV-1", Source: "test", BuyerName: "Budi", Items: []domain.OrderItem{{Name: "Kaos", Qty: 1, UnitPrice: 100000}}}
		if err := tx.CreateOrder(&s.order); err != nil {
			return err
		}
		s.pay = domain.Payment{OrderID: s.order.ID, Gateway: "xendit", ExternalID: "PAY-1", Amount: 100000}
		if err := tx.CreatePayment(&s.pay); err != nil {
			return err
		}
		s.ob = domain.Obligation{PaymentID: s.pay.ID, OrderID: s.order.ID, PayeeID: s.payee.ID, Role: domain.RoleSeller, Amount: 90000}
		if err := tx.CreateObligation(&s.ob); err != nil {
			return err
		}
		for i := range 2 {
			x := domain.Transfer{RefID: fmt.Sprintf("LNS-T%d", i), ObligationID: s.ob.ID, PayeeID: s.payee.ID, Channel: "xendit", Amount: 45000, CreatedBy: "engine"}
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
			s.refIDs = append(s.refIDs, x.RefID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A compare-and-set from a status the transaction read is kept, and a
// later read in the same transaction sees it; one from another status is
// refused at once, as on SQLite.
func TestQueuedCompareAndSet(t *testing.T) {
	s := newLaterShop(t)
	ref := s.refIDs[0]
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.GetTransfer(ref); err != nil {
			return err
		}
		if err := tx.MoveTransfer(ref, domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferPatch{ApprovedBy: "sari"}); err != nil {
			return err
		}
		if b := tx.cache.bulks[bulkTransfers]; b == nil || b.n != 1 || len(tx.cache.queue) != 0 {
			t.Errorf("compare-and-set from a known status not kept: %+v, %d queued", b, len(tx.cache.queue))
		}
		err := tx.MoveTransfer(ref, domain.TransferAwaitingApproval, domain.TransferRejected, domain.TransferPatch{})
		if !errors.Is(err, domain.ErrConflict) {
			t.Errorf("move from a status the transfer left: %v", err)
		}
		if err := tx.MoveTransfer(ref, domain.TransferApproved, domain.TransferSending, domain.TransferPatch{IncAttempts: true, MarkSent: true}); err != nil {
			return err
		}
		x, err := tx.GetTransfer(ref)
		if err != nil {
			return err
		}
		if x.Status != domain.TransferSending || x.ApprovedBy != "sari" || x.Attempts != 1 || x.SentAt.IsZero() {
			t.Errorf("read in the same transaction: %+v", x)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.db.Read(ctx, func(tx domain.ReadTx) error {
		x, err := tx.GetTransfer(ref)
		if err != nil || x.Status != domain.TransferSending || x.Attempts != 1 {
			t.Errorf("committed: %+v, %v", x, err)
		}
		return nil
	})
}

// A poll scheduled for a payment the transaction has read is kept (the
// engine schedules hundreds per batch), a later read in the same
// transaction sees it, and two for one payment both count; one for a
// payment never read goes to the server at once and reports a missing one.
func TestKeptPollReadBack(t *testing.T) {
	s := newLaterShop(t)
	checked := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		if err := tx.PrefetchPayments([]string{s.pay.ExternalID}); err != nil {
			return err
		}
		for i := range 2 {
			if err := tx.SchedulePoll(s.pay.ID, checked, checked.Add(time.Duration(i+1)*time.Minute)); err != nil {
				return err
			}
			// The second sends the first before it is kept.
			if b := tx.cache.bulks[bulkPolls]; b == nil || b.n != 1 || len(tx.cache.queue) != i {
				t.Errorf("poll %d of a read payment not kept: %+v, %d queued", i, b, len(tx.cache.queue))
			}
		}
		p, err := tx.GetPaymentByExternalID(s.pay.ExternalID)
		if err != nil {
			return err
		}
		if p.PollCount != 2 || !p.NextPollAt.Equal(checked.Add(2*time.Minute)) || !p.LastChecked.Equal(checked) {
			t.Errorf("read in the same transaction: count %d, next %s, checked %s", p.PollCount, p.NextPollAt, p.LastChecked)
		}
		if err := tx.SchedulePoll(s.pay.ID+1000, checked, checked); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("poll of a payment that does not exist: %v", err)
		}
		return tx.SchedulePoll(s.pay.ID, checked, checked.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.db.Read(ctx, func(tx domain.ReadTx) error {
		p, err := tx.GetPaymentByExternalID(s.pay.ExternalID)
		if err != nil || p.PollCount != 3 || !p.NextPollAt.Equal(checked.Add(time.Hour)) {
			t.Errorf("committed: count %d, next %s, %v", p.PollCount, p.NextPollAt, err)
		}
		return nil
	})
}

// A kept compare-and-set that changes no row (the copy of the status was
// wrong) fails the whole transaction, also when it is found at COMMIT:
// nothing of it is kept.
func TestQueuedCompareAndSetThatLosesFailsTheTransaction(t *testing.T) {
	s := newLaterShop(t)
	ref := s.refIDs[0]
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		if err := tx.SetSetting("probe", "1"); err != nil {
			return err
		}
		tx.know("transfers", ref, string(domain.TransferApproved)) // wrong: it awaits approval
		if err := tx.MoveTransfer(ref, domain.TransferApproved, domain.TransferSending, domain.TransferPatch{}); err != nil {
			return err
		}
		_, err := tx.GetSetting("probe")
		return err
	})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a queued compare-and-set that lost: %v", err)
	}
	s.db.Read(ctx, func(tx domain.ReadTx) error {
		if _, err := tx.GetSetting("probe"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("the failed transaction's setting was kept: %v", err)
		}
		if x, _ := tx.GetTransfer(ref); x.Status != domain.TransferAwaitingApproval {
			t.Errorf("transfer moved: %s", x.Status)
		}
		return nil
	})
}

// A kept insert that the database refuses fails the transaction at the
// next statement that reads its table or at COMMIT, whichever comes first.
func TestQueuedInsertRefusedFailsTheTransaction(t *testing.T) {
	s := newLaterShop(t)
	for _, next := range []string{"statement", "commit"} {
		err := s.db.WriteTx(ctx, func(tx *Tx) error {
			if err := tx.SetSetting("probe", next); err != nil {
				return err
			}
			// No transfer 999999: the foreign key refuses it when it is sent.
			if err := tx.SaveDestination(999999, engine.Destination{Bank: "BCA", AccountNumber: "1"}, time.Now()); err != nil {
				return err
			}
			if next == "statement" {
				_, err := tx.GetDestination(1)
				if err == nil || errors.Is(err, domain.ErrNotFound) {
					t.Errorf("statement after a refused queued insert: %v", err)
				}
				return err
			}
			return nil
		})
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: refused queued insert: %v", next, err)
		}
		s.db.Read(ctx, func(tx domain.ReadTx) error {
			if _, err := tx.GetSetting("probe"); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("%s: the failed transaction's setting was kept: %v", next, err)
			}
			return nil
		})
	}
}

// What the engine reads after a prefetch is what it reads without one, in
// the same transaction, also after the transaction moved the rows.
func TestPrefetchAnswersLikeReads(t *testing.T) {
	s := newLaterShop(t)
	if err := s.db.Write(ctx, func(tx domain.Tx) error {
		for i, ref := range s.refIDs {
			x, err := tx.GetTransfer(ref)
			if err != nil {
				return err
			}
			if err := tx.(engine.DestinationTx).SaveDestination(x.ID, engine.Destination{Bank: "BCA", AccountNumber: fmt.Sprint("84100", i), AccountHolder: "ANI", Email: "ani@example.com"}, time.Now()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		X   []domain.Transfer
		D   []engine.Destination
		Ob  domain.Obligation
		P   domain.Payment
		PE  domain.Payment
		O   domain.Order
		Err error
	}
	read := func(tx *Tx) seen {
		var r seen
		for _, ref := range s.refIDs {
			x, err := tx.GetTransfer(ref)
			if err != nil {
				return seen{Err: err}
			}
			d, err := tx.GetDestination(x.ID)
			if err != nil {
				return seen{Err: err}
			}
			r.X, r.D = append(r.X, x), append(r.D, d)
		}
		var err error
		if r.Ob, err = tx.GetObligation(s.ob.ID); err != nil {
			return seen{Err: err}
		}
		if r.P, err = tx.GetPayment(s.pay.ID); err != nil {
			return seen{Err: err}
		}
		if r.PE, err = tx.GetPaymentByExternalID(s.pay.ExternalID); err != nil {
			return seen{Err: err}
		}
		if r.O, err = tx.GetOrder(s.order.ID); err != nil {
			return seen{Err: err}
		}
		return r
	}
	move := func(tx *Tx) error {
		if err := tx.MoveTransfer(s.refIDs[0], domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferPatch{ApprovedBy: "sari"}); err != nil {
			return err
		}
		if err := tx.SetObligationStatus(s.ob.ID, domain.ObligationOpen, domain.ObligationVoid); err != nil {
			return err
		}
		if err := tx.SetPaymentStatus(s.pay.ID, domain.PaymentPending, domain.PaymentSettled, 100000, "", time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)); err != nil {
			return err
		}
		return tx.SetOrderStatus(s.order.ID, s.order.Status, domain.OrderPaid)
	}
	var plain, ahead [2]seen
	for i, prefetch := range []bool{false, true} {
		err := s.db.WriteTx(ctx, func(tx *Tx) error {
			if prefetch {
				if err := tx.PrefetchTransfers(s.refIDs); err != nil {
					return err
				}
				if tx.cache.copies.obligations != nil || tx.cache.copies.dests != nil {
					t.Error("obligations or destinations read ahead before anyone asked for one")
				}
				if err := tx.PrefetchPayments([]string{s.pay.ExternalID, "PAY-NONE"}); err != nil {
					return err
				}
			}
			r := &plain
			if prefetch {
				r = &ahead
			}
			r[0] = read(tx)
			if err := move(tx); err != nil {
				return err
			}
			r[1] = read(tx)
			return errors.New("roll back")
		})
		if err == nil || err.Error() != "roll back" {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if plain[0].Err != nil || plain[1].Err != nil {
		t.Fatalf("reads: %v, %v", plain[0].Err, plain[1].Err)
	}
	if plain[1].X[0].Status != domain.TransferApproved || plain[1].Ob.Status != domain.ObligationVoid || plain[1].P.Status != domain.PaymentSettled {
		t.Fatalf("moves not seen: %+v", plain[1])
	}
	for i := range plain {
		// The transaction time differs between the runs.
		for j := range plain[i].X {
			plain[i].X[j].UpdatedAt, ahead[i].X[j].UpdatedAt = time.Time{}, time.Time{}
		}
		if !reflect.DeepEqual(plain[i], ahead[i]) {
			t.Errorf("read %d after a prefetch differs:\nwithout %+v\nwith    %+v", i, plain[i], ahead[i])
		}
	}
}

// QueueMail keeps the first mail of a key, like EnqueueMail, within a
// transaction and across transactions.
func TestQueueMail(t *testing.T) {
	s := newLaterShop(t)
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	m := engine.Mail{Kind: engine.MailBuyerPaid, To: "a@example.com", Lang: "id", Key: "buyer.paid:PAY-1", NextAt: now, CreatedAt: now,
		Data: map[string]string{"order": "INV-1"}}
	for range 2 {
		if err := s.db.Write(ctx, func(tx domain.Tx) error {
			if err := tx.(engine.MailQueuer).QueueMail(m); err != nil {
				return err
			}
			again := m
			again.To = "other@example.com"
			return tx.(engine.MailQueuer).QueueMail(again)
		}); err != nil {
			t.Fatal(err)
		}
	}
	s.db.Read(ctx, func(tx domain.ReadTx) error {
		due, err := tx.(*Tx).DueMail(now, 10)
		if err != nil || len(due) != 1 || due[0].To != "a@example.com" || due[0].Data["order"] != "INV-1" || due[0].ID == 0 {
			t.Errorf("due = %+v, %v", due, err)
		}
		return nil
	})
}

// Many audit entries and postings in one transaction are sent together and
// read back in order, the chain intact.
func TestKeptRowsReadBack(t *testing.T) {
	s := newLaterShop(t)
	var ids []int64
	err := s.db.Write(ctx, func(tx domain.Tx) error {
		for i := range 300 {
			if err := tx.AppendAudit(&domain.AuditEntry{Actor: "engine", Action: "test", Subject: fmt.Sprint(i), Detail: "bad \xff byte\x00"}); err != nil {
				return err
			}
			p := domain.Posting{Ref: fmt.Sprint("P", i), Lines: []domain.PostingLine{{Account: "a", Amount: domain.Rupiah(i + 1)}, {Account: "b", Amount: -domain.Rupiah(i + 1)}}}
			if err := tx.Post(&p); err != nil {
				return err
			}
			ids = append(ids, p.ID)
		}
		// Read in the same transaction: everything kept is sent first.
		es, err := tx.ListAudit(0, 0)
		if err != nil || len(es) != 300 {
			return fmt.Errorf("audit in the transaction: %d, %v", len(es), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.db.Read(ctx, func(tx domain.ReadTx) error {
		ps, err := tx.ListPostings("")
		if err != nil || len(ps) != 300 {
			t.Fatalf("postings: %d, %v", len(ps), err)
		}
		for i, p := range ps {
			if p.ID != ids[i] || p.Ref != fmt.Sprint("P", i) || len(p.Lines) != 2 || p.Lines[0].Amount != domain.Rupiah(i+1) {
				t.Fatalf("posting %d: %+v", i, p)
			}
		}
		es, err := tx.ListAudit(0, 0)
		if err != nil || len(es) != 300 {
			t.Fatalf("audit: %d, %v", len(es), err)
		}
		if es[299].Subject != "299" || es[299].Seq != 300 || es[0].Detail != "bad \uFFFD byte" {
			t.Errorf("audit read back: first %+v last %+v", es[0], es[299])
		}
		for i := 1; i < len(es); i++ {
			if es[i].Seq != es[i-1].Seq+1 || es[i].PrevHash != es[i-1].Hash || es[i].Hash == "" {
				t.Fatalf("chain broken at %d: %+v after %+v", i, es[i], es[i-1])
			}
		}
		return nil
	})
}

// QueueTransfer refuses a REFID queued in the same transaction at once; a
// REFID already in the table fails the transaction with
// ErrDuplicateRefID when the insert is sent, and nothing of it is kept.
func TestQueueTransferDuplicateRefID(t *testing.T) {
	s := newLaterShop(t)
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		a := domain.Transfer{RefID: "LNS-Q1", ObligationID: s.ob.ID, PayeeID: s.payee.ID, Channel: "xendit", Amount: 1000, CreatedBy: "engine"}
		if err := tx.QueueTransfer(&a); err != nil || a.ID == 0 {
			return fmt.Errorf("queue: id %d, %w", a.ID, err)
		}
		b := a
		if err := tx.QueueTransfer(&b); !errors.Is(err, domain.ErrDuplicateRefID) {
			t.Errorf("same REFID twice in a transaction: %v", err)
		}
		x, err := tx.GetTransfer("LNS-Q1")
		if err != nil || x.ID != a.ID || x.Amount != 1000 {
			t.Errorf("queued transfer read back: %+v, %v", x, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, then := range []string{"read", "commit"} {
		err = s.db.WriteTx(ctx, func(tx *Tx) error {
			if err := tx.SetSetting("probe", then); err != nil {
				return err
			}
			x := domain.Transfer{RefID: s.refIDs[0], PayeeID: s.payee.ID, Channel: "xendit", Amount: 1000, CreatedBy: "engine"}
			if err := tx.QueueTransfer(&x); err != nil {
				return err
			}
			if then == "read" {
				_, err := tx.GetTransfer("LNS-Q1")
				return err
			}
			return nil
		})
		if !errors.Is(err, domain.ErrDuplicateRefID) {
			t.Errorf("%s: REFID already in the table: %v", then, err)
		}
	}
	s.db.Read(ctx, func(tx domain.ReadTx) error {
		if _, err := tx.GetSetting("probe"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("the failed transaction's setting was kept: %v", err)
		}
		return nil
	})
}

// A *Tx used after its transaction ended refuses every statement and every
// kept row: it would run outside any transaction and without the writer
// lock.
func TestEndedTransactionRefusesStatements(t *testing.T) {
	s := newLaterShop(t)
	ref := s.refIDs[0]
	var kept *Tx
	if err := s.db.WriteTx(ctx, func(tx *Tx) error {
		kept = tx
		_, err := tx.GetTransfer(ref) // its status is now known
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := kept.SetSetting("escaped", "1"); !errors.Is(err, ErrTxDone) {
		t.Errorf("SetSetting after the end: %v", err)
	}
	if err := kept.MoveTransfer(ref, domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferPatch{ApprovedBy: "ghost"}); !errors.Is(err, ErrTxDone) {
		t.Errorf("kept compare-and-set after the end: %v", err)
	}
	if _, err := kept.GetTransfer(ref); !errors.Is(err, ErrTxDone) {
		t.Errorf("read after the end: %v", err)
	}
	var readTx *Tx
	s.db.Read(ctx, func(tx domain.ReadTx) error { readTx = tx.(*Tx); return nil })
	if _, err := readTx.GetSetting("escaped"); !errors.Is(err, ErrTxDone) {
		t.Errorf("read transaction after the end: %v", err)
	}
	s.db.Read(ctx, func(tx domain.ReadTx) error {
		if _, err := tx.GetSetting("escaped"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("a write through an ended transaction was stored: %v", err)
		}
		if x, _ := tx.GetTransfer(ref); x.Status != domain.TransferAwaitingApproval {
			t.Errorf("transfer moved through an ended transaction: %s", x.Status)
		}
		return nil
	})
}

// A transaction whose ROLLBACK cannot run (rows left open) does not give
// its connection back to the pool still holding the writer lock: another
// process writes at once.
func TestFailedRollbackDropsTheConnection(t *testing.T) {
	url := newDatabase(t)
	a := openTest(t, url, Options{})
	b := openTest(t, url, Options{LockTimeout: 2 * time.Second})
	boom := errors.New("boom")
	err := a.WriteTx(ctx, func(tx *Tx) error {
		raw, c := tx.SQL()
		rows, err := raw.QueryContext(c, "SELECT generate_series(1, 100000)")
		if err != nil {
			return err
		}
		_ = rows // left open, as a forgotten Close on an error path would
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("first write: %v", err)
	}
	if err := b.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting("b", "1") }); err != nil {
		t.Errorf("the writer lock stayed held by a pooled connection: %v", err)
	}
}

// Table names are matched whatever their case: a statement that spells a
// table in capitals drops the copies of its rows, and so does every raw
// statement (Tx.SQL), whatever it names.
func TestStatementInCapitalsDropsCopies(t *testing.T) {
	s := newLaterShop(t)
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		raw, c := tx.SQL()
		for i, update := range []func(ch string) error{
			func(ch string) error {
				_, err := tx.exec("UPDATE PAYEES SET channel = ? WHERE id = ?", ch, s.payee.ID)
				return err
			},
			func(ch string) error {
				_, err := raw.ExecContext(c, "UPDATE \"payees\" SET channel = $1 WHERE id = $2", ch, s.payee.ID)
				return err
			},
		} {
			if _, err := tx.GetPayee(s.payee.ID); err != nil {
				return err
			}
			ch := fmt.Sprint("BANK", i)
			if err := update(ch); err != nil {
				return err
			}
			p, err := tx.GetPayee(s.payee.ID)
			if err != nil {
				return err
			}
			if p.Channel != ch {
				t.Errorf("update %d: payee read after it in the same transaction: channel %q, the database says %s", i, p.Channel, ch)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Whenever a write's context ends while it commits, Write either says it
// failed and nothing was stored, or says the server's answer is not known
// (UnavailableError, Op "commit"): a stored change is never reported as
// simply failed. The cancels land at varying points; the property holds at
// every one.
func TestCancelledCommitIsNeverAPlainFailure(t *testing.T) {
	s := newLaterShop(t)
	for i := range 100 {
		val := fmt.Sprint("v", i)
		c, cancel := context.WithCancel(context.Background())
		err := s.db.WriteTx(c, func(tx *Tx) error {
			if err := tx.SetSetting("probe", val); err != nil {
				return err
			}
			go func() { time.Sleep(time.Duration(i%40) * 25 * time.Microsecond); cancel() }()
			return nil
		})
		cancel()
		if err == nil {
			continue
		}
		var got string
		s.db.Read(ctx, func(tx domain.ReadTx) error { got, _ = tx.GetSetting("probe"); return nil })
		var ue *UnavailableError
		if got == val && !(errors.As(err, &ue) && ue.Op == "commit") {
			t.Fatalf("try %d: stored, yet Write said it failed: %v", i, err)
		}
	}
}

// The prefetch opens no buyer email: an order whose sealed email cannot be
// opened fails only a read of that order, not the batch.
func TestPrefetchLeavesEmailsSealed(t *testing.T) {
	s := newLaterShop(t)
	var o domain.Order
	if err := s.db.Write(ctx, func(tx domain.Tx) error {
		o = domain.Order{ExternalID: "INV-2", Source: "test", BuyerName: "Rina", BuyerEmail: "rina@example.com",
			Items: []domain.OrderItem{{Name: "Kaos", Qty: 1, UnitPrice: 50000}}}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		return tx.CreatePayment(&domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: "PAY-2", Amount: 50000})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.SQL().ExecContext(ctx, "UPDATE orders SET buyer_email_sealed = '\\x00112233'::bytea WHERE id = $1", o.ID); err != nil {
		t.Fatal(err)
	}
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		if err := tx.PrefetchPayments([]string{"PAY-1", "PAY-2"}); err != nil {
			return fmt.Errorf("prefetch: %w", err)
		}
		if _, err := tx.GetOrder(s.order.ID); err != nil {
			t.Errorf("the other order: %v", err)
		}
		if _, err := tx.GetOrder(o.ID); err == nil {
			t.Error("an order whose email cannot be opened was read without an error")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// A transfer's destination reads back as written, needs the key, and is
// written once.
func testDestinations(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	const acct, holder = "7788990011223", "Ratna Sulistyowati"
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	other := s.Transfer
	other.ID, other.RefID = 0, "LNS-NOACCT"
	e.write(func(tx Tx) error {
		if err := tx.SaveDestination(s.Transfer.ID, engine.Destination{Bank: "BCA", AccountNumber: acct, AccountHolder: holder, Email: "r@example.com"}, at); err != nil {
			return err
		}
		if err := tx.CreateTransfer(&other); err != nil {
			return err
		}
		return tx.SaveDestination(other.ID, engine.Destination{Bank: "BNI"}, at) // no account: the gateway refuses it later
	})
	e.read(func(tx Tx) error {
		d, err := tx.GetDestination(s.Transfer.ID)
		if err != nil || d.AccountNumber != acct || d.AccountHolder != holder || d.Bank != "BCA" || d.Email != "r@example.com" {
			t.Errorf("GetDestination = %+v, %v", d, err)
		}
		if d, err := tx.GetDestination(other.ID); err != nil || d != (engine.Destination{Bank: "BNI"}) {
			t.Errorf("destination without account = %+v, %v", d, err)
		}
		if _, err := tx.GetDestination(s.Transfer.ID + 99); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing destination: %v", err)
		}
		// In one go: the same answers, the missing one absent.
		all, err := tx.GetDestinations([]int64{other.ID, s.Transfer.ID + 99, s.Transfer.ID})
		if err != nil || len(all) != 2 || all[other.ID] != (engine.Destination{Bank: "BNI"}) || all[s.Transfer.ID] != d {
			t.Errorf("GetDestinations = %+v, %v; want %+v and a bank-only one", all, err, d)
		}
		return nil
	})
	if err := e.tryWrite(func(tx Tx) error {
		return tx.SaveDestination(s.Transfer.ID, engine.Destination{Bank: "BNI", AccountNumber: "1"}, at)
	}); err == nil {
		t.Error("a transfer's destination was replaced")
	}
	locked := e.open(Options{})
	if err := locked.Read(ctx, func(tx domain.ReadTx) error {
		return errOnly(tx.(Tx).GetDestination(s.Transfer.ID))
	}); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("destination without the key: %v", err)
	}
	if err := locked.Read(ctx, func(tx domain.ReadTx) error {
		return errOnly(tx.(Tx).GetDestinations([]int64{s.Transfer.ID}))
	}); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("destinations without the key: %v", err)
	}
}

// Conflicts: one open per transfer, listed, resolved once.
func testConflicts(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	c := engine.Conflict{RefID: s.Transfer.RefID, Stored: domain.TransferFailed, News: domain.OutcomeSucceeded, Detail: "x", At: at}
	e.write(func(tx Tx) error {
		if err := tx.RecordConflict(c); err != nil {
			return err
		}
		c2 := c
		c2.Detail = "second"
		return tx.RecordConflict(c2) // a repeat keeps the first
	})
	var open []engine.Conflict
	e.read(func(tx Tx) error {
		var err error
		open, err = tx.OpenConflicts(s.Transfer.RefID, "LNS-OTHER")
		return err
	})
	if len(open) != 1 || open[0] != c {
		t.Fatalf("open = %+v", open)
	}
	e.write(func(tx Tx) error { return tx.ResolveConflict(s.Transfer.RefID, "sari", "checked", at) })
	if err := e.tryWrite(func(tx Tx) error { return tx.ResolveConflict(s.Transfer.RefID, "sari", "again", at) }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("second resolve: %v", err)
	}
	e.read(func(tx Tx) error {
		open, _ = tx.OpenConflicts()
		return nil
	})
	if len(open) != 0 {
		t.Errorf("still open: %+v", open)
	}
	// A new conflict after the first was resolved opens again.
	e.write(func(tx Tx) error { return tx.RecordConflict(c) })
	e.read(func(tx Tx) error {
		open, _ = tx.OpenConflicts()
		return nil
	})
	if len(open) != 1 {
		t.Errorf("reopened conflicts: %+v", open)
	}
}

// The reversal watch's schedule round-trips, and pruning forgets exactly the
// points of transfers that are no longer succeeded or left the watch period.
func testWatchPoints(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	e := newEnv(t, b, at.Add(-8*24*time.Hour))
	s := e.seed()
	succeed := func(ref string, reverse bool) {
		t.Helper()
		e.write(func(tx Tx) error {
			if ref != s.Transfer.RefID {
				tr := s.Transfer
				tr.ID, tr.RefID = 0, ref
				if err := tx.CreateTransfer(&tr); err != nil {
					return err
				}
			}
			path := []domain.TransferStatus{domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferSending, domain.TransferSucceeded}
			if reverse {
				path = append(path, domain.TransferReversed)
			}
			for i := 1; i < len(path); i++ {
				if err := tx.MoveTransfer(ref, path[i-1], path[i], domain.TransferPatch{}); err != nil {
					return err
				}
			}
			return tx.SetWatchPoint(ref, engine.WatchPoint{Next: e.clock.Now().Add(time.Hour).Truncate(time.Microsecond), Tries: 2})
		})
	}
	succeed("LNS-3", false) // left: succeeded before the watch period
	e.clock.Add(8 * 24 * time.Hour)
	succeed(s.Transfer.RefID, false) // watched
	succeed("LNS-2", true)           // left: no longer succeeded
	refs := []string{s.Transfer.RefID, "LNS-2", "LNS-3", "LNS-none"}
	read := func() map[string]engine.WatchPoint {
		var m map[string]engine.WatchPoint
		e.read(func(tx Tx) error {
			var err error
			m, err = tx.WatchPoints(refs)
			return err
		})
		return m
	}
	want := engine.WatchPoint{Next: e.clock.Now().Add(time.Hour).Truncate(time.Microsecond), Tries: 2}
	if m := read(); len(m) != 3 || m[s.Transfer.RefID] != want {
		t.Fatalf("stored points: %+v", m)
	}
	e.write(func(tx Tx) error { // an update replaces the point
		return tx.SetWatchPoint(s.Transfer.RefID, engine.WatchPoint{Next: want.Next.Add(time.Hour), Tries: 3})
	})
	e.write(func(tx Tx) error { return tx.PruneWatch(e.clock.Now().Add(-7 * 24 * time.Hour)) })
	if m := read(); len(m) != 1 || m[s.Transfer.RefID].Tries != 3 || !m[s.Transfer.RefID].Next.Equal(want.Next.Add(time.Hour)) {
		t.Fatalf("after pruning: %+v, want only %s", m, s.Transfer.RefID)
	}
	e.read(func(tx Tx) error {
		recent, err := tx.ListTransfersUpdatedSince(domain.TransferSucceeded, e.clock.Now().Add(-time.Hour), 10)
		if err != nil || !slices.Equal(refids(recent), []string{s.Transfer.RefID}) {
			t.Errorf("recent successes = %v, %v", refids(recent), err)
		}
		return nil
	})
	// Many refs at once (chunked queries).
	many := make([]string, 1200)
	for i := range many {
		many[i] = s.Transfer.RefID
	}
	e.read(func(tx Tx) error {
		if m, err := tx.WatchPoints(many); err != nil || len(m) != 1 {
			t.Errorf("1200 refs: %d, %v", len(m), err)
		}
		return nil
	})
}

func testOutbox(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	now := day0.Truncate(time.Microsecond)
	m := engine.Mail{Kind: engine.MailBuyerPaid, To: "a@example.com", Name: "Andi", Lang: "id",
		Data: map[string]string{"order": "INV-1", "amount": "Rp320.000"}, Key: "buyer.paid:PAY-1", NextAt: now, CreatedAt: now}
	e.write(func(tx Tx) error {
		if err := tx.EnqueueMail(&m); err != nil {
			return err
		}
		again := m
		again.ID, again.To = 0, "other@example.com"
		if err := tx.EnqueueMail(&again); err != nil { // a retried settlement: kept as it was
			return err
		}
		if again.ID != 0 {
			t.Errorf("duplicate mail got id %d", again.ID)
		}
		later := engine.Mail{Kind: engine.MailPayeePaid, To: "r@example.com", Key: "payee.paid:LNS-1", NextAt: now.Add(time.Hour), CreatedAt: now}
		return tx.EnqueueMail(&later)
	})
	if m.ID == 0 {
		t.Fatal("queued mail has no id")
	}
	var due []engine.Mail
	e.read(func(tx Tx) error {
		var err error
		due, err = tx.DueMail(now, 10)
		return err
	})
	if len(due) != 1 || due[0].ID != m.ID || due[0].To != "a@example.com" || due[0].Data["amount"] != "Rp320.000" || !due[0].NextAt.Equal(now) {
		t.Fatalf("due = %+v", due)
	}
	e.write(func(tx Tx) error { return tx.MarkMailFailed(m.ID, strings.Repeat("x", 900), now.Add(time.Minute)) })
	e.read(func(tx Tx) error {
		due, _ = tx.DueMail(now.Add(2*time.Hour), 0)
		return nil
	})
	if len(due) != 2 || due[0].Attempts != 1 || len(due[0].LastError) != 500 {
		t.Fatalf("after a failure: %+v", due)
	}
	e.write(func(tx Tx) error { return tx.MarkMailSent(m.ID, now.Add(2*time.Minute)) })
	e.read(func(tx Tx) error {
		q, sent, err := tx.MailStats()
		if err != nil || q != 1 || sent != 1 {
			t.Errorf("stats = %d queued, %d sent, %v", q, sent, err)
		}
		return nil
	})
}

// Queries the engine's loops run.
func testEngineQueries(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	s := e.seed()
	e.write(func(tx Tx) error {
		for i, st := range []domain.TransferStatus{domain.TransferApproved, domain.TransferSucceeded, domain.TransferApproved} {
			x := domain.Transfer{RefID: "Q-" + string(rune('a'+i)), PayeeID: s.Payee.ID, Amount: 100, Status: st}
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
		}
		for i, g := range []string{"xendit", "xendit", "midtrans"} {
			e.clock.Add(time.Minute)
			p := domain.Payment{OrderID: s.Order.ID, Gateway: g, ExternalID: "S-" + string(rune('a'+i)), Amount: 100, CreatedAt: e.clock.Now()}
			if err := tx.CreatePayment(&p); err != nil {
				return err
			}
		}
		// A closed payment with a final check due.
		p, err := tx.GetPaymentByExternalID("S-b")
		if err != nil {
			return err
		}
		if err := tx.SetPaymentStatus(p.ID, domain.PaymentPending, domain.PaymentExpired, 0, "", time.Time{}); err != nil {
			return err
		}
		return tx.SchedulePoll(p.ID, day0, day0.Add(time.Hour))
	})
	e.read(func(tx Tx) error {
		q, err := tx.ListTransfersOldestFirst([]domain.TransferStatus{domain.TransferApproved}, 10)
		if err != nil || !slices.Equal(refids(q), []string{"Q-a", "Q-c"}) {
			t.Errorf("queue = %v, %v", refids(q), err)
		}
		if q, _ := tx.ListTransfersOldestFirst([]domain.TransferStatus{domain.TransferApproved, domain.TransferAwaitingApproval}, 2); !slices.Equal(refids(q), []string{"LNS-1", "Q-a"}) {
			t.Errorf("queue of two = %v", refids(q))
		}
		oldest, newest, n, err := tx.PendingSpan("xendit")
		if err != nil || n != 2 || !oldest.Equal(s.Payment.CreatedAt) || !newest.Equal(day0.Add(time.Minute).Truncate(time.Microsecond)) {
			t.Errorf("xendit span = %v..%v (%d), %v", oldest, newest, n, err)
		}
		if o, nw, n, err := tx.PendingSpan("doku"); err != nil || n != 0 || !o.IsZero() || !nw.IsZero() {
			t.Errorf("empty span = %v..%v (%d), %v", o, nw, n, err)
		}
		fc, err := tx.ListPaymentsFinalCheck(domain.PaymentExpired, day0.Add(2*time.Hour), 10)
		if err != nil || len(fc) != 1 || fc[0].ExternalID != "S-b" {
			t.Errorf("final checks = %+v, %v", fc, err)
		}
		if fc, _ := tx.ListPaymentsFinalCheck(domain.PaymentExpired, day0, 10); len(fc) != 0 {
			t.Errorf("final check not yet due: %+v", fc)
		}
		return nil
	})
}

package sqlite

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// A transfer's destination is sealed at rest (never plaintext), bound to its
// row, and reads back as written.
func TestDestinationSealedAndBoundToItsTransfer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lunas.db")
	c := newGCM(t)
	db := openTest(t, path, Options{Cipher: c})
	s := makeSeed(t, db)
	const acct, holder = "7788990011223", "Ratna Sulistyowati"
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	write(t, db, func(tx domain.Tx) error {
		return tx.(*Tx).SaveDestination(s.transfer.ID, engine.Destination{Bank: "BCA", AccountNumber: acct, AccountHolder: holder, Email: "r@example.com"}, at)
	})
	db.Read(ctx, func(tx domain.ReadTx) error {
		d, err := tx.(*Tx).GetDestination(s.transfer.ID)
		if err != nil || d.AccountNumber != acct || d.AccountHolder != holder || d.Bank != "BCA" || d.Email != "r@example.com" {
			t.Errorf("GetDestination = %+v, %v", d, err)
		}
		if _, err := tx.(*Tx).GetDestination(s.transfer.ID + 99); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing destination: %v", err)
		}
		return nil
	})
	// Written once: a second destination for the same transfer is refused.
	if err := db.Write(ctx, func(tx domain.Tx) error {
		return tx.(*Tx).SaveDestination(s.transfer.ID, engine.Destination{Bank: "BNI", AccountNumber: "1"}, at)
	}); err == nil {
		t.Error("a transfer's destination was replaced")
	}
	db.Close()
	for _, name := range []string{"lunas.db", "lunas.db-wal"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		for _, p := range []string{acct, holder} {
			if bytes.Contains(raw, []byte(p)) {
				t.Errorf("%s holds %q in plain text", name, p)
			}
		}
	}
}

// Conflicts: one open per transfer, listed, resolved once.
func TestConflictsOpenListResolve(t *testing.T) {
	db := openTest(t, "", Options{Cipher: newGCM(t)})
	s := makeSeed(t, db)
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	c := engine.Conflict{RefID: s.transfer.RefID, Stored: domain.TransferFailed, News: domain.OutcomeSucceeded, Detail: "x", At: at}
	write(t, db, func(tx domain.Tx) error {
		if err := tx.(*Tx).RecordConflict(c); err != nil {
			return err
		}
		return tx.(*Tx).RecordConflict(c) // a repeat keeps the first
	})
	var open []engine.Conflict
	db.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		open, err = tx.(*Tx).OpenConflicts(s.transfer.RefID, "LNS-OTHER")
		return err
	})
	if len(open) != 1 || open[0].RefID != s.transfer.RefID || open[0].News != domain.OutcomeSucceeded || !open[0].At.Equal(at) {
		t.Fatalf("open = %+v", open)
	}
	write(t, db, func(tx domain.Tx) error { return tx.(*Tx).ResolveConflict(s.transfer.RefID, "sari", "checked", at) })
	if err := db.Write(ctx, func(tx domain.Tx) error { return tx.(*Tx).ResolveConflict(s.transfer.RefID, "sari", "again", at) }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("second resolve: %v", err)
	}
	db.Read(ctx, func(tx domain.ReadTx) error {
		open, _ = tx.(*Tx).OpenConflicts()
		return nil
	})
	if len(open) != 0 {
		t.Errorf("still open: %+v", open)
	}
}

// The reversal watch's schedule round-trips, and pruning forgets exactly the
// points of transfers that are no longer succeeded or left the watch period.
func TestWatchPointsRoundTripAndPrune(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "lunas.db"), Options{Cipher: newGCM(t)})
	s := makeSeed(t, db)
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	set := func(ref, status string, updated time.Time) {
		t.Helper()
		err := db.WriteTx(ctx, func(tx *Tx) error {
			if ref != s.transfer.RefID {
				tr := s.transfer
				tr.ID, tr.RefID = 0, ref
				if err := tx.CreateTransfer(&tr); err != nil {
					return err
				}
			}
			if _, err := tx.exec("UPDATE transfers SET status = ?, updated_at = ? WHERE refid = ?", status, micros(updated), ref); err != nil {
				return err
			}
			return tx.SetWatchPoint(ref, engine.WatchPoint{Next: updated.Add(time.Hour), Tries: 2})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	set(s.transfer.RefID, "succeeded", at)             // watched
	set("LNS-2", "reversed", at)                       // left: no longer succeeded
	set("LNS-3", "succeeded", at.Add(-8*24*time.Hour)) // left: succeeded before the watch period
	refs := []string{s.transfer.RefID, "LNS-2", "LNS-3", "LNS-none"}
	read := func() map[string]engine.WatchPoint {
		var m map[string]engine.WatchPoint
		if err := db.Read(ctx, func(tx domain.ReadTx) error {
			var err error
			m, err = tx.(*Tx).WatchPoints(refs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := read(); len(m) != 3 || m[s.transfer.RefID] != (engine.WatchPoint{Next: at.Add(time.Hour), Tries: 2}) {
		t.Fatalf("stored points: %+v", m)
	}
	if err := db.WriteTx(ctx, func(tx *Tx) error { return tx.PruneWatch(at.Add(-7 * 24 * time.Hour)) }); err != nil {
		t.Fatal(err)
	}
	if m := read(); len(m) != 1 || m[s.transfer.RefID].Tries != 2 {
		t.Fatalf("after pruning: %+v, want only %s", m, s.transfer.RefID)
	}
}

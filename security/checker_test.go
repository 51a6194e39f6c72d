package security

import (
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// assess runs the checker for a new transfer and, like the engine, stores
// the transfer in the same transaction with the chosen status.
func (f *fixture) assess(ob domain.Obligation, refID string, amount domain.Rupiah) (engine.Assessment, []domain.Flag) {
	f.t.Helper()
	var a engine.Assessment
	c := f.svc.Checker()
	err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		t := domain.Transfer{RefID: refID, ObligationID: ob.ID, PayeeID: ob.PayeeID, Channel: "xendit", Amount: amount,
			CreatedBy: "engine", CreatedAt: f.clk.Now()}
		var err error
		if a, err = c.Assess(f.ctx, tx, t); err != nil {
			return err
		}
		t.Status = domain.TransferApproved
		if a.Hold || a.Block {
			t.Status = domain.TransferAwaitingApproval
		}
		return tx.CreateTransfer(&t)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	fl, err := f.svc.ListFlags(f.ctx, domain.EngineActor, "", refID, domain.Page{})
	if err != nil {
		f.t.Fatal(err)
	}
	return a, fl
}

func (f *fixture) succeed(refID string) {
	f.t.Helper()
	err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		tr, err := tx.GetTransfer(refID)
		if err != nil {
			return err
		}
		if tr.Status == domain.TransferAwaitingApproval {
			if err := tx.MoveTransfer(refID, tr.Status, domain.TransferApproved, domain.TransferPatch{}); err != nil {
				return err
			}
		}
		if err := tx.MoveTransfer(refID, domain.TransferApproved, domain.TransferSending, domain.TransferPatch{}); err != nil {
			return err
		}
		return tx.MoveTransfer(refID, domain.TransferSending, domain.TransferSucceeded, domain.TransferPatch{})
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func rules(fl []domain.Flag) string {
	var s []string
	for _, x := range fl {
		s = append(s, x.Rule)
	}
	return strings.Join(s, ",")
}

func TestCheckerFlagsFromStoreFacts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	p := f.payee("Siti Aminah", "1234567890", "SITI AMINAH")

	// First payout to a new payee: held, one flag with both languages.
	ob1 := f.settled("o1", p.ID, 2_000_000, 1_500_000)
	a, fl := f.assess(ob1, "R-1", 1_500_000)
	if !a.Hold || a.Block || rules(fl) != "first_payout" {
		t.Fatalf("first payout: %+v flags %s", a, rules(fl))
	}
	if fl[0].ReasonID == "" || fl[0].ReasonEN == "" || !strings.Contains(fl[0].Evidence, "••••7890") || strings.Contains(fl[0].Evidence, "1234567890") {
		t.Fatalf("flag text: %+v", fl[0])
	}
	f.succeed("R-1")

	// Second payout to the same account: clean.
	f.clk.Add(2 * time.Hour)
	ob2 := f.settled("o2", p.ID, 1_000_000, 800_000)
	if a, fl := f.assess(ob2, "R-2", 800_000); a.Hold || len(fl) != 0 {
		t.Fatalf("second payout held: %+v %s", a, rules(fl))
	}
	f.succeed("R-2")

	// Payout above what was settled for the order: hard block.
	f.clk.Add(2 * time.Hour)
	ob3 := f.settled("o3", p.ID, 1_000_000, 900_000)
	if a, fl := f.assess(ob3, "R-3", 1_000_001); !a.Block || !strings.Contains(rules(fl), "over_settled") {
		t.Fatalf("over settled: %+v %s", a, rules(fl))
	}

	// The account number changes: the next payout is held.
	f.clk.Add(2 * time.Hour)
	err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		q, err := tx.GetPayee(p.ID)
		if err != nil {
			return err
		}
		q.AccountNumber = "5550001111"
		return tx.UpdatePayee(&q)
	})
	if err != nil {
		t.Fatal(err)
	}
	ob4 := f.settled("o4", p.ID, 500_000, 400_000)
	if a, fl := f.assess(ob4, "R-4", 400_000); !a.Hold || rules(fl) != "account_changed" {
		t.Fatalf("changed account: %+v %s", a, rules(fl))
	}

	// Watchlist hit on the payee name, after an import.
	if _, err := f.svc.ImportWatchlist(f.ctx, owner, "dttot.csv", strings.NewReader("Nama;Tanggal Lahir\nSiti Aminah alias Siti A;1 Januari 1980\n")); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(2 * time.Hour)
	ob5 := f.settled("o5", p.ID, 300_000, 200_000)
	a, fl = f.assess(ob5, "R-5", 200_000)
	if !a.Hold || !strings.Contains(rules(fl), "watchlist") {
		t.Fatalf("watchlist: %+v %s", a, rules(fl))
	}

	// The owner resolves: a blocking flag cannot be cleared, a note is required.
	var blockID, watchID int64
	all, _ := f.svc.ListFlags(f.ctx, owner, domain.FlagOpen, "", domain.Page{})
	for _, x := range all {
		switch x.Rule {
		case "over_settled":
			blockID = x.ID
		case "watchlist":
			watchID = x.ID
		}
	}
	if err := f.svc.ResolveFlag(f.ctx, owner, blockID, domain.FlagCleared, "looks fine"); err == nil {
		t.Fatal("a blocking flag was cleared")
	}
	if err := f.svc.ResolveFlag(f.ctx, owner, watchID, domain.FlagCleared, ""); err == nil {
		t.Fatal("cleared without a note")
	}
	if err := f.svc.ResolveFlag(f.ctx, owner, watchID, domain.FlagCleared, "different person, checked KTP"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ResolveFlag(f.ctx, owner, watchID, domain.FlagRejected, "again"); err == nil {
		t.Fatal("a resolved flag was resolved again")
	}
	var csv strings.Builder
	if err := f.svc.ExportFlags(f.ctx, owner, "", &csv); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csv.String(), "\n"); n < 5 || !strings.Contains(csv.String(), "different person, checked KTP") {
		t.Fatalf("flag export:\n%s", csv.String())
	}
}

func TestRejectingAFlagRejectsTheTransfer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	eng, err := engine.New(engine.Config{Store: f.db, Codes: f.svc, Risk: f.svc.Checker(), Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.SetRejecter(eng)
	p := f.payee("Siti Aminah", "1234567890", "BUDI SANTOSO")
	ob := f.settled("o1", p.ID, 2_000_000, 1_500_000)
	a, fl := f.assess(ob, "R-1", 1_500_000)
	if !a.Hold || len(fl) != 2 {
		t.Fatalf("want first_payout and name_mismatch: %+v %s", a, rules(fl))
	}
	for _, r := range a.Reasons {
		if strings.Contains(r, "Siti") || strings.Contains(r, "BUDI") {
			t.Fatalf("hold reason carries a name: %q", r)
		}
	}
	if err := f.svc.ResolveFlag(f.ctx, owner, fl[0].ID, domain.FlagRejected, "holder is someone else"); err != nil {
		t.Fatal(err)
	}
	var tr domain.Transfer
	f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { tr, err = tx.GetTransfer("R-1"); return err })
	if tr.Status != domain.TransferRejected {
		t.Fatalf("transfer status %s, want rejected", tr.Status)
	}
	open, _ := f.svc.ListFlags(f.ctx, owner, domain.FlagOpen, "R-1", domain.Page{})
	if len(open) != 0 {
		t.Fatalf("other flags of the rejected transfer still open: %s", rules(open))
	}
}

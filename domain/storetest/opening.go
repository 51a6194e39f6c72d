package storetest

import (
	"errors"
	"sync"
	"testing"

	"lunas/domain"
)

// testOpening: a channel's opening balance is booked once (domain.RecordOpening),
// never twice, even by two handles racing on one database, and the store
// itself refuses a second "opening:" posting; a channel through which money
// already moved gets none.
func testOpening(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	record := func(db domain.Store, ch string, bal domain.Rupiah) (domain.OpeningOutcome, error) {
		var out domain.OpeningOutcome
		err := db.Write(ctx, func(tx domain.Tx) error {
			var err error
			out, err = domain.RecordOpening(tx, ch, bal, e.clock.Now())
			return err
		})
		return out, err
	}
	cases := []struct {
		channel string
		balance domain.Rupiah
		want    domain.OpeningOutcome
	}{
		{"iris", 1_000_000_000, domain.OpeningRecorded},
		{"iris", 999_000_000, domain.OpeningExists}, // a later balance changes nothing
		{"h2h:pulsa", 0, domain.OpeningZero},
		{"h2h:pulsa", 250_000, domain.OpeningRecorded}, // topped up before any use
		{"h2h:pulsa", 250_000, domain.OpeningExists},
	}
	for _, c := range cases {
		if got, err := record(e.db, c.channel, c.balance); err != nil || got != c.want {
			t.Fatalf("RecordOpening(%s, %d) = %v, %v; want %v", c.channel, c.balance, got, err, c.want)
		}
	}
	// The store refuses a second opening posting whoever writes it.
	dup := domain.OpeningPosting("iris", 5, e.clock.Now())
	if err := e.tryWrite(func(tx Tx) error { return tx.Post(&dup) }); !errors.Is(err, domain.ErrDuplicate) {
		t.Fatalf("second opening posting for iris: %v, want ErrDuplicate", err)
	}
	// Two handles on one database race to record doku's: one posting.
	other := e.open(Options{Cipher: e.ciph, Now: e.clock.Now})
	var wg sync.WaitGroup
	outs := make([]domain.OpeningOutcome, 6)
	errs := make([]error, len(outs))
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = record([]domain.Store{e.db, other}[i%2], "doku", 40_000_000)
		}()
	}
	wg.Wait()
	recorded := 0
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("racing RecordOpening: %v", errs[i])
		}
		if outs[i] == domain.OpeningRecorded {
			recorded++
		}
	}
	if recorded != 1 {
		t.Fatalf("%d racing handles recorded doku's opening, want 1", recorded)
	}
	// Money already moved: a payment at xendit (seed), a payout through
	// "bca-direct" in the ledger. No opening is recorded for them.
	e.seed()
	paid := domain.Transfer{RefID: "LNS-X", PayeeID: 1, Channel: "bca-direct", Amount: 1000}
	out := domain.PayoutPosting(&paid, false)
	e.write(func(tx Tx) error { return tx.Post(&out) })
	for _, ch := range []string{"xendit", "bca-direct"} {
		if got, err := record(e.db, ch, 7_000_000); err != nil || got != domain.OpeningTooLate {
			t.Fatalf("RecordOpening(%s) after money moved = %v, %v; want OpeningTooLate", ch, got, err)
		}
	}
	e.read(func(tx Tx) error {
		bal, err := tx.Balances()
		if err != nil {
			t.Fatal(err)
		}
		want := map[domain.Account]domain.Rupiah{
			domain.ClearingAccount("iris"): 1_000_000_000, domain.ClearingAccount("h2h:pulsa"): 250_000,
			domain.ClearingAccount("doku"): 40_000_000, domain.AccountOpening: -1_040_250_000,
			domain.ClearingAccount("xendit"): 0,
		}
		for a, v := range want {
			if bal[a] != v {
				t.Errorf("%s = %d, want %d (all: %v)", a, bal[a], v, bal)
			}
		}
		for _, ch := range []string{"iris", "h2h:pulsa", "doku", "xendit"} {
			ps, err := tx.ListPostings(domain.OpeningRef(ch))
			has, herr := domain.HasOpening(tx, ch)
			if want := ch != "xendit"; err != nil || herr != nil || (len(ps) == 1) != want || has != want || len(ps) > 1 {
				t.Errorf("%s: %d opening postings (has %v), %v %v", ch, len(ps), has, err, herr)
			}
		}
		return nil
	})
	// Still there, still once, after a reopen.
	again := e.open(Options{Cipher: e.ciph, Now: e.clock.Now})
	if got, err := record(again, "iris", 1); err != nil || got != domain.OpeningExists {
		t.Fatalf("after reopen: %v, %v", got, err)
	}
}

package engine_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/postgres"
	"lunas/domain/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func newPostgresFixture(t *testing.T, opts ...opt) *fixture {
	t.Helper()
	url := pgtest.NewDatabase(t)
	return newFixtureOn(t, func(ciph *gcm, clk *clock) (domain.Store, error) {
		return postgres.Open(context.Background(), url, postgres.Options{Cipher: ciph, Now: clk.Now})
	}, opts...)
}

// On PostgreSQL a settlement batch creates its transfers without waiting
// for each insert (engine.TransferQueuer). A REFID that is already taken
// then fails the whole batch, and the engine applies the batch again payment
// by payment, where the store answers at once and a fresh REFID is drawn:
// every payment settles, every REFID once.
func TestSettlementBatchWithATakenREFIDOnPostgres(t *testing.T) {
	var mu sync.Mutex
	next := []string{"LNS-261122-TAKEN00001", "LNS-261122-TAKEN00002", "LNS-261122-TAKEN00001"}
	writes := &failedWrites{}
	f := newPostgresFixture(t, func(c *engine.Config) {
		writes.Store, c.Store = c.Store, writes
		c.NewRefID = func(now time.Time) string {
			mu.Lock()
			defer mu.Unlock()
			if len(next) > 0 {
				r := next[0]
				next = next[1:]
				return r
			}
			return engine.NewRefID(now)
		}
	})
	first := f.order(100000)
	f.settle(first, 100000)
	if n := len(f.transfers()); n != 2 {
		t.Fatalf("first order: %d transfers, want 2 (seller and supplier)", n)
	}
	// Two payments in one batch; the first transfer drawn is a taken REFID.
	a, b := f.order(200000), f.order(300000)
	f.gw.pay(a, 200000)
	f.gw.pay(b, 300000)
	if err := f.e.PollNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !writes.failedWith(domain.ErrDuplicateRefID) {
		t.Error("no write failed on the taken REFID: the batch did not create its transfers without waiting")
	}
	xs := f.transfers()
	if len(xs) != 6 {
		t.Fatalf("%d transfers, want 6: %+v", len(xs), xs)
	}
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x.RefID] {
			t.Fatalf("REFID %s twice", x.RefID)
		}
		seen[x.RefID] = true
	}
	f.db.Read(context.Background(), func(tx domain.ReadTx) error {
		for _, ext := range []string{first, a, b} {
			p, err := tx.GetPaymentByExternalID(ext)
			if err != nil || p.Status != domain.PaymentSettled {
				t.Errorf("payment %s: %s, %v", ext, p.Status, err)
			}
		}
		return nil
	})
	f.checkLedger()
}

// failedWrites is the engine's store, remembering the errors its write
// transactions failed with.
type failedWrites struct {
	domain.Store
	mu   sync.Mutex
	errs []error
}

func (w *failedWrites) Write(ctx context.Context, fn func(domain.Tx) error) error {
	err := w.Store.Write(ctx, fn)
	if err != nil {
		w.mu.Lock()
		w.errs = append(w.errs, err)
		w.mu.Unlock()
	}
	return err
}

func (w *failedWrites) failedWith(target error) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.ContainsFunc(w.errs, func(err error) bool { return errors.Is(err, target) })
}

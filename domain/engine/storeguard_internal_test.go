package engine

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"lunas/domain"
)

// flakyStore answers or not; it counts the calls that reached it. (The
// PostgreSQL outage itself is tested with a real server in app.)
type flakyStore struct {
	down  atomic.Bool
	calls atomic.Int32
}

var errGone = errors.New("server gone")

func (f *flakyStore) call() error {
	f.calls.Add(1)
	if f.down.Load() {
		return errors.Join(errGone, domain.ErrStoreUnavailable)
	}
	return nil
}
func (f *flakyStore) Read(context.Context, func(domain.ReadTx) error) error { return f.call() }
func (f *flakyStore) Write(context.Context, func(domain.Tx) error) error    { return f.call() }
func (f *flakyStore) Close() error                                          { return nil }

// The engine pauses on an unavailable store: one event, at most one call per
// storeRetry reaches the store, and the first answer resumes it.
func TestStoreGuardPausesAndResumes(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := &flakyStore{}
	e, err := New(Config{Store: st, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	events, stop := e.Bus().Subscribe(16)
	defer stop()
	read := func() error { return e.store.Read(context.Background(), func(domain.ReadTx) error { return nil }) }

	st.down.Store(true)
	if err := read(); !errors.Is(err, domain.ErrStoreUnavailable) || !e.StoreDown() {
		t.Fatalf("first failure: %v, down %v", err, e.StoreDown())
	}
	for range 50 { // the loops keep asking: refused without touching the store
		if err := read(); !errors.Is(err, domain.ErrStoreUnavailable) || !errors.Is(err, errGone) {
			t.Fatalf("while down: %v", err)
		}
	}
	if n := st.calls.Load(); n != 1 {
		t.Errorf("%d calls reached the store within one retry interval, want 1", n)
	}
	now = now.Add(storeRetry)
	read() // one probe, still down
	read()
	if n := st.calls.Load(); n != 2 {
		t.Errorf("%d calls after one interval, want 2", n)
	}
	st.down.Store(false)
	now = now.Add(storeRetry)
	if err := read(); err != nil || e.StoreDown() {
		t.Fatalf("after the server came back: %v, down %v", err, e.StoreDown())
	}
	var kinds []EventKind
	for len(events) > 0 {
		kinds = append(kinds, (<-events).Kind)
	}
	if len(kinds) != 2 || kinds[0] != EventStoreDown || kinds[1] != EventStoreUp {
		t.Errorf("events = %v, want one store.down and one store.up", kinds)
	}
}

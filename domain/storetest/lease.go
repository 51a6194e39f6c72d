package storetest

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"lunas/domain"
)

// testLease: the lease row is a compare-and-set on its epoch, and the
// domain's rules over it (take, renew, fence, release) hold on the store.
func testLease(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	a := domain.Lease{Name: domain.LeaseEngine, Holder: "run-a", Host: "kasir", PID: 4242, Kind: "serve"}
	bb := domain.Lease{Name: domain.LeaseEngine, Holder: "run-b", Host: "gudang", PID: 77, Kind: "desktop"}
	ttl := 15 * time.Second
	e.read(func(tx Tx) error {
		if _, err := tx.GetLease(domain.LeaseEngine); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("GetLease on a new shop: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err := e.db.Read(ctx, func(tx domain.ReadTx) error {
		return full(t, tx.(domain.Tx)).PutLease(domain.Lease{Name: "x", Holder: "h", Epoch: 1}, 0)
	}); !errors.Is(err, b.ReadOnly) {
		t.Fatalf("PutLease in Read: %v", err)
	}
	var held domain.Lease
	e.write(func(tx Tx) error {
		var err error
		if held, err = domain.TakeLease(tx, a, e.clock.Now(), ttl, nil); err != nil {
			return err
		}
		if err := tx.PutLease(held, 0); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("second insert: %v, want ErrConflict", err)
		}
		if err := tx.PutLease(held, 7); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("update at a wrong epoch: %v, want ErrConflict", err)
		}
		if err := tx.PutLease(domain.Lease{Name: "x"}, 0); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("lease without holder: %v, want ErrInvalid", err)
		}
		return nil
	})
	e.read(func(tx Tx) error {
		got, err := tx.GetLease(domain.LeaseEngine)
		if err != nil {
			return err
		}
		want := a
		want.Epoch, want.Since, want.Renewed, want.Expires = 1, e.clock.Now().UTC().Truncate(time.Microsecond), e.clock.Now().UTC().Truncate(time.Microsecond), e.clock.Now().Add(ttl).UTC().Truncate(time.Microsecond)
		if got != want {
			t.Fatalf("stored lease\n got %+v\nwant %+v", got, want)
		}
		return nil
	})
	// Another holder waits while the lease is valid.
	e.clock.Add(ttl - time.Microsecond)
	e.write(func(tx Tx) error {
		_, err := domain.TakeLease(tx, bb, e.clock.Now(), ttl, nil)
		var he *domain.LeaseHeldError
		if !errors.As(err, &he) || !errors.Is(err, domain.ErrLeaseHeld) || he.Lease.Host != "kasir" || he.Lease.PID != 4242 {
			t.Fatalf("take a held lease: %v", err)
		}
		if _, err := domain.CheckLease(tx, held, e.clock.Now()); err != nil {
			t.Fatalf("fence of the holder: %v", err)
		}
		return nil
	})
	// Expired: the fence fails for the old holder, another takes over at epoch 2.
	e.clock.Add(time.Microsecond)
	e.write(func(tx Tx) error {
		if _, err := domain.CheckLease(tx, held, e.clock.Now()); !errors.Is(err, domain.ErrLeaseLost) {
			t.Fatalf("fence after expiry: %v", err)
		}
		if _, err := domain.RenewLease(tx, held, e.clock.Now(), ttl, false); !errors.Is(err, domain.ErrLeaseLost) {
			t.Fatalf("renew after expiry: %v", err)
		}
		nb, err := domain.TakeLease(tx, bb, e.clock.Now(), ttl, nil)
		if err != nil || nb.Epoch != 2 || nb.Holder != "run-b" {
			t.Fatalf("takeover: %+v %v", nb, err)
		}
		if _, err := domain.CheckLease(tx, held, e.clock.Now()); !errors.Is(err, domain.ErrLeaseLost) {
			t.Fatalf("fence of the old holder: %v", err)
		}
		held = nb
		return nil
	})
	// Renewal keeps the epoch; release frees it at once.
	e.clock.Add(time.Second)
	e.write(func(tx Tx) error {
		r, err := domain.RenewLease(tx, held, e.clock.Now(), ttl, true)
		if err != nil || r.Epoch != 2 || !r.HostLock || !r.Expires.Equal(e.clock.Now().Add(ttl).UTC().Truncate(time.Microsecond)) {
			t.Fatalf("renew: %+v %v", r, err)
		}
		if err := domain.ReleaseLease(tx, r, e.clock.Now()); err != nil {
			return err
		}
		na, err := domain.TakeLease(tx, a, e.clock.Now(), ttl, nil)
		if err != nil || na.Epoch != 3 {
			t.Fatalf("take after release: %+v %v", na, err)
		}
		return nil
	})
}

// testLeaseTwoHandles: a takeover through one handle on the database (a
// second process) fences the holder using another; a store with a host lock
// gives it to one handle at a time until released.
func testLeaseTwoHandles(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	other := e.open(Options{Cipher: e.ciph, Now: e.clock.Now})
	ttl := 10 * time.Second
	var held domain.Lease
	e.write(func(tx Tx) error {
		var err error
		held, err = domain.TakeLease(tx, domain.Lease{Name: domain.LeaseEngine, Holder: "a", Host: "h"}, e.clock.Now(), ttl, nil)
		return err
	})
	e.clock.Add(ttl)
	if err := other.Write(ctx, func(tx domain.Tx) error {
		_, err := domain.TakeLease(full(t, tx), domain.Lease{Name: domain.LeaseEngine, Holder: "b", Host: "h"}, e.clock.Now(), ttl, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.tryWrite(func(tx Tx) error {
		_, err := domain.CheckLease(tx, held, e.clock.Now().Add(-ttl)) // even by a clock that lags
		return err
	}); !errors.Is(err, domain.ErrLeaseLost) {
		t.Fatalf("fence through the first handle after a takeover through the second: %v", err)
	}

	h1, ok1 := e.db.(domain.HostLocker)
	h2, ok2 := other.(domain.HostLocker)
	if !ok1 || !ok2 {
		t.Fatalf("%T does not implement domain.HostLocker", e.db)
	}
	got, err := h1.TryHostLock()
	if errors.Is(err, errors.ErrUnsupported) {
		if got {
			t.Fatal("an unsupported host lock reported held")
		}
		return // a server store: the lease's expiry alone decides
	}
	if err != nil || !got {
		t.Fatalf("first lock: %v %v", got, err)
	}
	if again, err := h1.TryHostLock(); !again || err != nil {
		t.Fatalf("lock again through the same handle: %v %v", again, err)
	}
	if got, err := h2.TryHostLock(); got || err != nil {
		t.Fatalf("second handle took a held lock: %v %v", got, err)
	}
	if err := h1.HostUnlock(); err != nil {
		t.Fatal(err)
	}
	if got, err := h2.TryHostLock(); !got || err != nil {
		t.Fatalf("second handle after release: %v %v", got, err)
	}
	if err := h2.HostUnlock(); err != nil {
		t.Fatal(err)
	}
}

// ChangeWatcher is what the desktop uses to refresh when another desk (or
// the engine in another process) changed the shop.
type ChangeWatcher interface {
	WatchChanges(ctx context.Context, changed func()) error
}

// testChanges: a write committed through another handle on the database
// (another desk) is heard by a handle watching for changes.
func testChanges(t *testing.T, b Backend) {
	e := newEnv(t, b, day0)
	other := e.open(Options{Cipher: e.ciph, Now: e.clock.Now})
	w, ok := e.db.(ChangeWatcher)
	if !ok {
		t.Fatalf("%T does not implement WatchChanges", e.db)
	}
	wctx, cancel := context.WithCancel(ctx)
	heard := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- w.WatchChanges(wctx, func() {
			select {
			case heard <- struct{}{}:
			default:
			}
		})
	}()
	// Keep writing until it is heard: the watcher may start listening
	// after the first write.
	deadline := time.After(60 * time.Second) // a bound for a broken watcher, not a speed requirement
	for i := 0; ; i++ {
		if err := other.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting("desk.test", strconv.Itoa(i)) }); err != nil {
			t.Fatal(err)
		}
		select {
		case <-heard:
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("WatchChanges: %v", err)
			}
			return
		case <-deadline:
			t.Fatal("a change committed through another handle was never heard")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

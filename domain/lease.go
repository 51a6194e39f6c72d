package domain

import (
	"errors"
	"fmt"
	"time"
)

// One engine at a time. A shop's transfers are sent by exactly one engine
// (a `lunas serve` or a desktop): the one holding the shop's engine lease,
// a row in the store. Every other engine is a standby that only watches the
// lease and takes it over once it has expired (its holder died, hung, or
// lost the database). Taking over increments the lease's epoch; every
// transaction that records a send attempt first checks, inside the same
// transaction, that the lease still carries this engine's holder id and
// epoch and has not expired (CheckLease). A holder that was paused past its
// expiry (SIGSTOP, a debugger, a laptop lid) and resumes finds another epoch
// or an expired lease and records nothing: it cannot send.
//
// Clocks decide only when a standby may take over, never whether a send is
// fenced: the epoch does that. Hosts sharing a PostgreSQL shop should keep
// their clocks in step (NTP); a host whose clock runs ahead takes over
// early, and the holder it displaced is fenced, which is safe.

// LeaseEngine is the name of the lease that allows sending transfers.
const LeaseEngine = "engine"

// Lease is who holds a named lease and until when.
type Lease struct {
	Name   string
	Holder string // random id of one engine run (a process start)
	Host   string // the holder's computer, for people
	PID    int    // the holder's process id, for people and for same-host checks
	Kind   string // "serve" or "desktop", for people
	// Epoch increases by one each time the lease changes hands (or is
	// taken again after it expired); it is the fencing token.
	Epoch   int64
	Since   time.Time // when this holder took the lease
	Renewed time.Time // the holder's last renewal
	Expires time.Time // the lease is free from this instant on
	// HostLock is true when the holder also holds the store's host lock
	// (SQLite: an OS lock on a file next to the database): then the lock's
	// release by the operating system proves the holder's process ended.
	HostLock bool
}

// Valid reports whether l is held by holder at epoch and has not expired at now.
func (l Lease) Valid(holder string, epoch int64, now time.Time) bool {
	return l.Holder == holder && l.Epoch == epoch && now.Before(l.Expires)
}

// LeaseReader reads a lease (implemented by the store's transaction type).
type LeaseReader interface {
	// GetLease returns the named lease, or ErrNotFound when it was never taken.
	GetLease(name string) (Lease, error)
}

// LeaseTx changes a lease (implemented by the store's write transaction).
type LeaseTx interface {
	LeaseReader
	// PutLease stores l if the stored lease still has epoch prevEpoch
	// (0: no lease stored yet), else ErrConflict: a compare-and-set on the
	// epoch.
	PutLease(l Lease, prevEpoch int64) error
}

// HostLocker is implemented by a store that can also hold an OS-level lock
// for the lease holder (SQLite: a lock on a file beside the database). The
// operating system releases it when the process ends, however it ends.
type HostLocker interface {
	// TryHostLock takes the lock without waiting; false when another
	// process holds it. Taking a lock already held by this store is true.
	TryHostLock() (bool, error)
	// HostUnlock releases it (a no-op when not held).
	HostUnlock() error
}

var (
	// ErrLeaseLost reports that this engine no longer holds the lease (it
	// expired, or another engine took it over): nothing was recorded, and
	// nothing may be sent.
	ErrLeaseLost = errors.New("engine lease lost: another engine sends transfers now")
	// ErrLeaseHeld matches a *LeaseHeldError.
	ErrLeaseHeld = errors.New("engine lease held by another engine")
)

// LeaseHeldError says which engine holds the lease.
type LeaseHeldError struct{ Lease Lease }

// Error implements error.
func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("transfers are sent by %s (pid %d, %s) since %s; this engine waits as a standby",
		e.Lease.Host, e.Lease.PID, e.Lease.Kind, e.Lease.Since.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(t error) bool { return t == ErrLeaseHeld }

// TakeLease takes the named lease for want (its Name, Holder, Host, PID,
// Kind and HostLock are used) at now for ttl, inside tx:
//
//   - a lease never taken, expired, or held by want.Holder is taken
//     (renewed in the last case when still valid, else at a new epoch);
//   - a lease held by another holder that has not expired is taken only
//     when takeOver is true (the caller proved that holder gone: its host
//     lock was released), at a new epoch;
//   - otherwise a *LeaseHeldError names the holder.
func TakeLease(tx LeaseTx, want Lease, now time.Time, ttl time.Duration, takeOver func(cur Lease) bool) (Lease, error) {
	now = leaseTime(now)
	cur, err := tx.GetLease(want.Name)
	if errors.Is(err, ErrNotFound) {
		l := want
		l.Epoch, l.Since, l.Renewed, l.Expires = 1, now, now, now.Add(ttl)
		if err := tx.PutLease(l, 0); err != nil {
			return Lease{}, err
		}
		return l, nil
	}
	if err != nil {
		return Lease{}, err
	}
	if cur.Valid(want.Holder, cur.Epoch, now) {
		return RenewLease(tx, cur, now, ttl, want.HostLock)
	}
	if now.Before(cur.Expires) && (takeOver == nil || !takeOver(cur)) {
		return cur, &LeaseHeldError{Lease: cur}
	}
	l := want
	l.Epoch, l.Since, l.Renewed, l.Expires = cur.Epoch+1, now, now, now.Add(ttl)
	if err := tx.PutLease(l, cur.Epoch); err != nil {
		return Lease{}, err
	}
	return l, nil
}

// RenewLease extends held by ttl from now, if it is still held (same holder
// and epoch, not expired); else ErrLeaseLost.
func RenewLease(tx LeaseTx, held Lease, now time.Time, ttl time.Duration, hostLock bool) (Lease, error) {
	now = leaseTime(now)
	cur, err := CheckLease(tx, held, now)
	if err != nil {
		return cur, err
	}
	cur.Renewed, cur.Expires, cur.HostLock = now, now.Add(ttl), hostLock
	if err := tx.PutLease(cur, cur.Epoch); err != nil {
		if errors.Is(err, ErrConflict) {
			return cur, ErrLeaseLost
		}
		return cur, err
	}
	return cur, nil
}

// CheckLease is the fence: it returns ErrLeaseLost unless the stored lease
// is still held's holder at held's epoch and has not expired at now. Run it
// inside the transaction that records a send attempt.
func CheckLease(tx LeaseReader, held Lease, now time.Time) (Lease, error) {
	cur, err := tx.GetLease(held.Name)
	if errors.Is(err, ErrNotFound) {
		return cur, ErrLeaseLost
	}
	if err != nil {
		return cur, err
	}
	if !cur.Valid(held.Holder, held.Epoch, now) {
		return cur, ErrLeaseLost
	}
	return cur, nil
}

// ReleaseLease ends held at now, if it is still held, so that a standby
// takes over at once; a lease already lost is left alone.
func ReleaseLease(tx LeaseTx, held Lease, now time.Time) error {
	now = leaseTime(now)
	cur, err := CheckLease(tx, held, now)
	if errors.Is(err, ErrLeaseLost) {
		return nil
	}
	if err != nil {
		return err
	}
	cur.Expires, cur.HostLock = now, false
	err = tx.PutLease(cur, cur.Epoch)
	if errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

// leaseTime is t as stores keep it: UTC, microseconds.
func leaseTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

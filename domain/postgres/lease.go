package postgres

import (
	"errors"

	"lunas/domain"

	"github.com/jackc/pgx/v5/pgconn"
)

var _ domain.LeaseTx = (*Tx)(nil)

// GetLease implements domain.LeaseReader. Write transactions hold the
// database's writer lock (db.go), so a fence check (domain.CheckLease) and
// the attempt it guards commit before, or after, any takeover: never
// interleaved with one.
func (t *Tx) GetLease(name string) (domain.Lease, error) {
	l := domain.Lease{Name: name}
	var since, renewed, expires int64
	err := t.queryRow(`SELECT holder, host, pid, kind, epoch, since, renewed, expires, host_lock
		FROM engine_lease WHERE name = ?`, name).Scan(&l.Holder, &l.Host, &l.PID, &l.Kind, &l.Epoch, &since, &renewed, &expires, &l.HostLock)
	if err != nil {
		return domain.Lease{}, noRows(err, "lease", name)
	}
	l.Since, l.Renewed, l.Expires = fromMicros(since), fromMicros(renewed), fromMicros(expires)
	return l, nil
}

// PutLease implements domain.LeaseTx: a compare-and-set on the epoch.
func (t *Tx) PutLease(l domain.Lease, prevEpoch int64) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if l.Name == "" || l.Holder == "" || l.Epoch <= 0 {
		return domain.Invalid("lease", "lease needs a name, a holder and a positive epoch")
	}
	args := []any{l.Holder, l.Host, l.PID, l.Kind, l.Epoch, micros(l.Since), micros(l.Renewed), micros(l.Expires), l.HostLock, l.Name}
	if prevEpoch == 0 {
		res, err := t.exec(`INSERT INTO engine_lease(holder, host, pid, kind, epoch, since, renewed, expires, host_lock, name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`, args...)
		return leaseResult(res, err)
	}
	res, err := t.exec(`UPDATE engine_lease SET holder = ?, host = ?, pid = ?, kind = ?, epoch = ?, since = ?, renewed = ?, expires = ?, host_lock = ?
		WHERE name = ? AND epoch = ?`, append(args, prevEpoch)...)
	return leaseResult(res, err)
}

// leaseResult maps a lease write: no row written is a lost compare-and-set.
func leaseResult(res pgconn.CommandTag, err error) error {
	if err != nil {
		return mapErr("lease", err)
	}
	if res.RowsAffected() == 0 {
		return domain.ErrConflict
	}
	return nil
}

// TryHostLock implements domain.HostLocker: a shop on a server has no lock
// whose release proves that its holder's process ended (a dropped
// connection does not), so a standby always waits for the lease to expire.
func (db *DB) TryHostLock() (bool, error) { return false, errors.ErrUnsupported }

// HostUnlock implements domain.HostLocker (nothing to release).
func (db *DB) HostUnlock() error { return nil }

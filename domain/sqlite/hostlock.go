package sqlite

import (
	"fmt"
	"os"

	"lunas/domain"
)

var _ domain.HostLocker = (*DB)(nil)

// hostLockPath is the file beside the database whose OS lock the engine
// lease's holder keeps (domain.HostLocker): the operating system releases
// it when the process ends, however it ends.
func (db *DB) hostLockPath() string { return db.path + ".engine-lock" }

// TryHostLock implements domain.HostLocker with an exclusive OS lock on
// <database>.engine-lock (flock on Unix, LockFileEx on Windows), taken
// without waiting.
func (db *DB) TryHostLock() (bool, error) {
	db.lockMu.Lock()
	defer db.lockMu.Unlock()
	if db.lockFile != nil {
		return true, nil
	}
	f, err := os.OpenFile(db.hostLockPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return false, fmt.Errorf("engine lock file: %w", err)
	}
	ok, err := lockFile(f)
	if err != nil || !ok {
		f.Close()
		return false, err
	}
	db.lockFile = f
	return true, nil
}

// HostUnlock implements domain.HostLocker.
func (db *DB) HostUnlock() error {
	db.lockMu.Lock()
	defer db.lockMu.Unlock()
	if db.lockFile == nil {
		return nil
	}
	err := unlockFile(db.lockFile)
	if cerr := db.lockFile.Close(); err == nil {
		err = cerr
	}
	db.lockFile = nil
	return err
}

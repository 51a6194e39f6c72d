//go:build !windows

package sqlite

import (
	"errors"
	"os"
)

// restrictFile makes path readable and writable by its owner only (0600),
// when it exists. The shop's database holds personal data.
func restrictFile(path string) error {
	err := os.Chmod(path, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// createPrivate creates an empty file at path with mode 0600 if none exists
// (SQLite would create it 0644, and its WAL and SHM files copy the mode of
// the database file), and restricts an existing one.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, os.ErrExist) {
		return err
	}
	return restrictFile(path)
}

// RestrictDir makes a folder Lunas created for its files private to its
// owner (0700).
func RestrictDir(dir string) error { return os.Chmod(dir, 0o700) }

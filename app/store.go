package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"lunas/domain"
	"lunas/domain/postgres"
	"lunas/domain/sqlite"
)

// shopDB is an open shop database: a SQLite file (domain/sqlite) or a
// database on a PostgreSQL server (domain/postgres). Both implement the same
// ports, proven by the store contract (domain/storetest); what only a file
// can do (Backup, Check) is asserted where it is used.
type shopDB interface {
	domain.Store
}

// errServerBackup: a shop on a PostgreSQL server is backed up on the server.
var errServerBackup = errors.New("toko ini ada di server PostgreSQL: cadangkan di server (pg_dump) / " +
	"this shop is on a PostgreSQL server: back it up on the server (pg_dump)")

// usesServer reports whether --db (or LUNAS_DB) names a PostgreSQL database.
func (e *env) usesServer() bool { return postgres.IsURL(e.DBPath) }

// dbName is how messages name the database: the file's path, or the
// server's URL without its password.
func (e *env) dbName() string {
	if e.usesServer() {
		return postgres.Redact(e.DBPath)
	}
	return e.DBPath
}

// openStore is how every command opens the database at e.DBPath. A
// postgres:// URL opens the shop on that PostgreSQL server (opts' Cipher and
// Now apply; the rest is SQLite's). A path creates the folder (owner-only,
// since the file holds the shop's money records), then opens the file with
// sqlite.Open, which checks integrity and applies migrations. Pass the field
// cipher in opts when the command needs encrypted columns (payee account
// numbers); without one they report domain.ErrLocked. The caller closes the
// store.
func openStore(ctx context.Context, e *env, opts sqlite.Options) (shopDB, error) {
	if e.DBPath == "" {
		return nil, fmt.Errorf("no database path")
	}
	if e.usesServer() {
		return postgres.Open(ctx, e.DBPath, postgres.Options{Cipher: opts.Cipher, Now: opts.Now})
	}
	if err := makeDBFolder(e.DBPath); err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, e.DBPath, opts)
}

// makeDBFolder creates the database's folder owner-only (0700; a user-only
// ACL on Windows, which the WAL and SHM files SQLite makes there inherit).
// Lunas's own default folder is made private even when it already exists;
// a folder the person chose with --db is left as it is.
func makeDBFolder(dbPath string) error {
	dir := filepath.Dir(dbPath)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create database folder: %w", err)
	}
	abs, _ := filepath.Abs(dir)
	def := filepath.Dir(defaultDBPath())
	if def != "." {
		def, _ = filepath.Abs(def)
	}
	if os.IsNotExist(statErr) || abs == def {
		if err := sqlite.RestrictDir(dir); err != nil {
			return fmt.Errorf("database folder %s: %w", dir, err)
		}
	}
	return nil
}

// existingDB returns an error a person can act on when there is no database
// file at e.DBPath yet, for commands that must not create one. A PostgreSQL
// database must exist on its server (postgres.Open says so when it does not).
func existingDB(e *env) error {
	if e.usesServer() {
		return nil
	}
	fi, err := os.Stat(e.DBPath)
	if err != nil {
		return fmt.Errorf("tidak ada database di %s / no database at %s (use --db PATH): %w", e.DBPath, e.DBPath, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a folder, not a database file", e.DBPath)
	}
	return nil
}

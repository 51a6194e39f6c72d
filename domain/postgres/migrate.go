package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// embeddedMigrations are the migrations compiled into this binary.
var embeddedMigrations = migrationSource{fsys: migrationFS, dir: "migrations"}

// migrationSource is a folder of NNNN_name.sql files.
type migrationSource struct {
	fsys fs.FS
	dir  string
}

// migration is one numbered schema step.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// load reads and sorts the migrations, refusing duplicate or malformed numbers.
func (s migrationSource) load() ([]migration, error) {
	entries, err := fs.ReadDir(s.fsys, s.dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share number %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(s.fsys, path.Join(s.dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// migrateLockKey serialises migrations of several processes ("LUNASMIG").
const migrateLockKey int64 = 0x4c554e41534d4947

// migrate applies every migration not yet recorded in schema_migrations, in
// order, each in its own transaction holding the migration lock (so two
// processes opening a new database apply each step once). A recorded version
// this binary does not know means the database is newer: refused.
func migrate(ctx context.Context, db *sql.DB, src migrationSource, now func() time.Time) error {
	migs, err := src.load()
	if err != nil {
		return err
	}
	if err := inMigrationTx(ctx, db, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`)
		return err
	}); err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return err
	}
	known := map[int]bool{}
	for _, m := range migs {
		known[m.Version] = true
	}
	for v, name := range applied {
		if !known[v] {
			return fmt.Errorf("database has migration %d (%s) that this Lunas does not know; "+
				"update Lunas to open it (database dibuat oleh versi Lunas yang lebih baru): %w", v, name, ErrSchemaTooNew)
		}
	}
	for _, m := range migs {
		if _, ok := applied[m.Version]; ok {
			continue
		}
		if err := inMigrationTx(ctx, db, func(tx *sql.Tx) error { return applyOne(ctx, tx, m, now) }); err != nil {
			return err
		}
	}
	return nil
}

func inMigrationTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func appliedVersions(ctx context.Context, db *sql.DB) (map[int]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT version, name FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var v int
		var n string
		if err := rows.Scan(&v, &n); err != nil {
			return nil, err
		}
		out[v] = n
	}
	return out, rows.Err()
}

func applyOne(ctx context.Context, tx *sql.Tx, m migration, now func() time.Time) error {
	// Another process may have applied it while this one waited for the lock.
	var done int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", m.Version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, name, applied_at) VALUES ($1, $2, $3)",
		m.Version, m.Name, micros(now())); err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	return nil
}

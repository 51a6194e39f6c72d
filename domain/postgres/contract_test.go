package postgres

import (
	"context"
	"testing"

	"lunas/domain"
	"lunas/domain/postgres/pgtest"
	"lunas/domain/storetest"
)

// TestContract runs the store contract (domain/storetest) on a real
// PostgreSQL server, a fresh database per test.
func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Backend{Name: "postgres", ReadOnly: ErrReadOnly, New: func(t *testing.T) func(storetest.Options) domain.Store {
		url := newDatabase(t)
		return func(o storetest.Options) domain.Store { return openTest(t, url, Options{Cipher: o.Cipher, Now: o.Now}) }
	}})
}

func openTest(t testing.TB, url string, opts Options) *DB {
	t.Helper()
	db, err := Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newDatabase returns a fresh, migrated database.
func newDatabase(t testing.TB) string {
	return pgtest.NewDatabaseFrom(t, "migrated", func(url string) error {
		db, err := Open(context.Background(), url, Options{})
		if err != nil {
			return err
		}
		return db.Close()
	})
}

// pgtestNewEmpty returns a fresh database without migrations.
func pgtestNewEmpty(t testing.TB) string { return pgtest.NewDatabase(t) }

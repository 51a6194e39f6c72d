package sqlite

import (
	"path/filepath"
	"testing"

	"lunas/domain"
	"lunas/domain/storetest"
)

// TestContract runs the store contract (domain/storetest) on a SQLite file.
func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Backend{Name: "sqlite", ReadOnly: ErrReadOnly, New: func(t *testing.T) func(storetest.Options) domain.Store {
		path := filepath.Join(t.TempDir(), "lunas.db")
		return func(o storetest.Options) domain.Store {
			return openTest(t, path, Options{Cipher: o.Cipher, Now: o.Now, OpenCheck: CheckNone})
		}
	}})
}

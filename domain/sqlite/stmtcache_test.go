package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"lunas/domain"
)

// A write transaction prepares each statement text once and reuses it; past
// the cap, and for a statement that does not prepare, it runs the text
// directly, with the same result or error as without the cache.
func TestTxStatementCache(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "lunas.db"), Options{})
	err := db.WriteTx(ctx, func(tx *Tx) error {
		for i := 0; i < 50; i++ {
			if _, err := tx.exec("INSERT INTO settings(key, value) VALUES (?, ?)", fmt.Sprint("k", i), "v"); err != nil {
				return err
			}
		}
		if len(tx.stmts) != 1 {
			return fmt.Errorf("50 runs of one statement kept %d prepared statements, want 1", len(tx.stmts))
		}
		for i := 0; i < maxTxStmts+10; i++ {
			var n int
			if err := tx.queryRow(fmt.Sprintf("SELECT COUNT(*) + %d FROM settings WHERE key LIKE 'k%%'", i)).Scan(&n); err != nil {
				return err
			}
			if n != 50+i {
				return fmt.Errorf("query %d counted %d, want %d", i, n, 50+i)
			}
		}
		if len(tx.stmts) != maxTxStmts {
			return fmt.Errorf("kept %d statements, want the cap %d", len(tx.stmts), maxTxStmts)
		}
		if _, err := tx.exec("INSERT INTO no_such_table VALUES (1)"); err == nil {
			return fmt.Errorf("a statement on a missing table ran")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The cache ends with its transaction: a new one starts empty and the
	// committed rows are there.
	db.Read(ctx, func(rtx domain.ReadTx) error {
		tx := rtx.(*Tx)
		if len(tx.stmts) != 0 {
			t.Errorf("a new transaction starts with %d statements", len(tx.stmts))
		}
		var n int
		if err := tx.queryRow("SELECT COUNT(*) FROM settings WHERE key LIKE 'k%'").Scan(&n); err != nil || n != 50 {
			t.Errorf("committed rows: %d, %v", n, err)
		}
		return nil
	})
}

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

// Statements kept across transactions: a text run in two transactions is
// kept prepared on the pool, later transactions run it on that statement
// (with the same results), a query loop that runs its own text again inside
// gets a statement of its own, and texts that are all different are never
// kept past the bound.
func TestStatementsKeptAcrossTransactions(t *testing.T) {
	const (
		insert = "INSERT INTO settings(key, value) VALUES (?, ?)"
		count  = "SELECT COUNT(*) FROM settings WHERE key LIKE 'kept%'"
		list   = "SELECT key FROM settings WHERE key LIKE 'kept%' ORDER BY key"
	)
	db := openTest(t, filepath.Join(t.TempDir(), "lunas.db"), Options{})
	write := func(i int) {
		t.Helper()
		if err := db.WriteTx(ctx, func(tx *Tx) error {
			_, err := tx.exec(insert, fmt.Sprint("kept", i), "v")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		db.wc.running.Wait()
	}
	// read counts the rows twice: with queryRow, and by a query loop that
	// runs the same query again for every row (nested cursors of one text).
	read := func() (n, looped int) {
		t.Helper()
		if err := db.Read(ctx, func(rtx domain.ReadTx) error {
			tx := rtx.(*Tx)
			if err := tx.queryRow(count).Scan(&n); err != nil {
				return err
			}
			rows, err := tx.query(list)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				inner, err := tx.query(list)
				if err != nil {
					return err
				}
				m := 0
				for inner.Next() {
					m++
				}
				inner.Close()
				if m != n {
					return fmt.Errorf("inner query saw %d rows, want %d", m, n)
				}
				looped++
			}
			return rows.Err()
		}); err != nil {
			t.Fatal(err)
		}
		db.rc.running.Wait()
		return n, looped
	}
	kept := func(c *stmtCache, q string) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.keep[q] != nil
	}

	write(1)
	if kept(&db.wc, insert) {
		t.Fatal("a text run in one transaction is kept already")
	}
	write(2)
	if !kept(&db.wc, insert) {
		t.Fatal("a text run in two transactions is not kept")
	}
	for i := 3; i <= 5; i++ {
		write(i) // on the kept statement
	}
	for i := 1; i <= 3; i++ {
		n, looped := read()
		if n != 5 || looped != 5 {
			t.Fatalf("read %d: %d rows, loop saw %d, want 5 and 5", i, n, looped)
		}
	}
	if !kept(&db.rc, count) || !kept(&db.rc, list) {
		t.Fatalf("texts read in three transactions are not kept on the readers")
	}
	if kept(&db.wc, count) {
		t.Fatal("a text only read is kept on the writer")
	}

	// All-different texts: never more than maxKeptStmts kept.
	for i := 0; i < maxKeptStmts+20; i++ {
		q := fmt.Sprintf("SELECT COUNT(*) + %d FROM settings", i)
		for range 2 {
			if err := db.Read(ctx, func(rtx domain.ReadTx) error {
				var n int
				return rtx.(*Tx).queryRow(q).Scan(&n)
			}); err != nil {
				t.Fatal(err)
			}
			db.rc.running.Wait()
		}
	}
	db.rc.mu.Lock()
	n := len(db.rc.keep)
	db.rc.mu.Unlock()
	if n != maxKeptStmts {
		t.Fatalf("kept %d texts, want the bound %d", n, maxKeptStmts)
	}
	// A closed database keeps nothing and a late prepare is dropped.
	db.Close()
	if db.rc.keep != nil || db.wc.keep != nil {
		t.Fatal("Close left kept statements")
	}
}

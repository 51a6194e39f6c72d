package postgres

import (
	"context"
	"errors"
	"fmt"

	"lunas/domain"
)

// ErrNotLunas reports a database that holds no Lunas shop (no migrations).
var ErrNotLunas = errors.New("database holds no Lunas shop")

// CheckResult is what Check found.
type CheckResult struct {
	Where     string
	Schema    int // newest migration applied
	Postings  int64
	Transfers int64
}

// Check connects to the shop at url without migrating or writing it and
// checks what can be checked of a shop on a server (the server keeps its
// own pages sound): the schema is one this Lunas knows, and every ledger
// posting balances. An unbalanced posting gives an error matching
// domain.ErrUnbalanced.
func Check(ctx context.Context, url string) (CheckResult, error) {
	db, err := connect(ctx, url, Options{})
	if err != nil {
		return CheckResult{}, err
	}
	defer db.Close()
	r := CheckResult{Where: db.where}
	err = db.Read(ctx, func(rtx domain.ReadTx) error {
		t := rtx.(*Tx)
		var exists bool
		if err := t.queryRow("SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("%s: %w", db.where, ErrNotLunas)
		}
		migs, err := embeddedMigrations.load()
		if err != nil {
			return err
		}
		if err := t.queryRow("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&r.Schema); err != nil {
			return err
		}
		if r.Schema > migs[len(migs)-1].Version {
			return fmt.Errorf("schema %d: %w", r.Schema, ErrSchemaTooNew)
		}
		if r.Schema == 0 {
			return fmt.Errorf("%s: %w", db.where, ErrNotLunas)
		}
		var bad, id int64
		err = t.queryRow(`SELECT COUNT(*), COALESCE(MIN(posting_id), 0) FROM (SELECT posting_id FROM posting_lines
			GROUP BY posting_id HAVING SUM(amount) <> 0 OR COUNT(*) < 2) b`).Scan(&bad, &id)
		if err != nil {
			return err
		}
		if bad > 0 {
			return fmt.Errorf("%d ledger postings do not balance, the first is %d: %w", bad, id, domain.ErrUnbalanced)
		}
		if err := t.queryRow("SELECT COUNT(*) FROM postings").Scan(&r.Postings); err != nil {
			return err
		}
		return t.queryRow("SELECT COUNT(*) FROM transfers").Scan(&r.Transfers)
	})
	return r, err
}

package app

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"

	"lunas/domain"
	"lunas/domain/postgres"
	"lunas/domain/sqlite"
	"lunas/security"
)

// errCopyRefused reports a copy that was not made (the reason is wrapped).
var errCopyRefused = errors.New("copy refused")

// dbCopy implements "lunas db copy --from FILE --to postgres://...": a shop
// moves from its file to a PostgreSQL database. The file is checked first
// (integrity_check, and its audit log: a broken log is not carried over);
// then every table is copied in one transaction that commits only if the
// target was empty and the copy has the same row counts, the same ledger
// balances and the same audit log, entry for entry; then the audit log is
// verified again on the target, with the shop's key when the vault opens
// (remembered key or LUNAS_PASSWORD). Stop the desktop and serve on the file
// first: what they write after the copy stays in the file.
func dbCopy(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("db copy", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	from := fs.String("from", "", "the shop's database file")
	to := fs.String("to", "", "the empty PostgreSQL database: postgres://USER:PASSWORD@HOST/DB")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *from == "" || *to == "" {
		return errUsage
	}
	src, dst := &env{DBPath: *from}, &env{DBPath: *to}
	if src.usesServer() || !dst.usesServer() {
		return fmt.Errorf("--from is the shop's file and --to a postgres:// URL / --from adalah file toko dan --to alamat postgres://: %w", errUsage)
	}
	if err := existingDB(src); err != nil {
		return err
	}
	vault := security.NewVault(security.VaultOptions{Keychain: cliKeychain})
	sdb, err := sqlite.Open(ctx, *from, sqlite.Options{Cipher: vault}) // checks integrity, brings the file to this version
	if err != nil {
		return err
	}
	defer sdb.Close()
	var keyer domain.AuditKeyer
	sh := &shop{DB: sdb, Sec: security.New(sdb, vault, security.Options{})}
	switch err := sh.unlock(ctx, false); {
	case err == nil:
		keyer = vault
	case errors.Is(err, errVaultClosed), errors.Is(err, errNoUsers):
		// The audit log's links and anchor are checked without the key.
	default:
		return err
	}
	before, err := security.CheckAuditLog(ctx, sdb, keyer)
	if err != nil {
		return err
	}
	if before.Break != nil {
		return fmt.Errorf("log audit di %s rusak pada entri %d (%s); periksa dengan `lunas audit verify` sebelum memindahkan toko / "+
			"the audit log of %s is broken at entry %d (%s); check it with `lunas audit verify` before moving the shop: %w",
			*from, before.Break.Seq, before.Break.Reason, *from, before.Break.Seq, before.Break.Reason, errCopyRefused)
	}
	pdb, err := postgres.Open(ctx, *to, postgres.Options{Cipher: vault})
	if err != nil {
		return err
	}
	defer pdb.Close()
	var rep postgres.LoadReport
	err = sdb.Read(ctx, func(rtx domain.ReadTx) error {
		stx, sctx := rtx.(*sqlite.Tx).SQL()
		src := postgres.Source{Query: func(q string) (*sql.Rows, error) { return stx.QueryContext(sctx, q) }}
		rows, err := stx.QueryContext(sctx, `SELECT name FROM sqlite_master WHERE type = 'table'
			AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'schema_migrations'`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			src.Tables = append(src.Tables, n)
		}
		rows.Close()
		if src.Balances, err = rtx.Balances(); err != nil {
			return err
		}
		rep, err = pdb.Load(ctx, src)
		return err
	})
	if errors.Is(err, postgres.ErrNotEmpty) {
		return fmt.Errorf("database tujuan %s tidak kosong; Lunas tidak menimpa toko lain: pakai database baru (createdb) / "+
			"the target database %s is not empty; Lunas never overwrites a shop: use a new database (createdb): %w",
			dst.dbName(), dst.dbName(), err)
	}
	if err != nil {
		return fmt.Errorf("nothing was copied / tidak ada yang disalin: %w", err)
	}
	after, err := security.CheckAuditLog(ctx, pdb, keyer)
	if err != nil {
		return err
	}
	if after.Break != nil || after.Entries != before.Entries {
		return fmt.Errorf("the copy on %s is complete but its audit log does not verify (entry %v): do not use it; drop that database and report this",
			dst.dbName(), after.Break)
	}
	var total int64
	names := make([]string, 0, len(rep.Rows))
	for n, c := range rep.Rows {
		total += c
		names = append(names, n)
	}
	sort.Strings(names)
	var key []string
	for _, n := range []string{"orders", "payments", "transfers", "postings", "audit_log"} {
		key = append(key, fmt.Sprintf("%s %d", n, rep.Rows[n]))
	}
	fmt.Fprintf(e.Stdout, "copied %s to %s\n", *from, dst.dbName())
	fmt.Fprintf(e.Stdout, "  rows: %d in %d tables, the same count in every table (%s)\n", total, len(names), strings.Join(key, ", "))
	fmt.Fprintf(e.Stdout, "  ledger: %d accounts, every balance the same\n", rep.Accounts)
	how := "links, plain hashes and anchor checked; keyed hashes need the vault (set LUNAS_PASSWORD to an owner's password)"
	if after.Verified {
		how = "keyed chain and anchor signature verified with the shop's key"
	}
	fmt.Fprintf(e.Stdout, "  audit: %d entries identical; on the target: %s\n", rep.Audit, how)
	fmt.Fprintf(e.Stdout, "next: lunas --db '%s' serve   (the file %s is left as it was)\n", dst.dbName(), *from)
	return nil
}

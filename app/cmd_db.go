package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"lunas/domain"
	"lunas/domain/postgres"
	"lunas/domain/sqlite"
)

// runDB implements "lunas db check" and "lunas db backup FILE". Neither
// migrates nor writes the database, so both are safe while Lunas runs and on
// a file from another Lunas version. On a PostgreSQL shop (--db
// postgres://...) check verifies the schema and the ledger; backups are the
// server's (pg_dump).
func runDB(e *env, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch {
	case args[0] == "check" && len(args) == 1:
		return dbCheck(ctx, e)
	case args[0] == "copy":
		return dbCopy(ctx, e, args[1:])
	case args[0] == "backup" && len(args) == 2:
		return dbBackup(ctx, e, args[1])
	}
	return errUsage
}

func dbCheck(ctx context.Context, e *env) error {
	if e.usesServer() {
		r, err := postgres.Check(ctx, e.DBPath)
		if err != nil {
			return fmt.Errorf("check %s: %w", e.dbName(), err)
		}
		fmt.Fprintf(e.Stdout, "ok: %s (schema %d, %d transfers, every one of %d ledger postings balances / database sehat)\n",
			r.Where, r.Schema, r.Transfers, r.Postings)
		return nil
	}
	if err := existingDB(e); err != nil {
		return err
	}
	err := sqlite.VerifyFile(ctx, e.DBPath)
	if errors.Is(err, domain.ErrDamaged) {
		fmt.Fprintf(e.Stdout, "RUSAK / DAMAGED: %s\n", e.DBPath)
		return err
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", e.DBPath, err)
	}
	fmt.Fprintf(e.Stdout, "ok: %s (integrity_check passed / database sehat)\n", e.DBPath)
	return nil
}

func dbBackup(ctx context.Context, e *env, dst string) error {
	if e.usesServer() {
		return errServerBackup
	}
	if err := existingDB(e); err != nil {
		return err
	}
	if err := sqlite.BackupFile(ctx, e.DBPath, dst); err != nil {
		if errors.Is(err, sqlite.ErrBackupExists) {
			return fmt.Errorf("%s sudah ada, pilih nama lain / already exists, choose another name: %w", dst, err)
		}
		return err
	}
	fmt.Fprintf(e.Stdout, "backup written and verified: %s\n", dst)
	return nil
}

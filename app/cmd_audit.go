package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"lunas/domain/sqlite"
	"lunas/security"
)

// errAuditBroken makes `lunas audit verify` exit non-zero on a broken chain.
var errAuditBroken = errors.New("audit log is broken")

// runAudit: `lunas audit verify` walks the hash chain and names the first
// broken entry, or prints ok. It needs no key: the audit log is not encrypted.
func runAudit(e *env, args []string) error {
	if len(args) != 1 || args[0] != "verify" {
		return errUsage
	}
	if _, err := os.Stat(e.DBPath); err != nil {
		return fmt.Errorf("database %s: %w", e.DBPath, err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, e.DBPath, sqlite.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	n, brk, err := security.VerifyAuditLog(ctx, db)
	if err != nil {
		return err
	}
	if brk != nil {
		fmt.Fprintf(e.Stdout, "BROKEN: entry %d: %s (%d entries before it are intact)\n", brk.Seq, brk.Reason, n)
		return fmt.Errorf("%w at entry %d", errAuditBroken, brk.Seq)
	}
	fmt.Fprintf(e.Stdout, "ok: %d audit entries, chain intact\n", n)
	return nil
}

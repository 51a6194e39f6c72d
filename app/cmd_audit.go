package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/security"
)

// errAuditBroken makes `lunas audit verify` exit non-zero on a broken chain
// or a raised tamper alarm.
var errAuditBroken = errors.New("audit log is broken")

// errAuditUnverified: `lunas audit head` prints only a head it verified
// with the key.
var errAuditUnverified = errors.New("kunci tidak tersedia: setel LUNAS_PASSWORD ke kata sandi pemilik / " +
	"the key is not available: set LUNAS_PASSWORD to an owner's password, so the head printed is verified")

// headPrefix starts the line `lunas audit head` prints.
const headPrefix = "lunas-audit-head"

// runAudit:
//
//	lunas audit verify [--head LINE]   check the log; exit 1 when broken
//	lunas audit head                   print the verified head to keep elsewhere
//
// The chain's links, plain hashes and anchor head are checked without any
// key; keyed hashes and the anchor's signature need the vault (keychain, or
// LUNAS_PASSWORD of an owner). Without it the result says "not verified",
// never "ok". Opening the vault walks the log first: a log found tampered
// raises the tamper alarm, which every later verify reports.
func runAudit(e *env, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("audit "+sub, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	head := fs.String("head", "", "a line printed earlier by `lunas audit head`: the log must still hold that entry unchanged")
	if sub != "verify" && sub != "head" {
		return errUsage
	}
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 || (sub == "head" && *head != "") {
		return errUsage
	}
	var kept keptHead
	if *head != "" {
		var err error
		if kept, err = parseKeptHead(*head); err != nil {
			return err
		}
	}
	if err := existingDB(e); err != nil {
		return err
	}
	ctx := context.Background()
	vault := security.NewVault(security.VaultOptions{Params: shopVaultParams, Keychain: cliKeychain})
	db, err := openStore(ctx, e, sqlite.Options{Cipher: vault})
	if err != nil {
		return err
	}
	defer db.Close()
	var keyer domain.AuditKeyer
	sh := &shop{DB: db, Sec: security.New(db, vault, security.Options{PasswordParams: shopPasswordParams})}
	switch err := sh.unlock(ctx, false); {
	case err == nil:
		keyer = vault
	case errors.Is(err, errVaultClosed), errors.Is(err, errNoUsers):
		// Links, plain hashes and head only; the note says what that leaves.
	default:
		return err
	}
	c, err := security.CheckAuditLog(ctx, db, keyer)
	if err != nil {
		return err
	}
	if c.Break == nil && *head != "" {
		c.Break, err = checkKeptHead(ctx, db, kept)
		if err != nil {
			return err
		}
	}
	if c.Break != nil {
		fmt.Fprintf(e.Stdout, "BROKEN: entry %d: %s (%d entries before it are intact)\n", c.Break.Seq, c.Break.Reason, c.Entries)
		return fmt.Errorf("%w at entry %d", errAuditBroken, c.Break.Seq)
	}
	if sub == "head" {
		if !c.Verified {
			fmt.Fprintf(e.Stdout, "not verified: %s\n", c.Note)
			return errAuditUnverified
		}
		fmt.Fprintf(e.Stdout, "%s seq=%d hash=%s at=%s\n", headPrefix, c.HeadSeq, c.HeadHash, c.HeadAt.UTC().Format(time.RFC3339Nano))
		return nil
	}
	also := ""
	if *head != "" {
		also = fmt.Sprintf(", still holds entry %d as kept", kept.seq)
	}
	if c.Verified {
		fmt.Fprintf(e.Stdout, "ok: %d audit entries, keyed chain and anchor signature verified%s\n", c.Entries, also)
	} else {
		fmt.Fprintf(e.Stdout, "not verified: %d audit entries linked, nothing found broken%s; %s\n", c.Entries, also, c.Note)
	}
	if c.Pending > 0 {
		fmt.Fprintf(e.Stdout, "note: %d events recorded while the vault was locked wait to be chained\n", c.Pending)
	}
	return nil
}

// keptHead is a head printed by `lunas audit head` and kept elsewhere.
type keptHead struct {
	seq  int64
	hash string
}

// parseKeptHead reads "lunas-audit-head seq=N hash=H [at=T]" (or just
// "seq=N hash=H").
func parseKeptHead(s string) (keptHead, error) {
	var k keptHead
	bad := fmt.Errorf("--head: expected the line `lunas audit head` printed (%s seq=N hash=HEX at=TIME): %w", headPrefix, errUsage)
	for _, f := range strings.Fields(s) {
		name, val, ok := strings.Cut(f, "=")
		switch {
		case !ok && f == headPrefix:
		case name == "seq":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 {
				return k, bad
			}
			k.seq = n
		case name == "hash":
			if len(val) != 64 || strings.Trim(val, "0123456789abcdef") != "" {
				return k, bad
			}
			k.hash = val
		case name == "at":
		default:
			return k, bad
		}
	}
	if k.seq == 0 || k.hash == "" {
		return k, bad
	}
	return k, nil
}

// checkKeptHead compares the log with a head kept outside it: the entry
// must still be there with the same hash (the chain's links tie every
// earlier entry to it), else the log was rolled back, wiped or rewritten.
func checkKeptHead(ctx context.Context, db domain.Store, k keptHead) (*security.AuditBreak, error) {
	var es []domain.AuditEntry
	err := db.Read(ctx, func(tx domain.ReadTx) (err error) {
		es, err = tx.ListAudit(k.seq-1, 1)
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case len(es) == 0 || es[0].Seq != k.seq:
		return &security.AuditBreak{Seq: k.seq, Reason: "the entry of the head kept outside the log is gone: the log was cut back or wiped"}, nil
	case es[0].Hash != k.hash:
		return &security.AuditBreak{Seq: k.seq, Reason: "the entry differs from the head kept outside the log: the log was rewritten or replaced"}, nil
	}
	return nil, nil
}

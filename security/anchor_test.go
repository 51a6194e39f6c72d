package security

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"lunas/domain"
)

// tamper closes the fixture's database, runs raw SQL on the file with the
// append-only triggers dropped (an attacker with the file and no key), and
// reopens it.
func (f *fixture) tamper(stmts ...string) {
	f.t.Helper()
	f.db.Close()
	raw, err := sql.Open("sqlite", f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer func() { raw.Close(); f.open() }()
	for _, s := range append([]string{"DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"}, stmts...) {
		if _, err := raw.Exec(s); err != nil {
			f.t.Fatalf("%s: %v", s, err)
		}
	}
}

// rewriteChain rewrites every entry's detail and recomputes the whole chain
// from the start, as someone without the key can, then moves the anchor's
// unsigned head and signed hash to the forged chain (keeping the MAC, which
// cannot be recomputed without the key). keep limits the chain to its first
// keep entries (0: all).
func (f *fixture) rewriteChain(keep int) {
	f.t.Helper()
	var entries []domain.AuditEntry
	if err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { entries, err = tx.ListAudit(0, 0); return err }); err != nil {
		f.t.Fatal(err)
	}
	if keep > 0 {
		entries = entries[:keep]
	}
	stmts := []string{"DELETE FROM audit_log"}
	prev := ""
	var a domain.AuditAnchor
	if err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { a, err = tx.(domain.AuditAnchorReader).AuditAnchor(); return err }); err != nil {
		f.t.Fatal(err)
	}
	signedHash := ""
	for i := range entries {
		e := &entries[i]
		e.Detail = "forged " + e.Detail
		e.PrevHash, e.Hash = prev, e.ComputeHash(prev)
		prev = e.Hash
		if e.Seq == a.SignedSeq {
			signedHash = e.Hash
		}
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO audit_log(seq, at, actor, action, subject, detail, prev_hash, hash)
			VALUES (%d, %d, '%s', '%s', '%s', '%s', '%s', '%s')`, e.Seq, e.At.UnixMicro(), e.Actor, e.Action, e.Subject,
			strings.ReplaceAll(e.Detail, "'", "''"), e.PrevHash, e.Hash))
	}
	last := entries[len(entries)-1]
	if signedHash == "" { // the signed entry was cut off: point the signed part at the new end
		a.SignedSeq, signedHash = last.Seq, last.Hash
	}
	stmts = append(stmts, fmt.Sprintf("UPDATE audit_anchor SET head_seq = %d, head_hash = '%s', signed_seq = %d, signed_hash = '%s'",
		last.Seq, last.Hash, a.SignedSeq, signedHash))
	f.tamper(stmts...)
}

func (f *fixture) check(signer domain.AuditAnchorSigner) AuditCheck {
	f.t.Helper()
	c, err := CheckAuditLog(f.ctx, f.db, signer)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// TestAuditAnchorIntact: an untouched log verifies with the signed anchor
// holding and nothing left unchecked; with no key the note says plainly
// what was not checked.
func TestAuditAnchorIntact(t *testing.T) {
	f := newFixture(t)
	f.owner()
	c := f.check(f.vault)
	if c.Break != nil || !c.Signed || c.Note != "" || c.Entries < 2 {
		t.Fatalf("intact log, unlocked: %+v", c)
	}
	c = f.check(nil)
	if c.Break != nil || c.Signed || !strings.Contains(c.Note, "locked") {
		t.Fatalf("intact log, no key: %+v", c)
	}
}

// TestAuditTruncationDetected: deleting the newest entries (triggers
// dropped) is reported with or without the key, at the first missing entry.
func TestAuditTruncationDetected(t *testing.T) {
	f := newFixture(t)
	f.owner()
	n := f.check(f.vault).Entries
	f.tamper(fmt.Sprintf("DELETE FROM audit_log WHERE seq >= %d", n-1))
	for _, signer := range []domain.AuditAnchorSigner{nil, f.vault} {
		c := f.check(signer)
		if c.Break == nil || c.Break.Seq != int64(n-1) || !strings.Contains(c.Break.Reason, "removed") {
			t.Errorf("signer %v: truncation of entries %d..%d not reported: %+v", signer != nil, n-1, n, c)
		}
	}
	if _, err := f.svc.VerifyAudit(f.ctx, domain.Actor{Name: "sari", Role: domain.RoleOwner}); !errors.As(err, new(*AuditBreak)) {
		t.Errorf("VerifyAudit after truncation: %v, want an *AuditBreak", err)
	}
}

// TestAuditAnchorRemovedDetected: deleting the anchor row too is reported.
func TestAuditAnchorRemovedDetected(t *testing.T) {
	f := newFixture(t)
	f.owner()
	f.tamper("DELETE FROM audit_log WHERE seq > 1", "DELETE FROM audit_anchor")
	if c := f.check(nil); c.Break == nil || !strings.Contains(c.Break.Reason, "anchor is missing") {
		t.Fatalf("missing anchor: %+v", c)
	}
}

// TestAuditRewriteDetectedWithKey: a whole chain rewritten consistently,
// anchor head and signed hash moved along, passes every keyless check (the
// note says so) but fails the signature check with the unlocked vault; a
// rewrite that also truncates is caught the same way.
func TestAuditRewriteDetectedWithKey(t *testing.T) {
	for _, keep := range []int{0, 1} {
		t.Run(fmt.Sprintf("keep=%d", keep), func(t *testing.T) {
			f := newFixture(t)
			f.owner()
			f.rewriteChain(keep)
			c := f.check(nil)
			if c.Break != nil || c.Signed || c.Note == "" {
				t.Errorf("no key: %+v, want no break but a note that the signature was not checked", c)
			}
			c = f.check(f.vault)
			if c.Break == nil || !strings.Contains(c.Break.Reason, "not signed with this shop's key") {
				t.Errorf("unlocked: rewrite not reported: %+v", c)
			}
		})
	}
}

// TestAuditEntriesWhileLockedAreNamed: entries added while the vault is
// locked move the head but not the signature; the check with the key says
// which entries only the hash chain protects, and the next unlocked append
// signs again.
func TestAuditEntriesWhileLockedAreNamed(t *testing.T) {
	f := newFixture(t)
	f.owner()
	signed := f.check(f.vault).Entries
	f.vault.Lock()
	if _, err := f.svc.Login(f.ctx, "sari", "wrong-password", "000000"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if err := f.vault.Unlock(f.ctx, 1, ownerPW); err != nil {
		t.Fatal(err)
	}
	c := f.check(f.vault)
	if c.Break != nil || !c.Signed || !strings.Contains(c.Note, fmt.Sprintf("entries %d to", signed+1)) {
		t.Fatalf("after a locked append: %+v", c)
	}
	if err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		return tx.AppendAudit(&domain.AuditEntry{Actor: "sari", Action: "test", Subject: "audit"})
	}); err != nil {
		t.Fatal(err)
	}
	if c := f.check(f.vault); c.Break != nil || !c.Signed || c.Note != "" {
		t.Fatalf("after an unlocked append: %+v", c)
	}
}

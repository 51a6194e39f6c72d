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

func (f *fixture) entries() []domain.AuditEntry {
	f.t.Helper()
	var es []domain.AuditEntry
	if err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { es, err = tx.ListAudit(0, 0); return err }); err != nil {
		f.t.Fatal(err)
	}
	return es
}

func (f *fixture) anchor() domain.AuditAnchor {
	f.t.Helper()
	var a domain.AuditAnchor
	if err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { a, err = tx.(domain.AuditAnchorReader).AuditAnchor(); return err }); err != nil {
		f.t.Fatal(err)
	}
	return a
}

func insertSQL(e *domain.AuditEntry) string {
	q := func(s string) string { return strings.ReplaceAll(s, "'", "''") }
	return fmt.Sprintf(`INSERT INTO audit_log(seq, at, actor, action, subject, detail, prev_hash, hash)
		VALUES (%d, %d, '%s', '%s', '%s', '%s', '%s', '%s')`, e.Seq, e.At.UnixMicro(), q(e.Actor), q(e.Action), q(e.Subject),
		q(e.Detail), e.PrevHash, e.Hash)
}

// rewriteChain rewrites every entry's detail and recomputes the whole chain
// from the start with plain SHA-256, as someone without the key can, then
// moves the anchor's head and signed hash to the forged chain (keeping the
// MAC, which cannot be recomputed without the key). keep limits the chain
// to its first keep entries (0: all); unkey also resets the keyed boundary.
func (f *fixture) rewriteChain(keep int, unkey bool) {
	f.t.Helper()
	entries := f.entries()
	if keep > 0 {
		entries = entries[:keep]
	}
	a := f.anchor()
	stmts := []string{"DELETE FROM audit_log"}
	prev, signedHash := "", ""
	for i := range entries {
		e := &entries[i]
		e.Detail = "forged " + e.Detail
		e.PrevHash, e.Hash = prev, e.ComputeHash(prev)
		prev = e.Hash
		if e.Seq == a.SignedSeq {
			signedHash = e.Hash
		}
		stmts = append(stmts, insertSQL(e))
	}
	last := entries[len(entries)-1]
	if signedHash == "" { // the signed entry was cut off: point the signed part at the new end
		a.SignedSeq, signedHash = last.Seq, last.Hash
	}
	keyedFrom := a.KeyedFrom
	if unkey {
		keyedFrom = 0
	}
	stmts = append(stmts, fmt.Sprintf("UPDATE audit_anchor SET head_seq = %d, head_hash = '%s', signed_seq = %d, signed_hash = '%s', keyed_from = %d",
		last.Seq, last.Hash, a.SignedSeq, signedHash, keyedFrom))
	f.tamper(stmts...)
}

func (f *fixture) check(keyer domain.AuditKeyer) AuditCheck {
	f.t.Helper()
	c, err := CheckAuditLog(f.ctx, f.db, keyer)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// TestAuditAnchorIntact: an untouched log verifies with the key, keyed and
// signed, nothing left unchecked; without the key it is not broken but the
// note says it cannot be verified without the key (never a plain ok).
func TestAuditAnchorIntact(t *testing.T) {
	f := newFixture(t)
	f.owner()
	c := f.check(f.vault)
	if c.Break != nil || !c.Signed || !c.Verified || c.Note != "" || c.Entries < 2 {
		t.Fatalf("intact log, unlocked: %+v", c)
	}
	if a := f.anchor(); a.KeyedFrom != 1 || a.SignedSeq != a.HeadSeq || a.Alarm != "" {
		t.Fatalf("anchor of a new shop: %+v", a)
	}
	c = f.check(nil)
	if c.Break != nil || c.Signed || c.Verified || !strings.Contains(c.Note, NoKeyNote) {
		t.Fatalf("intact log, no key: %+v", c)
	}
}

// tamperCase is one attack by someone holding the file but not the key.
type tamperCase struct {
	name   string
	attack func(f *fixture)
	// keyed is what the keyed verify must name; keyless what the keyless
	// one must name, or "" when it cannot know (it must then say NoKeyNote).
	keyed, keyless string
}

func tamperCases() []tamperCase {
	return []tamperCase{
		{"truncation", func(f *fixture) {
			n := len(f.entries())
			f.tamper(fmt.Sprintf("DELETE FROM audit_log WHERE seq >= %d", n-1))
		}, "were removed", "were removed"},
		{"truncation-and-fix-head", func(f *fixture) {
			es := f.entries()
			last := es[len(es)-3]
			f.tamper(fmt.Sprintf("DELETE FROM audit_log WHERE seq > %d", last.Seq),
				fmt.Sprintf("UPDATE audit_anchor SET head_seq = %d, head_hash = '%s', signed_seq = %d, signed_hash = '%s'",
					last.Seq, last.Hash, last.Seq, last.Hash))
		}, "not signed with this shop's key", ""},
		{"delete-anchor", func(f *fixture) { f.tamper("DELETE FROM audit_anchor") },
			"anchor is missing", "anchor is missing"},
		{"rechain-and-fix-head", func(f *fixture) { f.rewriteChain(0, false) },
			"plain hash where a keyed one belongs", "plain hash where a keyed one belongs"},
		{"rechain-fix-head-and-boundary", func(f *fixture) { f.rewriteChain(0, true) },
			"not signed with this shop's key", ""},
		{"strip-signature", func(f *fixture) { f.tamper("UPDATE audit_anchor SET mac = ''") },
			"signature was removed", "signature was removed"},
		{"strip-signature-and-boundary", func(f *fixture) {
			f.tamper("UPDATE audit_anchor SET mac = '', signed_seq = 0, signed_hash = '', keyed_from = 0")
		}, "keyed boundary was removed", "keyed boundary was removed"},
		{"wipe-all", func(f *fixture) { f.tamper("DELETE FROM audit_log", "DELETE FROM audit_anchor") },
			"log was wiped", "log was wiped"},
		{"append-forged-entry", func(f *fixture) {
			es := f.entries()
			last := es[len(es)-1]
			e := domain.AuditEntry{Seq: last.Seq + 1, At: last.At, Actor: "sari", Action: "transfer.approve",
				Subject: "transfer:X", Detail: "forged", PrevHash: last.Hash}
			e.Hash = e.ComputeHash(e.PrevHash)
			f.tamper(insertSQL(&e), fmt.Sprintf("UPDATE audit_anchor SET head_seq = %d, head_hash = '%s'", e.Seq, e.Hash))
		}, "plain hash where a keyed one belongs", "plain hash where a keyed one belongs"},
		{"append-forged-entry-random-hash", func(f *fixture) {
			es := f.entries()
			last := es[len(es)-1]
			e := domain.AuditEntry{Seq: last.Seq + 1, At: last.At, Actor: "sari", Action: "transfer.approve",
				Subject: "transfer:X", Detail: "forged", PrevHash: last.Hash}
			e.Hash = e.ComputeKeyedHash([]byte("guessed key"), e.PrevHash)
			f.tamper(insertSQL(&e), fmt.Sprintf("UPDATE audit_anchor SET head_seq = %d, head_hash = '%s'", e.Seq, e.Hash))
		}, "does not match its keyed hash", "added without the shop's key"},
	}
}

// TestAuditTamper: for each attack, the keyed verify reports BROKEN and
// names what it found; the keyless verify reports BROKEN wherever a check
// without the key can know and otherwise says it cannot be verified
// without the key; opening the shop with the password (an owner's sign-in
// unlocking the vault) raises the tamper alarm instead of signing the
// anchor again, after which the keyless verify no longer passes either.
func TestAuditTamper(t *testing.T) {
	for _, tc := range tamperCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			owner, enr := f.owner()
			// Some history: a staff member, a settings change, an export.
			f.user(owner, "budi", domain.RoleStaff)
			if err := f.svc.RecordExport(f.ctx, owner, ExportRecord{Kind: "report", Path: "x.xlsx", Format: "xlsx"}); err != nil {
				t.Fatal(err)
			}
			f.vault.Lock() // Lunas closed
			tc.attack(f)

			c := f.check(f.vault) // locked: keyless
			switch {
			case tc.keyless != "" && (c.Break == nil || !strings.Contains(c.Break.Reason, tc.keyless)):
				t.Errorf("keyless verify: %+v, want BROKEN naming %q", c, tc.keyless)
			case tc.keyless == "" && (c.Break != nil || c.Verified || !strings.Contains(c.Note, NoKeyNote)):
				t.Errorf("keyless verify: %+v, want %q", c, NoKeyNote)
			}
			before, hadAnchor := anchorOrZero(f)

			// The owner opens the shop with the password: the unlock checks
			// the log before anything is written.
			f.clk.Add(30e9)
			if _, err := f.svc.Login(f.ctx, "sari", ownerPW, f.code(enr.Secret)); err != nil {
				t.Fatalf("owner sign-in after tampering: %v", err)
			}
			after := f.anchor()
			if after.Alarm == "" {
				t.Fatalf("no tamper alarm after the sign-in: %+v", after)
			}
			if hadAnchor && (after.MAC != before.MAC || after.SignedSeq != before.SignedSeq) {
				t.Errorf("the anchor was signed again over a tampered log: before %+v after %+v", before, after)
			}
			if !hadAnchor && after.MAC != "" {
				t.Errorf("a removed anchor came back signed: %+v", after)
			}
			c = f.check(f.vault)
			if c.Break == nil || !strings.Contains(c.Break.Reason, tc.keyed) || c.Alarm == "" {
				t.Errorf("keyed verify: %+v, want BROKEN naming %q and the alarm", c, tc.keyed)
			}
			if !strings.Contains(after.Alarm, tc.keyed) {
				t.Errorf("alarm %q does not name %q", after.Alarm, tc.keyed)
			}
			// More work with the key (a sign-in, an export) never re-signs.
			if err := f.svc.RecordExport(f.ctx, owner, ExportRecord{Kind: "report", Path: "y.xlsx", Format: "xlsx"}); err != nil {
				t.Fatal(err)
			}
			if a := f.anchor(); a.MAC != after.MAC || a.SignedSeq != after.SignedSeq {
				t.Errorf("an append re-signed during the alarm: %+v", a)
			}
			f.vault.Lock()
			if c := f.check(nil); c.Break == nil {
				t.Errorf("keyless verify after the alarm: %+v, want BROKEN", c)
			}
			if _, err := f.svc.VerifyAudit(f.ctx, owner); !errors.As(err, new(*AuditBreak)) {
				t.Errorf("VerifyAudit: %v, want an *AuditBreak", err)
			}
		})
	}
}

func anchorOrZero(f *fixture) (domain.AuditAnchor, bool) {
	var a domain.AuditAnchor
	err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { a, err = tx.(domain.AuditAnchorReader).AuditAnchor(); return err })
	if errors.Is(err, domain.ErrNotFound) {
		return a, false
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return a, true
}

// TestAuditAppendChecksAnchor: an append made while Lunas runs with the key
// (no unlock in between) checks the previous signed anchor and raises the
// alarm instead of signing over a truncated log.
func TestAuditAppendChecksAnchor(t *testing.T) {
	f := newFixture(t)
	owner, _ := f.owner()
	n := len(f.entries())
	f.tamper(fmt.Sprintf("DELETE FROM audit_log WHERE seq = %d", n),
		fmt.Sprintf("UPDATE audit_anchor SET head_seq = %d, head_hash = (SELECT hash FROM audit_log WHERE seq = %d)", n-1, n-1))
	// The vault stayed unlocked across the reopen: no unlock check ran.
	if err := f.svc.RecordExport(f.ctx, owner, ExportRecord{Kind: "report", Path: "x.xlsx", Format: "xlsx"}); err != nil {
		t.Fatal(err)
	}
	a := f.anchor()
	if !strings.Contains(a.Alarm, "beyond the end of the log") && !strings.Contains(a.Alarm, "vouches for") {
		t.Fatalf("append over a truncated log: alarm %q", a.Alarm)
	}
	if c := f.check(f.vault); c.Break == nil {
		t.Fatalf("keyed verify after the append: %+v", c)
	}
}

// TestAuditEntriesWhileLockedWait: events recorded while the vault is locked
// stay out of the chain (so the chain after the keyed boundary is keyed
// throughout) and are chained, marked as not authenticated, by the next
// append with the key; the log verifies afterwards.
func TestAuditEntriesWhileLockedWait(t *testing.T) {
	f := newFixture(t)
	f.owner()
	n := len(f.entries())
	f.vault.Lock()
	if _, err := f.svc.Login(f.ctx, "sari", "wrong-password", "000000"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if got := len(f.entries()); got != n {
		t.Fatalf("a locked append went into the chain: %d entries, want %d", got, n)
	}
	c := f.check(nil)
	if c.Break != nil || c.Pending != 1 {
		t.Fatalf("locked, one event waiting: %+v", c)
	}
	if err := f.vault.Unlock(f.ctx, 1, ownerPW); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		return tx.AppendAudit(&domain.AuditEntry{Actor: "sari", Action: "test", Subject: "audit"})
	}); err != nil {
		t.Fatal(err)
	}
	es := f.entries()
	if len(es) != n+2 || es[n].Action != "login.failed" || !strings.HasPrefix(es[n].Detail, domain.PendingPrefix) {
		t.Fatalf("after the unlocked append: %d entries, entry %d = %+v", len(es), n+1, es[n])
	}
	if c := f.check(f.vault); c.Break != nil || !c.Verified || c.Pending != 0 {
		t.Fatalf("after an unlocked append: %+v", c)
	}
}

// TestAuditMiddleEditFoundAtUnlock: an entry edited in the middle (hash
// column left alone) is found by the walk every unlock makes.
func TestAuditMiddleEditFoundAtUnlock(t *testing.T) {
	f := newFixture(t)
	f.owner()
	f.vault.Lock()
	f.tamper("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 2")
	if c := f.check(nil); c.Break != nil {
		t.Fatalf("keyless cannot see a keyed entry's content: %+v", c)
	}
	if err := f.vault.Unlock(f.ctx, 1, ownerPW); err != nil {
		t.Fatal(err)
	}
	if a := f.anchor(); !strings.Contains(a.Alarm, "entry 2") {
		t.Fatalf("alarm after unlock: %q", a.Alarm)
	}
}

package app

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/security"
)

// auditDB creates a database with n audit entries and returns its path.
func auditDB(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lunas.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 1; i <= n; i++ {
		err := db.Write(ctx, func(tx domain.Tx) error {
			return tx.AppendAudit(&domain.AuditEntry{Actor: "sari", Action: "login", Subject: "user:sari", Detail: fmt.Sprintf("event %d", i)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func rawExec(t *testing.T, path string, stmts ...string) error {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			return err
		}
	}
	return nil
}

func TestAuditTriggersForbidUpdateAndDelete(t *testing.T) {
	path := auditDB(t, 3)
	if err := rawExec(t, path, "UPDATE audit_log SET detail = 'x' WHERE seq = 2"); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("UPDATE allowed: %v", err)
	}
	if err := rawExec(t, path, "DELETE FROM audit_log WHERE seq = 3"); err == nil {
		t.Fatal("DELETE allowed")
	}
}

func TestAuditVerifyNamesFirstBrokenEntry(t *testing.T) {
	drop := []string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}
	tests := []struct {
		name   string
		tamper string
		want   int // broken entry, 0 for intact
	}{
		{"intact", "", 0},
		{"detail changed", "UPDATE audit_log SET detail = 'event 3 (edited)' WHERE seq = 3", 3},
		{"actor changed", "UPDATE audit_log SET actor = 'budi' WHERE seq = 1", 1},
		{"time changed", "UPDATE audit_log SET at = at + 1 WHERE seq = 5", 5},
		{"hash rewritten", "UPDATE audit_log SET hash = '00' || substr(hash, 3) WHERE seq = 2", 2},
		{"link rewritten", "UPDATE audit_log SET prev_hash = hash WHERE seq = 4", 4},
		{"entry deleted", "DELETE FROM audit_log WHERE seq = 3", 3},
		{"last entry changed", "UPDATE audit_log SET action = 'logout' WHERE seq = 6", 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := auditDB(t, 6)
			if tc.tamper != "" {
				if err := rawExec(t, path, append(drop, tc.tamper)...); err != nil {
					t.Fatal(err)
				}
			}
			var out, errb bytes.Buffer
			code := Main([]string{"--db", path, "audit", "verify"}, &out, &errb)
			if tc.want == 0 {
				if code != 0 || !strings.HasPrefix(out.String(), "not verified: 6 audit entries") || !strings.Contains(out.String(), security.NoKeyNote) {
					t.Fatalf("exit %d, out %q, err %q", code, out.String(), errb.String())
				}
				return
			}
			wantText := fmt.Sprintf("entry %d:", tc.want)
			if code != 1 || !strings.Contains(out.String(), wantText) {
				t.Fatalf("exit %d, out %q, err %q; want exit 1 naming %q", code, out.String(), errb.String(), wantText)
			}
		})
	}
}

func TestAuditVerifyUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"--db", filepath.Join(t.TempDir(), "x.db"), "audit"}, &out, &errb); code != 2 {
		t.Fatalf("no subcommand: exit %d", code)
	}
	if code := Main([]string{"--db", filepath.Join(t.TempDir(), "missing.db"), "audit", "verify"}, &out, &errb); code != 1 {
		t.Fatalf("missing database: exit %d", code)
	}
}

// TestAuditCLITamperAndHead: on a real shop, `audit verify` without the key
// says "not verified", with LUNAS_PASSWORD "ok"; `audit head` prints the
// verified head and `audit verify --head` checks it. After a truncation
// that also fixes the anchor's head (which no keyless check can see), the
// verify with the password reports BROKEN and exits non-zero, raises the
// tamper alarm, and from then on the verify without the key fails too; the
// kept head catches the cut even without the key.
func TestAuditCLITamperAndHead(t *testing.T) {
	useKeychain(t, nil)
	s := newTestShop(t, nil)
	s.addUser("budi", domain.RoleStaff)
	s.DB.Close()
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"--db", s.Path, "audit"}, args...), &out, &errb)
		return code, out.String() + errb.String()
	}
	t.Setenv("LUNAS_PASSWORD", "")
	if code, out := run("verify"); code != 0 || !strings.HasPrefix(out, "not verified:") || !strings.Contains(out, security.NoKeyNote) {
		t.Fatalf("keyless verify of an intact shop: exit %d, %q", code, out)
	}
	if code, out := run("head"); code != 1 || !strings.Contains(out, "not verified") {
		t.Fatalf("head without the key: exit %d, %q", code, out)
	}
	t.Setenv("LUNAS_PASSWORD", testPassword)
	var quiet bytes.Buffer
	if code := Main([]string{"--db", s.Path, "settings", "get", "shop.name"}, io.Discard, &quiet); code != 0 || strings.Contains(quiet.String(), "tamper") {
		t.Fatalf("a command on an intact shop: exit %d, stderr %q", code, quiet.String())
	}
	code, out := run("head")
	if code != 0 || !strings.HasPrefix(out, headPrefix+" seq=") {
		t.Fatalf("head: exit %d, %q", code, out)
	}
	kept := strings.TrimSpace(out)
	if code, out := run("verify", "--head", kept); code != 0 || !strings.HasPrefix(out, "ok:") || !strings.Contains(out, "as kept") {
		t.Fatalf("verify --head on the intact log: exit %d, %q", code, out)
	}
	k, err := parseKeptHead(kept)
	if err != nil {
		t.Fatal(err)
	}
	// Cut the last two entries and move the anchor's head and signed part
	// to the new end (the MAC cannot follow without the key).
	cut := k.seq + 1 - 3 // entries after it go; the verify above appended one more
	if err := rawExec(t, s.Path, "DROP TRIGGER audit_log_no_delete",
		fmt.Sprintf("DELETE FROM audit_log WHERE seq > %d", cut),
		fmt.Sprintf(`UPDATE audit_anchor SET head_seq = %[1]d, signed_seq = %[1]d,
			head_hash = (SELECT hash FROM audit_log WHERE seq = %[1]d), signed_hash = (SELECT hash FROM audit_log WHERE seq = %[1]d)`, cut)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LUNAS_PASSWORD", "")
	if code, out := run("verify"); code != 0 || !strings.HasPrefix(out, "not verified:") {
		t.Fatalf("keyless verify cannot see this cut: exit %d, %q", code, out)
	}
	if code, out := run("verify", "--head", kept); code != 1 || !strings.Contains(out, "head kept outside the log is gone") {
		t.Fatalf("keyless verify with the kept head: exit %d, %q", code, out)
	}
	t.Setenv("LUNAS_PASSWORD", testPassword)
	if code, out := run("verify"); code != 1 || !strings.HasPrefix(out, "BROKEN:") || !strings.Contains(out, "not signed with this shop's key") {
		t.Fatalf("keyed verify of the cut log: exit %d, %q", code, out)
	}
	t.Setenv("LUNAS_PASSWORD", "")
	if code, out := run("verify"); code != 1 || !strings.Contains(out, "tamper alarm") {
		t.Fatalf("keyless verify after the alarm: exit %d, %q", code, out)
	}
	// Every command that opens the shop says so on stderr (a shop run
	// only with serve has no red banner to see).
	t.Setenv("LUNAS_PASSWORD", testPassword)
	var out2, errb bytes.Buffer
	if code := Main([]string{"--db", s.Path, "settings", "get", "shop.name"}, &out2, &errb); code != 0 ||
		!strings.Contains(errb.String(), "audit log tamper alarm") || !strings.Contains(errb.String(), "lunas audit verify") {
		t.Fatalf("a command after the alarm: exit %d, stdout %q, stderr %q", code, out2.String(), errb.String())
	}
}

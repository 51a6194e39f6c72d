package app

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/sqlite"
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
				if code != 0 || !strings.HasPrefix(out.String(), "ok: 6 audit entries") {
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

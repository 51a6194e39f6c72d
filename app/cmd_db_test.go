package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/sqlite"
)

func runLunas(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDBCheckAndBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new folder", "lunas.db")
	e := &env{DBPath: path}
	db, err := openStore(context.Background(), e, sqlite.Options{})
	if err != nil {
		t.Fatalf("openStore: %v", err)
	}
	if err := db.Write(context.Background(), func(tx domain.Tx) error { return tx.SetSetting("shop.name", "Batik Sari") }); err != nil {
		t.Fatal(err)
	}
	// Both commands work while the store is open (the app is running).
	if code, out, errs := runLunas(t, "--db", path, "db", "check"); code != 0 || !strings.HasPrefix(out, "ok:") {
		t.Errorf("db check = %d, %q, %q", code, out, errs)
	}
	bak := filepath.Join(dir, "backup.db")
	if code, out, errs := runLunas(t, "--db", path, "db", "backup", bak); code != 0 || !strings.Contains(out, "verified") {
		t.Errorf("db backup = %d, %q, %q", code, out, errs)
	}
	db.Close()
	if code, _, errs := runLunas(t, "--db", path, "db", "backup", bak); code != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("backup over existing = %d, %q", code, errs)
	}
	// The backup is a database of its own with the same data.
	b, err := sqlite.Open(context.Background(), bak, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Read(context.Background(), func(tx domain.ReadTx) error {
		if v, err := tx.GetSetting("shop.name"); err != nil || v != "Batik Sari" {
			t.Errorf("backup setting = %q, %v", v, err)
		}
		return nil
	})
	b.Close()

	// A database that is not one is reported, not created or migrated.
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, bytes.Repeat([]byte("not sqlite "), 500), 0o600)
	code, out, errs := runLunas(t, "--db", bad, "db", "check")
	if code != 1 || !strings.Contains(out, "DAMAGED") || !strings.Contains(errs, "rusak") {
		t.Errorf("damaged check = %d, %q, %q", code, out, errs)
	}
	missing := filepath.Join(dir, "none.db")
	if code, _, errs := runLunas(t, "--db", missing, "db", "check"); code != 1 || !strings.Contains(errs, "no database") {
		t.Errorf("missing check = %d, %q", code, errs)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("db check created a database")
	}
	if code, _, _ := runLunas(t, "--db", path, "db", "frobnicate"); code != 2 {
		t.Errorf("bad subcommand exit %d, want 2", code)
	}
}

package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
)

// TestReportCommands runs import, export and reconcile end to end on a
// database file, the way a shop owner would from a terminal.
func TestReportCommands(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "lunas.db")
	ciph, err := keyFileCipher(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openStore(context.Background(), &env{DBPath: dbPath}, sqlite.Options{Cipher: ciph})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	payees := filepath.Join(dir, "penerima.csv")
	os.WriteFile(payees, []byte("\ufeffNama;Bank;No Rekening;Email\nBu Ani;BCA;1234567890;ani@contoh.id\nPak Budi;BRI;12ab;\n"), 0o600)
	code, out, errs := runLunas(t, "--db", dbPath, "import", "payees", payees)
	if code != 1 || !strings.Contains(out, `baris 3, kolom "No Rekening"`) || !strings.Contains(errs, "nothing imported") {
		t.Fatalf("import = %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runLunas(t, "--db", dbPath, "import", "payees", payees, "--valid-only")
	if code != 0 || !strings.Contains(out, "imported 1, already present 0, skipped 1") {
		t.Fatalf("import --valid-only = %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runLunas(t, "--db", dbPath, "import", "payees", payees, "--valid-only")
	if code != 0 || !strings.Contains(out, "imported 0, already present 1") {
		t.Fatalf("re-import = %d\n%s", code, out)
	}

	// A transfer to export.
	db, err = openStore(context.Background(), &env{DBPath: dbPath}, sqlite.Options{Cipher: ciph})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(context.Background(), func(tx domain.Tx) error {
		ps, err := tx.ListPayees(domain.Page{})
		if err != nil || len(ps) != 1 {
			t.Fatalf("payees = %v, %v", ps, err)
		}
		return tx.CreateTransfer(&domain.Transfer{RefID: "R-1", PayeeID: ps[0].ID, Channel: "xendit", Amount: 90000,
			Status: domain.TransferSucceeded})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	xl := filepath.Join(dir, "laporan.xlsx")
	code, out, errs = runLunas(t, "--db", dbPath, "export", "--from", "2000-01-01", "--to", "2099-12-31", "--lang", "en", "--out", xl)
	if code != 0 {
		t.Fatalf("export = %d\n%s\n%s", code, out, errs)
	}
	f, err := excelize.OpenFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := f.GetCellValue("Transfers", "G2")
	f.Close()
	if v != "••••7890" {
		t.Errorf("account = %q, want masked", v)
	}
	csvPath := filepath.Join(dir, "transfer.csv")
	if code, _, errs := runLunas(t, "--db", dbPath, "export", "--status", "failed", "--out", csvPath); code != 0 {
		t.Fatalf("csv export = %d %s", code, errs)
	}
	b, _ := os.ReadFile(csvPath)
	if lines := strings.Count(string(b), "\n"); lines != 1 {
		t.Errorf("failed-only CSV has %d lines, want the header only:\n%s", lines, b)
	}
	if code, _, _ := runLunas(t, "--db", dbPath, "export", "--from", "kemarin", "--out", xl); code != 2 {
		t.Errorf("bad date exit = %d, want 2", code)
	}

	// Reconcile against the sandbox: R-1 was never sent there.
	_, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("LUNAS_XENDIT_KEY", sandbox.DefaultCredentials().XenditSecretKey)
	rx := filepath.Join(dir, "rekonsiliasi.xlsx")
	code, out, errs = runLunas(t, "--db", dbPath, "reconcile", "--from", "2000-01-01", "--to", "2099-12-31",
		"--xendit-url", url, "--out", rx)
	if code != 0 || !strings.Contains(out, "missing_at_gateway transfer xendit   R-1") || !strings.Contains(out, "wrote "+rx) {
		t.Fatalf("reconcile = %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(rx); err != nil {
		t.Error(err)
	}
}

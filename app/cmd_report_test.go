package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
	"lunas/domain/reconcile"
	"lunas/gateways/sandbox"
)

// TestReportCommands runs import, export and reconcile end to end on a
// shop's database file (vault, owner), the way a shop owner would from a
// terminal: signed in as the owner with LUNAS_PASSWORD.
func TestReportCommands(t *testing.T) {
	dir := t.TempDir()
	useKeychain(t, nil)
	s := newTestShop(t, nil)
	dbPath := s.Path
	s.DB.Close()
	t.Setenv("LUNAS_USER", "")
	t.Setenv("LUNAS_PASSWORD", testPassword)
	_, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

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

	// A transfer per channel to export and reconcile, and the gateway keys
	// as the desktop stores them.
	sh, err := unlockShop(context.Background(), &env{DBPath: dbPath}, true)
	if err != nil {
		t.Fatal(err)
	}
	creds := sandbox.DefaultCredentials()
	for k, v := range map[string]string{secretXenditKey: creds.XenditSecretKey, secretIrisCreator: creds.IrisCreatorKey,
		secretH2HPIN: creds.H2HPin, secretH2HPassword: creds.H2HPassword} {
		if err := sh.Sec.SetSecret(context.Background(), sh.Actor, k, v); err != nil {
			t.Fatal(err)
		}
	}
	err = sh.DB.Write(context.Background(), func(tx domain.Tx) error {
		if err := tx.SetSetting(settingH2HConfig, `{"name":"pulsa","base_url":"`+url+sandbox.H2HPath+`","member_id":"`+creds.H2HMemberID+`","products":{"GOPAY":"GOPAY"}}`); err != nil {
			return err
		}
		ps, err := tx.ListPayees(domain.Page{})
		if err != nil || len(ps) != 1 {
			t.Fatalf("payees = %v, %v", ps, err)
		}
		for ref, ch := range map[string]string{"R-1": "xendit", "R-IRIS": "iris", "R-H2H": "h2h:pulsa"} {
			if err := tx.CreateTransfer(&domain.Transfer{RefID: ref, PayeeID: ps[0].ID, Channel: ch, Amount: 90000,
				Status: domain.TransferSucceeded}); err != nil {
				return err
			}
		}
		return nil
	})
	sh.Close()
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
	rows, _ := f.GetRows("Transfers")
	f.Close()
	masked := false
	for _, r := range rows {
		masked = masked || len(r) > 6 && r[6] == "••••7890"
	}
	if !masked {
		t.Errorf("transfers sheet %v: want the account masked", rows)
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

	// Reconcile against the sandbox: no transfer was ever sent there, and
	// every configured channel (Xendit, Iris, the H2H supplier) says so.
	rx := filepath.Join(dir, "rekonsiliasi.xlsx")
	code, out, errs = runLunas(t, "--db", dbPath, "reconcile", "--from", "2000-01-01", "--to", "2099-12-31",
		"--sandbox", url, "--out", rx, "--lang", "en")
	if code != 0 || !strings.Contains(out, "wrote "+rx) {
		t.Fatalf("reconcile = %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"Transfer R-1 is paid in Lunas (Rp90,000), but Xendit has no record of it.",
		"Transfer R-IRIS is paid in Lunas (Rp90,000), but Iris (Midtrans) has no record of it.",
		"Transfer R-H2H is paid in Lunas (Rp90,000), but H2H pulsa has no record of it."} {
		if !strings.Contains(out, want) {
			t.Errorf("reconcile output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "missing at gateway 3, amount differs") || !strings.Contains(out, "not checked 0, gateway not configured 0") {
		t.Errorf("reconcile summary lacks the counts (3 missing, zero unchecked/not configured):\n%s", out)
	}
	for _, k := range reconcile.Kinds {
		if k != reconcile.Matched && strings.Contains(out, string(k)) { // "matched" is a word too
			t.Errorf("reconcile output shows the code %q:\n%s", k, out)
		}
	}
	if _, err := os.Stat(rx); err != nil {
		t.Error(err)
	}
}

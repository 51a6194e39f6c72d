package xlsx

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"lunas/domain/reconcile"
)

func TestExportReconciliation(t *testing.T) {
	rep := reconcile.Report{
		Items: []reconcile.Item{
			{Kind: reconcile.AmountMismatch, Area: reconcile.AreaTransfer, Gateway: "xendit", Subject: "-R-1",
				LocalStatus: "succeeded", RemoteStatus: "succeeded", RemoteState: "succeeded", LocalAmount: 85000, RemoteAmount: 80000,
				At: time.Date(2026, 11, 1, 17, 30, 0, 0, time.UTC), Note: "Lunas sent Rp85.000, the gateway has Rp80.000"},
			{Kind: reconcile.Matched, Area: reconcile.AreaBalance, Gateway: "xendit", Subject: "xendit", LocalAmount: 10, RemoteAmount: 10},
		},
		Counts: map[reconcile.Kind]int{reconcile.AmountMismatch: 1, reconcile.Matched: 1},
	}
	path := filepath.Join(t.TempDir(), "rekonsiliasi.xlsx")
	if err := ExportReconciliation(context.Background(), rep, path, Options{Actor: owner}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Rekonsiliasi", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "Transfer -R-1 bernilai Rp85.000 di Lunas, tetapi Rp80.000 di Xendit: Rp5.000 lebih sedikit di gateway."
	if len(rows) != 3 || rows[1][0] != "nilai berbeda" || rows[1][1] != "transfer" || rows[1][3] != "'-R-1" || rows[1][5] != "berhasil dibayar" ||
		rows[1][6] != "berhasil dibayar" || rows[1][9] != "-5000" || rows[1][10] != want {
		t.Errorf("rows = %q", rows)
	}
	checkNumber(t, f, "Rekonsiliasi", "J2", -5000, RupiahFormat)
	checkDate(t, f, "Rekonsiliasi", "E2", time.Date(2026, 11, 2, 0, 30, 0, 0, jakarta(t)), DateTimeFormat)
	counts, _ := f.GetRows("Jumlah", excelize.Options{RawCellValue: true})
	if len(counts) != 1+len(reconcile.Kinds) || counts[1][0] != "cocok" || counts[1][1] != "1" {
		t.Errorf("counts = %q", counts)
	}
}

// TestReconcileKindsAllNamed: every reconciliation kind, including "amount
// not checked" and "gateway not configured", has a name in both languages,
// never its code, so the counts sheet never shows a blank or a code.
func TestReconcileKindsAllNamed(t *testing.T) {
	for _, k := range reconcile.Kinds {
		for _, l := range []Lang{LangID, LangEN} {
			if n := reconcile.KindWords(k, string(l)); n == "" || strings.Contains(n, "_") || (k != reconcile.Matched && n == string(k)) {
				t.Errorf("kind %s in %s: %q", k, l, n)
			}
		}
	}
}

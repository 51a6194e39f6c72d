package xlsx

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"lunas/domain/reconcile"
)

func TestExportReconciliation(t *testing.T) {
	rep := reconcile.Report{
		Items: []reconcile.Item{
			{Kind: reconcile.AmountMismatch, Area: reconcile.AreaTransfer, Gateway: "xendit", Subject: "R-1",
				LocalStatus: "succeeded", RemoteStatus: "succeeded", LocalAmount: 85000, RemoteAmount: 80000,
				At: time.Date(2026, 11, 1, 17, 30, 0, 0, time.UTC), Note: "-selisih"},
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
	if len(rows) != 3 || rows[1][0] != "nilai berbeda" || rows[1][9] != "-5000" || rows[1][10] != "'-selisih" {
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
// so the counts sheet never shows a blank result.
func TestReconcileKindsAllNamed(t *testing.T) {
	for _, k := range reconcile.Kinds {
		n := kindNames[k]
		if n[0] == "" || n[1] == "" {
			t.Errorf("kind %s has no name: %q", k, n)
		}
	}
}

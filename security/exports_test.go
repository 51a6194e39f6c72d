package security

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/xlsx"
)

// TestRecordExportAuditsWhoWhatAndRows: a real workbook exported from the
// store, then recorded: the audit entry names the person, the file (base
// name only), the filter, masking and the rows per sheet, and the chain
// stays intact.
func TestRecordExportAuditsWhoWhatAndRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	viewer, _ := f.user(owner, "akuntan", domain.RoleViewer)
	p := f.payee("Siti Aminah", "1234567890", "SITI AMINAH")
	f.settled("o1", p.ID, 100_000, 90_000)
	loc, err := xlsx.ShopLocation()
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		actor    domain.Actor
		unmask   bool
		file     string
		wantKind string
	}{
		{viewer, false, "laporan.xlsx", "unmasked=false"},
		{owner, true, "laporan-lengkap.csv", "unmasked=true"},
	} {
		path := filepath.Join(t.TempDir(), c.file)
		filter := domain.ReportFilter{From: from, PayeeID: p.ID, Gateway: "xendit"}
		var res xlsx.Result
		err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) {
			res, err = xlsx.Export(f.ctx, tx.(xlsx.Rows), path, xlsx.Options{Actor: c.actor, Filter: filter, Location: loc, Unmask: c.unmask,
				CSVSheet: xlsx.SheetOrders})
			return err
		})
		if err != nil {
			t.Fatalf("%s export: %v", c.actor.Name, err)
		}
		format, _ := xlsx.FormatOf(path)
		if err := f.svc.RecordExport(f.ctx, c.actor, ExportRecord{Kind: "report", Path: path, Format: string(format),
			Filter: filter, Rows: res.SheetRows(), Unmasked: c.unmask, Via: "desktop"}); err != nil {
			t.Fatal(err)
		}
		e := lastAudit(t, f)
		for _, want := range []string{c.wantKind, "payee=", "gateway=xendit", "from=2026-11-01", "orders 1", "via desktop", "format=" + string(format)} {
			if !strings.Contains(e.Detail, want) {
				t.Errorf("%s: detail %q lacks %q", c.actor.Name, e.Detail, want)
			}
		}
		if e.Actor != c.actor.Name || e.Action != "export.report" || e.Subject != "file:"+c.file {
			t.Errorf("entry = %+v", e)
		}
		if strings.Contains(e.Detail, "1234567890") || strings.Contains(e.Subject, string(filepath.Separator)) {
			t.Errorf("entry leaks an account or a folder: %+v", e)
		}
	}
	if c := f.check(f.vault); c.Break != nil || !c.Signed {
		t.Fatalf("chain after exports: %+v", c)
	}
}

func lastAudit(t *testing.T, f *fixture) domain.AuditEntry {
	t.Helper()
	var all []domain.AuditEntry
	if err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { all, err = tx.ListAudit(0, 0); return err }); err != nil {
		t.Fatal(err)
	}
	return all[len(all)-1]
}

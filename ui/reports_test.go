package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
	"lunas/domain/xlsx"
)

// xlsxExporter is app's exporter in small: the real spreadsheet writer over
// the real store.
type xlsxExporter struct{ st domain.Store }

func (x xlsxExporter) Export(ctx context.Context, actor domain.Actor, req ExportRequest, path string, progress func(int, int)) error {
	var sheets []xlsx.Sheet
	for _, k := range req.Sheets {
		s, err := xlsx.ParseSheet(k)
		if err != nil {
			return err
		}
		sheets = append(sheets, s)
	}
	lang, err := xlsx.ParseLang(req.Lang)
	if err != nil {
		return err
	}
	return x.st.Read(ctx, func(tx domain.ReadTx) error {
		rows, ok := tx.(xlsx.Rows)
		if !ok {
			return errors.New("store cannot stream")
		}
		_, err := xlsx.Export(ctx, rows, path, xlsx.Options{Actor: actor, Sheets: sheets, Lang: lang,
			Filter: domain.ReportFilter{From: req.Filter.From, To: req.Filter.To}})
		return err
	})
}

// TestReportWritesChosenSheetsInTheAppsLanguage: ticking Transfers writes a
// workbook with that one sheet, named in the desktop's language, and the
// screen says where it was saved and offers to open the folder; CSV with
// two sheets and an empty choice are refused with the field named.
func TestReportWritesChosenSheetsInTheAppsLanguage(t *testing.T) {
	for _, c := range []struct{ lang, sheet string }{{LangEnglish, "Transfers"}, {LangIndonesian, "Transfer"}} {
		env := newTestEnv(t, false)
		svc := env.services()
		svc.Exporter = xlsxExporter{env.store}
		u := newTestUI(t, svc, domain.RoleOwner)
		SetLanguage(c.lang)
		s := newReportsScreen(u)
		if got := s.chosenSheets(); len(got) != 1 || got[0] != "transfers" {
			t.Fatalf("default sheets %v, want transfers only", got)
		}
		from, to, err := s.period()
		if err != nil || !to.After(from) {
			t.Fatalf("default period %v..%v, %v", from, to, err)
		}
		path := filepath.Join(t.TempDir(), "report.xlsx")
		s.run(ExportRequest{Sheets: s.chosenSheets(), Lang: currentLanguage(), Filter: domain.TransferFilter{From: from, To: to}}, path)
		s.wg.wait()
		testQueue.drain()
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatalf("%s: %v (screen says %q)", c.lang, err, s.progLbl.Text)
		}
		if got := f.GetSheetList(); len(got) != 1 || got[0] != c.sheet {
			t.Errorf("%s: workbook sheets %q, want only %q", c.lang, got, c.sheet)
		}
		f.Close()
		if !strings.Contains(s.progLbl.Text, filepath.Dir(path)) || s.openDir.Hidden {
			t.Errorf("%s: after saving the screen says %q (open folder hidden %v)", c.lang, s.progLbl.Text, s.openDir.Hidden)
		}
		s.format.SetSelected("csv")
		s.sheets.SetSelected([]string{tr("report.transfers"), tr("report.orders")})
		s.startExport()
		if !strings.HasPrefix(s.progLbl.Text, tr("report.kind")+": ") {
			t.Errorf("%s: CSV with two sheets: %q", c.lang, s.progLbl.Text)
		}
		s.sheets.SetSelected(nil)
		s.startExport()
		if !strings.HasPrefix(s.progLbl.Text, tr("report.kind")+": ") {
			t.Errorf("%s: no sheet: %q", c.lang, s.progLbl.Text)
		}
	}
	SetLanguage(LangEnglish)
}

package xlsx

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
)

// memRows is a Rows source over slices. It stands in for the store where a
// test is about the file format, not the queries (those are tested against
// SQLite in domain/sqlite).
type memRows struct {
	orders    []OrderRow
	payments  []domain.Payment
	transfers []TransferRow
	postings  []domain.Posting
	flags     []FlagRow
	audit     []domain.AuditEntry
	// perRow, if set, runs before each transfer row (used to cancel mid-way).
	perRow func(i int)
}

func each[T any](rows []T, fn func(T) error) error {
	for _, r := range rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *memRows) EachOrder(_ Filter, fn func(OrderRow) error) error {
	return each(m.orders, fn)
}
func (m *memRows) EachPayment(_ Filter, fn func(domain.Payment) error) error {
	return each(m.payments, fn)
}
func (m *memRows) EachTransfer(_ Filter, fn func(TransferRow) error) error {
	for i, t := range m.transfers {
		if m.perRow != nil {
			m.perRow(i)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}
func (m *memRows) EachPosting(_ Filter, fn func(domain.Posting) error) error {
	return each(m.postings, fn)
}
func (m *memRows) EachFlag(_ Filter, fn func(FlagRow) error) error {
	return each(m.flags, fn)
}
func (m *memRows) EachAudit(_ Filter, fn func(domain.AuditEntry) error) error {
	return each(m.audit, fn)
}

var owner = domain.Actor{Name: "sari", Role: domain.RoleOwner}

func jakarta(t testing.TB) *time.Location {
	t.Helper()
	loc, err := ShopLocation()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func sampleRows() *memRows {
	// 2026-11-01 17:30 UTC is 2 November 00:30 in Jakarta: the day must follow the shop's zone.
	t1 := time.Date(2026, 11, 1, 17, 30, 0, 0, time.UTC)
	t2 := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	return &memRows{
		orders: []OrderRow{{ID: 1, ExternalID: "ORD-1", Source: "manual", BuyerName: "=HYPERLINK(\"http://x\")", BuyerEmail: "a@b.id",
			Status: domain.OrderPaid, CreatedAt: t1, Items: 2, Subtotal: 100000, Shipping: 15000, Total: 115000}},
		payments: []domain.Payment{{ID: 1, OrderID: 1, Gateway: "xendit", ExternalID: "PAY-1", GatewayRef: "inv_1",
			Amount: 115000, PaidAmount: 115000, Status: domain.PaymentSettled, CreatedAt: t1, SettledAt: t1.Add(time.Hour)}},
		transfers: []TransferRow{
			{Transfer: domain.Transfer{ID: 1, RefID: "R-1", PayeeID: 7, Channel: "xendit", Amount: 90000, Status: domain.TransferSucceeded,
				Attempts: 1, CreatedBy: "engine", CreatedAt: t1, UpdatedAt: t2}, PayeeName: "Bu Ani", PayeeBank: "BCA", AccountNumber: "1234567890"},
			{Transfer: domain.Transfer{ID: 2, RefID: "R-2", PayeeID: 8, Channel: "iris", Amount: 2500000, Status: domain.TransferAwaitingApproval,
				HoldReason: "+ besar", CreatedBy: "engine", CreatedAt: t2, UpdatedAt: t2}, PayeeName: "@pak_budi", PayeeBank: "BRI", AccountNumber: "555566667777"},
		},
		postings: []domain.Posting{{ID: 1, Ref: "payment:PAY-1", Memo: "payment settled", CreatedAt: t1, Lines: []domain.PostingLine{
			{Account: domain.ClearingAccount("xendit"), Amount: 115000}, {Account: domain.PayableAccount(7), Amount: -90000},
			{Account: domain.AccountCommission, Amount: -25000}}}},
		flags: []FlagRow{{At: t2, Kind: "transfer", Subject: "R-2", Status: "awaiting_approval", Amount: 2500000, Reason: "-large transfer"}},
		audit: []domain.AuditEntry{{Seq: 1, At: t1, Actor: "engine", Action: "transfer.status", Subject: "transfer:R-1", Detail: "\tsent", Hash: "ab"}},
	}
}

func TestExportRoundTrip(t *testing.T) {
	for _, lang := range []Lang{LangID, LangEN} {
		t.Run(string(lang), func(t *testing.T) {
			loc := jakarta(t)
			path := filepath.Join(t.TempDir(), "laporan.xlsx")
			var progress []Progress
			res, err := Export(context.Background(), sampleRows(), path, Options{Actor: owner, Lang: lang,
				Progress: func(p Progress) { progress = append(progress, p) }})
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows[SheetTransfers] != 2 || res.Rows[SheetLedger] != 3 {
				t.Errorf("rows = %v", res.Rows)
			}
			if len(progress) != len(AllSheets) {
				t.Errorf("progress calls = %d, want one per sheet (%d)", len(progress), len(AllSheets))
			}
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()

			var want []string
			for _, s := range AllSheets {
				want = append(want, s.Title(lang))
			}
			if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("sheets = %q, want %q", got, want)
			}
			tr := SheetTransfers.Title(lang)
			rows, err := f.GetRows(tr, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(rows[0], "|") != strings.Join(Columns(SheetTransfers, lang), "|") {
				t.Errorf("header = %q", rows[0])
			}
			if rows[1][0] != "R-1" || rows[1][6] != "••••7890" || rows[1][8] != "90000" {
				t.Errorf("row 2 = %q", rows[1])
			}
			if rows[2][4] != "'@pak_budi" || rows[2][13] != "'+ besar" {
				t.Errorf("formula-like text not neutralised: %q", rows[2])
			}

			// Amount: a number with the rupiah format.
			checkNumber(t, f, tr, "I2", 90000, RupiahFormat)
			// Created: a real date in Jakarta time (2 Nov 00:30).
			checkDate(t, f, tr, "C2", time.Date(2026, 11, 2, 0, 30, 0, 0, loc), DateTimeFormat)
			// Attempts: a plain number.
			if typ, _ := f.GetCellType(tr, "O2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("attempts cell type = %v, want number", typ)
			}
			if typ, _ := f.GetCellType(tr, "A2"); typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber {
				t.Errorf("REFID cell type = %v, want text", typ)
			}

			for _, s := range AllSheets {
				name := s.Title(lang)
				p, err := f.GetPanes(name)
				if err != nil {
					t.Fatal(err)
				}
				if !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
					t.Errorf("%s: panes = %+v, want header frozen", name, p)
				}
				w, err := f.GetColWidth(name, "A")
				if err != nil || w != sheetColumns[s][0].width {
					t.Errorf("%s: column A width = %v, %v", name, w, err)
				}
			}
			// Autofilter: the defined name and the worksheet element.
			filters := 0
			for _, dn := range f.GetDefinedName() {
				if dn.Name == "_xlnm._FilterDatabase" {
					filters++
				}
			}
			if filters != len(AllSheets) {
				t.Errorf("filter names = %d, want %d", filters, len(AllSheets))
			}
			if xml := strings.ReplaceAll(sheetXML(t, path, 4), "$", ""); !strings.Contains(xml, `<autoFilter ref="A1:Q3"`) {
				t.Errorf("transfers sheet has no autofilter over A1:Q3")
			}

			// Summary: per day in Jakarta days, per payee, per status.
			sum, err := f.GetRows(SheetSummary.Title(lang), excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, r := range sum[1:] {
				for len(r) < 5 {
					r = append(r, "")
				}
				got[strings.Join(r, "|")] = true
			}
			nov2 := strconv.Itoa(int(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24))
			for _, w := range []string{
				pick(secPaidPerDay, lang) + "|" + nov2 + "||1|115000",
				pick(secTransferredPerDay, lang) + "|" + nov2 + "||1|90000",
				pick(secPerPayee, lang) + "||Bu Ani|1|90000",
				pick(secTransferStatus, lang) + "||awaiting_approval|1|2500000",
				pick(secOrderStatus, lang) + "||paid|1|115000",
			} {
				if !got[w] {
					t.Errorf("summary lacks %q; have %v", w, got)
				}
			}
			checkDate(t, f, SheetSummary.Title(lang), "B2", time.Date(2026, 11, 2, 0, 0, 0, 0, loc), DateFormat)
			checkNumber(t, f, SheetSummary.Title(lang), "E2", 115000, RupiahFormat)

			// Ledger: debit and credit as numbers.
			led, _ := f.GetRows(SheetLedger.Title(lang), excelize.Options{RawCellValue: true})
			if len(led) != 4 || led[1][3] != "clearing:xendit" || led[1][4] != "115000" || led[2][5] != "90000" {
				t.Errorf("ledger = %q", led)
			}
			aud, _ := f.GetRows(SheetAudit.Title(lang), excelize.Options{RawCellValue: true})
			if len(aud) != 2 || aud[1][5] != "'\tsent" {
				t.Errorf("audit = %q", aud)
			}
		})
	}
}

func checkNumber(t *testing.T, f *excelize.File, sheet, cell string, want float64, format string) {
	t.Helper()
	typ, err := f.GetCellType(sheet, cell)
	if err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
		t.Errorf("%s!%s: type %v, %v; want a number", sheet, cell, typ, err)
	}
	raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if v, err := strconv.ParseFloat(raw, 64); err != nil || v != want {
		t.Errorf("%s!%s = %q, want %v", sheet, cell, raw, want)
	}
	checkFormat(t, f, sheet, cell, format)
}

func checkDate(t *testing.T, f *excelize.File, sheet, cell string, want time.Time, format string) {
	t.Helper()
	raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("%s!%s = %q: not a date serial", sheet, cell, raw)
	}
	got, err := excelize.ExcelDateToTime(v, false)
	if err != nil {
		t.Fatal(err)
	}
	// An Excel date has no zone: it is the shop's wall clock.
	wall := time.Date(want.Year(), want.Month(), want.Day(), want.Hour(), want.Minute(), want.Second(), 0, time.UTC)
	if d := got.Sub(wall); d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("%s!%s = %v, want %v", sheet, cell, got, wall)
	}
	checkFormat(t, f, sheet, cell, format)
}

func checkFormat(t *testing.T, f *excelize.File, sheet, cell, format string) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil || *st.CustomNumFmt != format {
		t.Errorf("%s!%s number format = %v, want %q", sheet, cell, st.CustomNumFmt, format)
	}
}

// sheetXML returns the XML of the n-th worksheet in the file.
func sheetXML(t *testing.T, path string, n int) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open("xl/worksheets/sheet" + strconv.Itoa(n) + ".xml")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNeutralize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"+62812", "'+62812"},
		{"-5000", "'-5000"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"＝1+1", "'＝1+1"},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"Bu Sari", "Bu Sari"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"},
		{"", ""},
		{"é", "é"},
		// Leading whitespace, line breaks, control and invisible characters
		// are trimmed by some importers: the formula behind them still counts.
		{" =1+1", "' =1+1"},
		{"  @SUM(A1)", "'  @SUM(A1)"},
		{"\n=cmd", "'\n=cmd"},
		{"\x00+1", "'\x00+1"},
		{"\u00a0-2", "'\u00a0-2"},
		{"\u3000＝1", "'\u3000＝1"},
		{"\u200b=1", "'\u200b=1"},
		{"\ufeff@x", "'\ufeff@x"},
		// Near misses: leading space before ordinary text stays as typed.
		{" Bu Sari", " Bu Sari"},
		{"   ", "   "},
		{" a=b", " a=b"},
	}
	for _, c := range cases {
		if got := Neutralize(c.in); got != c.want {
			t.Errorf("Neutralize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestExportChosenSheetsOnly: a workbook holds the sheets chosen and no
// other, named in the language asked for; the summary chosen alone still
// counts the orders, payments and transfers it does not show.
func TestExportChosenSheetsOnly(t *testing.T) {
	for _, c := range []struct {
		lang   Lang
		sheets []Sheet
	}{
		{LangEN, []Sheet{SheetTransfers}},
		{LangID, []Sheet{SheetTransfers}},
		{LangEN, []Sheet{SheetLedger, SheetOrders}},
		{LangID, []Sheet{SheetSummary}},
	} {
		path := filepath.Join(t.TempDir(), "r.xlsx")
		res, err := Export(context.Background(), sampleRows(), path, Options{Actor: owner, Lang: c.lang, Sheets: c.sheets})
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, s := range AllSheets { // workbook order, whatever order they were asked in
			for _, w := range c.sheets {
				if s == w {
					want = append(want, s.Title(c.lang))
				}
			}
		}
		if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s %v: sheets %q, want %q", c.lang, c.sheets, got, want)
		}
		if len(res.Rows) != len(c.sheets) {
			t.Errorf("%s %v: rows recorded for %v", c.lang, c.sheets, res.Rows)
		}
		if c.sheets[0] == SheetSummary {
			rows, _ := f.GetRows(SheetSummary.Title(c.lang), excelize.Options{RawCellValue: true})
			if len(rows) < 3 {
				t.Errorf("summary alone has %d rows: %q", len(rows), rows)
			}
		}
		f.Close()
	}
	staff := domain.Actor{Name: "ani", Role: domain.RoleStaff}
	if _, err := Export(context.Background(), sampleRows(), filepath.Join(t.TempDir(), "a.xlsx"), Options{Actor: staff, Sheets: []Sheet{SheetAudit}}); !errors.Is(err, domain.ErrPermission) {
		t.Errorf("staff asking for the audit sheet: %v, want ErrPermission", err)
	}
	if _, err := Export(context.Background(), sampleRows(), filepath.Join(t.TempDir(), "b.xlsx"), Options{Actor: owner, Sheets: []Sheet{"nope"}}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("unknown sheet: %v, want ErrInvalid", err)
	}
}

func TestExportCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transfer.csv")
	if _, err := Export(context.Background(), sampleRows(), path, Options{Actor: owner, Lang: LangEN, Unmask: true}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		t.Fatal("CSV lacks the UTF-8 byte order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], "|") != strings.Join(Columns(SheetTransfers, LangEN), "|") {
		t.Errorf("header = %q", recs[0])
	}
	if len(recs) != 3 {
		t.Fatalf("records = %d, want 3", len(recs))
	}
	// Unmasked (the owner chose it), Jakarta time, whole rupiah, neutralised text.
	if r := recs[1]; r[6] != "1234567890" || r[2] != "2026-11-02 00:30:00" || r[8] != "90000" {
		t.Errorf("row = %q", r)
	}
	if r := recs[2]; r[4] != "'@pak_budi" || r[13] != "'+ besar" {
		t.Errorf("row = %q", r)
	}
}

func TestExportPermissions(t *testing.T) {
	dir := t.TempDir()
	viewer := domain.Actor{Name: "akuntan", Role: domain.RoleViewer}
	staff := domain.Actor{Name: "dewi", Role: domain.RoleStaff}
	cases := []struct {
		name  string
		actor domain.Actor
		opts  Options
		err   error
	}{
		{"viewer may not unmask", viewer, Options{Unmask: true}, domain.ErrPermission},
		{"staff may not unmask", staff, Options{Unmask: true}, domain.ErrPermission},
		{"nobody may not export", domain.Actor{Name: "x"}, Options{}, domain.ErrPermission},
		{"viewer may not export audit as CSV", viewer, Options{Format: FormatCSV, CSVSheet: SheetAudit}, domain.ErrPermission},
		{"viewer exports masked", viewer, Options{}, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Actor = c.actor
			path := filepath.Join(dir, strconv.Itoa(i)+".xlsx")
			_, err := Export(context.Background(), sampleRows(), path, c.opts)
			if !errors.Is(err, c.err) && !(c.err == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if c.err != nil {
				return
			}
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if idx, _ := f.GetSheetIndex(SheetAudit.Title(LangID)); idx != -1 {
				t.Error("a viewer's export holds the audit sheet")
			}
		})
	}
}

func TestExportCancelledLeavesNoFile(t *testing.T) {
	for _, name := range []string{"a.xlsx", "a.csv"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			src := sampleRows()
			base := src.transfers[0]
			src.transfers = nil
			for i := 0; i < 3*progressEvery; i++ {
				r := base
				r.RefID = "R-" + strconv.Itoa(i)
				src.transfers = append(src.transfers, r)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src.perRow = func(i int) {
				if i == progressEvery+10 {
					cancel()
				}
			}
			_, err := Export(ctx, src, path, Options{Actor: owner})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Errorf("files left after cancel: %v", entries)
			}
		})
	}
}

func TestExportFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.xlsx")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk read failed")
	failing := &failingRows{memRows: sampleRows(), err: boom}
	_, err := Export(context.Background(), failing, path, Options{Actor: owner})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "old" {
		t.Errorf("old file replaced by a failed export")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files after failure: %v", entries)
	}
}

type failingRows struct {
	*memRows
	err error
}

func (f *failingRows) EachPosting(Filter, func(domain.Posting) error) error {
	return f.err
}

func TestFormatOf(t *testing.T) {
	for in, want := range map[string]Format{"a.xlsx": FormatXLSX, "B.CSV": FormatCSV, "c.xls": "", "d": ""} {
		got, err := FormatOf(in)
		if got != want || (want == "") != errors.Is(err, domain.ErrInvalid) {
			t.Errorf("FormatOf(%q) = %q, %v", in, got, err)
		}
	}
}

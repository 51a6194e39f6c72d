package xlsx

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
)

// Number formats. The rupiah format keeps whole rupiah with Indonesian-style
// grouping as Excel renders it for the user's locale.
const (
	RupiahFormat   = `"Rp"#,##0;-"Rp"#,##0`
	DateTimeFormat = `dd/mm/yyyy hh:mm`
	DateFormat     = `dd/mm/yyyy`
)

// Neutralize makes text safe to open in a spreadsheet: text that a
// spreadsheet could read as a formula gets a leading apostrophe, so it is
// shown as typed and never evaluated. That is text starting with =, +, -, @
// (or their full-width forms), also after leading spaces, tabs, line breaks,
// other control or invisible characters (which spreadsheets and CSV
// importers may trim), and text starting with a tab or carriage return.
func Neutralize(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	for _, c := range s {
		switch {
		case c == '=' || c == '+' || c == '-' || c == '@' ||
			c == '＝' || c == '＋' || c == '－' || c == '＠':
			return "'" + s
		case unicode.IsSpace(c) || unicode.IsControl(c) || unicode.Is(unicode.Cf, c):
			continue // skipped by whoever trims the cell: look further
		}
		return s
	}
	return s
}

// tableWriter receives one sheet at a time. Values in a row are string,
// domain.Rupiah, time.Time (zero means empty) or int64, matching the
// column kinds.
type tableWriter interface {
	begin(s Sheet, title string, cols []column) error
	row(vals []any) error
	end() error
}

// xlsxWriter writes sheets through excelize's StreamWriter.
type xlsxWriter struct {
	f        *excelize.File
	loc      *time.Location
	lang     Lang
	styles   [5]int // style per kind
	header   int
	sw       *excelize.StreamWriter
	title    string
	cols     []column
	n        int // rows written in the current sheet, header included
	cells    []any
	cellBuf  []excelize.Cell
	sheetIdx map[Sheet]int
}

func newXLSXWriter(loc *time.Location, lang Lang, sheets []Sheet) (*xlsxWriter, error) {
	f := excelize.NewFile()
	w := &xlsxWriter{f: f, loc: loc, lang: lang, sheetIdx: map[Sheet]int{}}
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	money, dt, d := RupiahFormat, DateTimeFormat, DateFormat
	w.styles[kMoney] = mk(&excelize.Style{CustomNumFmt: &money})
	w.styles[kTime] = mk(&excelize.Style{CustomNumFmt: &dt})
	w.styles[kDate] = mk(&excelize.Style{CustomNumFmt: &d})
	w.header = mk(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE7F0"}}})
	if err != nil {
		f.Close()
		return nil, err
	}
	// Sheets are created up front so the workbook keeps its order even
	// though the summary is written last.
	for i, s := range sheets {
		name := s.Title(lang)
		if i == 0 {
			err = f.SetSheetName("Sheet1", name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	return w, nil
}

func (w *xlsxWriter) begin(s Sheet, title string, cols []column) error {
	sw, err := w.f.NewStreamWriter(title)
	if err != nil {
		return err
	}
	w.sw, w.title, w.cols, w.n = sw, title, cols, 1
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	hdr := make([]any, len(cols))
	for i, c := range cols {
		hdr[i] = excelize.Cell{StyleID: w.header, Value: c.title(w.lang)}
	}
	w.cells = make([]any, len(cols))
	w.cellBuf = make([]excelize.Cell, len(cols))
	return sw.SetRow("A1", hdr)
}

func (w *xlsxWriter) row(vals []any) error {
	w.n++
	for i, v := range vals {
		c := &w.cellBuf[i]
		c.StyleID, c.Value = 0, nil
		switch v := v.(type) {
		case string:
			if v != "" {
				c.Value = Neutralize(v)
			}
		case domain.Rupiah:
			c.StyleID, c.Value = w.styles[kMoney], int64(v)
		case int64:
			c.Value = v
		case time.Time:
			if !v.IsZero() {
				c.StyleID, c.Value = w.styles[w.cols[i].kind], v.In(w.loc)
			}
		}
		if c.Value == nil {
			w.cells[i] = nil
		} else {
			w.cells[i] = c
		}
	}
	return w.sw.SetRow(cellName(w.n), w.cells)
}

// writeWorkbook writes the finished workbook to w as it is zipped.
// excelize's WriteTo first builds the whole zip in a bytes.Buffer (tens of
// megabytes for a million rows); a zip writer factory that ignores that
// buffer streams the archive straight into the file instead.
// Limitation: excelize's zip64 header patch only works on its buffer, so a
// single sheet over 4 GB uncompressed (about 13 million rows) is not supported.
func writeWorkbook(f *excelize.File, w io.Writer) error {
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	_, err := f.WriteTo(io.Discard)
	return err
}

// cellName returns "A<row>" without excelize's general-purpose conversion.
func cellName(row int) string { return "A" + strconv.Itoa(row) }

func (w *xlsxWriter) end() error {
	last, err := excelize.CoordinatesToCellName(len(w.cols), w.n)
	if err != nil {
		return err
	}
	// Setting the filter on the worksheet before Flush puts it into the
	// streamed XML; doing it after would load the whole sheet back.
	if err := w.f.AutoFilter(w.title, "A1:"+last, nil); err != nil {
		return err
	}
	err = w.sw.Flush()
	w.sw = nil
	return err
}

// csvWriter writes one sheet as UTF-8 CSV with a byte order mark, so Excel
// reads the text right. Other sheets are dropped.
type csvWriter struct {
	want  Sheet
	loc   *time.Location
	lang  Lang
	bw    *bufio.Writer
	cw    *csv.Writer
	on    bool
	cols  []column
	rec   []string
	wrote bool
}

func newCSVWriter(w io.Writer, want Sheet, loc *time.Location, lang Lang) *csvWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &csvWriter{want: want, loc: loc, lang: lang, bw: bw, cw: csv.NewWriter(bw)}
}

func (w *csvWriter) begin(s Sheet, _ string, cols []column) error {
	w.on = s == w.want
	if !w.on {
		return nil
	}
	if _, err := w.bw.WriteString("\ufeff"); err != nil {
		return err
	}
	w.cols, w.wrote = cols, true
	w.rec = make([]string, len(cols))
	for i, c := range cols {
		w.rec[i] = c.title(w.lang)
	}
	return w.cw.Write(w.rec)
}

func (w *csvWriter) row(vals []any) error {
	if !w.on {
		return nil
	}
	for i, v := range vals {
		w.rec[i] = csvValue(v, w.cols[i].kind, w.loc)
	}
	return w.cw.Write(w.rec)
}

func csvValue(v any, k kind, loc *time.Location) string {
	switch v := v.(type) {
	case string:
		return Neutralize(v)
	case domain.Rupiah:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case time.Time:
		if v.IsZero() {
			return ""
		}
		if k == kDate {
			return v.In(loc).Format("2006-01-02")
		}
		return v.In(loc).Format("2006-01-02 15:04:05")
	}
	return fmt.Sprint(v)
}

func (w *csvWriter) end() error {
	if !w.on {
		return nil
	}
	w.on = false
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return err
	}
	return w.bw.Flush()
}

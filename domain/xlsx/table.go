package xlsx

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
)

// Table is a spreadsheet read for import: the header row and the data rows
// with their row numbers as the spreadsheet shows them (header is row Header).
type Table struct {
	Headers []string
	Header  int // row number of the header
	Rows    [][]string
	RowNums []int
	cells   int // cells read so far (maxImportCells)
}

// maxImportRows bounds an import so a wrong file cannot exhaust memory.
const maxImportRows = 200_000

// maxImportColumns is the widest row an import reads. The xlsx reader pads a
// row with blank cells up to its last value, so one value in column XFD is
// 16,384 cells: a 6 KB workbook of 1,000 such rows was 16 million cells and
// seconds of work, a workbook unpacking to 16 MB would exhaust memory. A row
// with a value further right is refused, naming the row and the column,
// before anything else of it is looked at.
const maxImportColumns = 256

// maxImportCells bounds the cells of all rows read (blank padding included):
// 200,000 rows of 50 columns. A variable only so tests can use small files.
var maxImportCells = 10_000_000

// Limits on what an import reads, sized for real shop files (marketplace
// exports of tens of MB) and far below what would hurt the computer. A file
// beyond them is refused with a clear message, never cut short. They are
// variables only so tests can use small files.
var (
	// MaxFileBytes bounds the bytes read from an import file (CSV, or the
	// zipped xlsx).
	MaxFileBytes int64 = 64 << 20
	// MaxUnzipBytes bounds the unpacked size of all parts of an xlsx
	// (excelize's UnzipSizeLimit; its default is 16 GB): a zip bomb is
	// refused from the sizes in its directory before anything is unpacked.
	MaxUnzipBytes int64 = 256 << 20
	// MaxUnzipXMLBytes is how much of one worksheet or the shared strings
	// excelize unpacks in memory; a larger part streams from a temporary
	// file (excelize's UnzipXMLSizeLimit).
	MaxUnzipXMLBytes int64 = 16 << 20
)

// MaxCellRunes is the longest cell an import accepts (Excel's own limit).
const MaxCellRunes = 32767

// ExcelizeOptions are the options every workbook Lunas reads is opened
// with (imports and the watchlist).
func ExcelizeOptions() excelize.Options {
	return excelize.Options{RawCellValue: true, UnzipSizeLimit: MaxUnzipBytes, UnzipXMLSizeLimit: MaxUnzipXMLBytes}
}

// ReadLimited reads all of r, refusing (never cutting) more than max bytes:
// it reads max+1 to know.
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, domain.Invalid("file", "berkas lebih besar dari %d MB; bagi menjadi beberapa berkas / "+
			"the file is larger than %d MB; split it into smaller files", max>>20, max>>20)
	}
	return b, nil
}

// ErrUnzipTooLarge reports an xlsx whose parts unpack to more than
// MaxUnzipBytes (a zip bomb, or a file to split). It matches domain.ErrInvalid.
var ErrUnzipTooLarge = fmt.Errorf("berkas .xlsx ini membuka lebih dari %d MB; bagi menjadi beberapa berkas / "+
	"this .xlsx unpacks to more than %d MB; split it into smaller files: %w", MaxUnzipBytes>>20, MaxUnzipBytes>>20, domain.ErrInvalid)

// CheckUnzipSize adds up the unpacked sizes the zip directory of b
// declares (archive/zip refuses to unpack more than a part declares) and
// refuses more than MaxUnzipBytes before anything is unpacked. Bytes that
// are not a zip pass: excelize says what is wrong with them.
func CheckUnzipSize(b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(MaxUnzipBytes) || total < f.UncompressedSize64 {
			return ErrUnzipTooLarge
		}
	}
	return nil
}

// Clip returns s cut to at most 80 characters (with "…"), for quoting a
// value in an error without echoing a huge cell.
func Clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ReadTable reads the first sheet of an xlsx file, or a CSV file (UTF-8,
// with or without BOM, comma or semicolon separated). The first non-empty
// row is the header. Cells are read raw: numbers as typed digits, dates as
// Excel serial numbers.
func ReadTable(r io.Reader, format Format) (*Table, error) {
	var t *Table
	var err error
	switch format {
	case FormatXLSX:
		t, err = readXLSX(r)
	case FormatCSV:
		t, err = readCSV(r)
	default:
		return nil, fmt.Errorf("format %q: %w", format, domain.ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	if t.Headers == nil {
		return nil, domain.Invalid("file", "the file is empty: it needs a header row and data rows")
	}
	return t, nil
}

func (t *Table) add(rowNum int, cells []string) error {
	if len(cells) > maxImportColumns {
		col, _ := excelize.ColumnNumberToName(len(cells))
		return domain.Invalid("file", "baris %d punya isi di kolom %s; Lunas membaca paling banyak %d kolom: hapus isi di kanan tabel / "+
			"row %d has a value in column %s; Lunas reads at most %d columns: clear what is right of the table",
			rowNum, col, maxImportColumns, rowNum, col, maxImportColumns)
	}
	if t.cells += len(cells); t.cells > maxImportCells {
		return domain.Invalid("file", "berkas punya lebih dari %d sel (baris %d); bagi menjadi beberapa berkas / "+
			"the file has more than %d cells (row %d); split it into smaller files", maxImportCells, rowNum, maxImportCells, rowNum)
	}
	blank := true
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
		if cells[i] != "" {
			blank = false
		}
	}
	if blank {
		return nil
	}
	for i, c := range cells {
		if len(c) > MaxCellRunes && utf8.RuneCountInString(c) > MaxCellRunes {
			col, _ := excelize.ColumnNumberToName(i + 1)
			return domain.Invalid("file", "baris %d, kolom %s: sel lebih dari %d karakter (%q) / row %d, column %s: "+
				"a cell longer than %d characters", rowNum, col, MaxCellRunes, Clip(c), rowNum, col, MaxCellRunes)
		}
	}
	if t.Headers == nil {
		t.Headers, t.Header = cells, rowNum
		return nil
	}
	if len(t.Rows) >= maxImportRows {
		return domain.Invalid("file", "the file has more than %d rows; split it", maxImportRows)
	}
	t.Rows = append(t.Rows, cells)
	t.RowNums = append(t.RowNums, rowNum)
	return nil
}

func readXLSX(r io.Reader) (*Table, error) {
	b, err := ReadLimited(r, MaxFileBytes)
	if err != nil {
		return nil, err
	}
	if err := CheckUnzipSize(b); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), ExcelizeOptions())
	if err != nil {
		return nil, domain.Invalid("file", "not a readable .xlsx file (%s)", Clip(err.Error()))
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, domain.Invalid("file", "the workbook has no sheets")
	}
	return readSheet(f, sheets[0])
}

// SheetRows reads the non-blank rows of sheet (cells trimmed, raw values)
// with an import's limits: a row wider than 256 columns, more than 200,000
// rows or 10 million cells, or a cell over 32,767 characters is refused
// (domain.ErrInvalid). The watchlist reads its workbooks with it.
func SheetRows(f *excelize.File, sheet string) ([][]string, error) {
	t, err := readSheet(f, sheet)
	if err != nil || t.Headers == nil {
		return nil, err
	}
	return append([][]string{t.Headers}, t.Rows...), nil
}

func readSheet(f *excelize.File, sheet string) (*Table, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, domain.Invalid("file", "cannot read sheet %q (%v)", Clip(sheet), err)
	}
	defer rows.Close()
	t := &Table{}
	n := 0
	for rows.Next() {
		n++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, domain.Invalid("file", "row %d cannot be read (%s)", n, Clip(err.Error()))
		}
		if err := t.add(n, cells); err != nil {
			return nil, err
		}
	}
	return t, rows.Error()
}

func readCSV(r io.Reader) (*Table, error) {
	b, err := ReadLimited(r, MaxFileBytes)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	// Indonesian Excel writes CSV with semicolons: pick the separator the
	// header line uses most.
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	t := &Table{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := cr.FieldPos(0)
			return nil, domain.Invalid("file", "CSV line %d cannot be read (%s)", line, Clip(err.Error()))
		}
		line, _ := cr.FieldPos(0)
		if err := t.add(line, rec); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// ReadFile reads an import file, choosing xlsx or CSV by its extension.
func ReadFile(path string) (*Table, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTable(f, format)
}

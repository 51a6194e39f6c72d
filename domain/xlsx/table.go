package xlsx

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"

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
}

// maxImportRows bounds an import so a wrong file cannot exhaust memory.
const maxImportRows = 200_000

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
	f, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, domain.Invalid("file", "not a readable .xlsx file (%v)", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, domain.Invalid("file", "the workbook has no sheets")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, domain.Invalid("file", "cannot read sheet %q (%v)", sheets[0], err)
	}
	defer rows.Close()
	t := &Table{}
	n := 0
	for rows.Next() {
		n++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, domain.Invalid("file", "row %d cannot be read (%v)", n, err)
		}
		if err := t.add(n, cells); err != nil {
			return nil, err
		}
	}
	return t, rows.Error()
}

func readCSV(r io.Reader) (*Table, error) {
	b, err := io.ReadAll(io.LimitReader(r, 256<<20))
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
			return nil, domain.Invalid("file", "CSV line %d cannot be read (%v)", line, err)
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

package xlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"lunas/domain"
)

// withSheet returns a real workbook's bytes with its first sheet's XML
// replaced by a sheetData holding rows (each a <row> element).
func withSheet(t testing.TB, rows string) []byte {
	t.Helper()
	src := excelizeMinimal(t)
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
				`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+rows+`</sheetData></worksheet>`)
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, r)
		r.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// xlsxRows is a header row (Nama, Bank, Rekening) and n rows with one text
// value in column col.
func xlsxRows(n int, col string) string {
	var b strings.Builder
	b.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>Nama</t></is></c><c r="B1" t="inlineStr"><is><t>Bank</t></is></c>` +
		`<c r="C1" t="inlineStr"><is><t>Rekening</t></is></c></row>`)
	for i := 2; i < n+2; i++ {
		fmt.Fprintf(&b, `<row r="%d"><c r="%s%d" t="inlineStr"><is><t>x</t></is></c></row>`, i, col, i)
	}
	return b.String()
}

// TestWideRowsRefused: the xlsx reader pads a row with blank cells up to its
// last value, so a small workbook whose rows have one value in column XFD
// was 16,384 cells a row (1,000 rows of 6 KB: 16 million cells, and the
// stall of FuzzReadTableXLSX). A row wider than maxImportColumns is refused
// naming the row and column; one exactly that wide is read.
func TestWideRowsRefused(t *testing.T) {
	cases := []struct {
		name    string
		format  Format
		file    []byte
		wantErr string // "" means read
	}{
		{"xlsx, 1,000 rows with a value in XFD", FormatXLSX, withSheet(t, xlsxRows(1000, "XFD")), "row 2 has a value in column XFD"},
		{"xlsx, a value in IW (257)", FormatXLSX, withSheet(t, xlsxRows(3, "IW")), "row 2 has a value in column IW"},
		{"xlsx, a value in IV (256)", FormatXLSX, withSheet(t, xlsxRows(3, "IV")), ""},
		{"csv, 257 fields", FormatCSV, []byte("Nama,Bank,Rekening\nAni" + strings.Repeat(",", 256) + "x\n"), "row 2 has a value in column IW"},
		{"csv, 256 fields", FormatCSV, []byte("Nama,Bank,Rekening\nAni" + strings.Repeat(",", 255) + "x\n"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.file) > 16<<10 {
				t.Fatalf("the file is %d bytes: meant to be small", len(c.file))
			}
			tab, err := ReadTable(bytes.NewReader(c.file), c.format)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := len(tab.Rows[0]); got != maxImportColumns {
					t.Fatalf("row of %d cells, want %d", got, maxImportColumns)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("got %v, want ErrInvalid saying %q", err, c.wantErr)
			}
		})
	}
}

// TestTooManyCellsRefused: all rows together (blank padding included) are
// bounded by maxImportCells; a file at the bound is read whole.
func TestTooManyCellsRefused(t *testing.T) {
	old := maxImportCells
	t.Cleanup(func() { maxImportCells = old })
	maxImportCells = 30
	file := "Nama,Bank,Rekening\n" + strings.Repeat("Ani,BCA,123\n", 9) // 30 cells
	for _, c := range []struct {
		name    string
		format  Format
		file    []byte
		wantErr bool
	}{
		{"csv at the bound", FormatCSV, []byte(file), false},
		{"csv one row over", FormatCSV, []byte(file + "Budi,BNI,456\n"), true},
		{"xlsx over (padded cells count)", FormatXLSX, withSheet(t, xlsxRows(3, "J")), true}, // 3 + 3x10
		{"xlsx at the bound", FormatXLSX, withSheet(t, xlsxRows(3, "I")), false},             // 3 + 3x9
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadTable(bytes.NewReader(c.file), c.format)
			switch {
			case c.wantErr && (!errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "more than 30 cells")):
				t.Fatalf("got %v, want ErrInvalid about 30 cells", err)
			case !c.wantErr && err != nil:
				t.Fatal(err)
			}
		})
	}
}

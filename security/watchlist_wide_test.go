package security

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

// withSheetXML returns the workbook xlsx with its first sheet's rows
// replaced (each a <row> element).
func withSheetXML(t *testing.T, xlsx []byte, rows string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
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

// TestWatchlistWideRowsRefused: a small watchlist workbook whose rows have
// one value in column XFD (16,384 cells a row once read, 16 million for
// 1,000 rows) is refused as invalid, naming the row and column; the same
// names in column B are read.
func TestWatchlistWideRowsRefused(t *testing.T) {
	base := makeXLSX(t, [][]any{{"Nama"}})
	rows := func(col string) string {
		var b strings.Builder
		b.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>No</t></is></c><c r="B1" t="inlineStr"><is><t>Nama</t></is></c></row>`)
		for i := 2; i < 1002; i++ {
			fmt.Fprintf(&b, `<row r="%d"><c r="%s%d" t="inlineStr"><is><t>Orang %d</t></is></c></row>`, i, col, i, i)
		}
		return b.String()
	}
	wide := withSheetXML(t, base, rows("XFD"))
	if len(wide) > 64<<10 {
		t.Fatalf("the workbook is %d bytes: meant to be small", len(wide))
	}
	_, err := ParseWatchlistFile("dttot.xlsx", wide)
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "row 2 has a value in column XFD") {
		t.Fatalf("wide rows: %v, want ErrInvalid naming row 2, column XFD", err)
	}
	list, err := ParseWatchlistFile("dttot.xlsx", withSheetXML(t, base, rows("B")))
	if err != nil || len(list) != 1000 || list[0].Name != "Orang 2" {
		t.Fatalf("names in column B: %d entries, %v", len(list), err)
	}
}

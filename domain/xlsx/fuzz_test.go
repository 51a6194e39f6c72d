package xlsx

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzReadTableCSV feeds arbitrary bytes to the CSV reader and the mapping
// step: they must return an error or a table, never panic.
func FuzzReadTableCSV(f *testing.F) {
	f.Add([]byte("\ufeffNama;Bank;Rekening\nAni;BCA;123456\n"))
	f.Add([]byte("SKU,Nama Produk,Harga\nA,\"B\"\"x\",Rp1.000\n"))
	f.Add([]byte("\"unterminated\n,,,\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := ReadTable(bytes.NewReader(b), FormatCSV)
		if err != nil {
			return
		}
		if len(tab.Rows) != len(tab.RowNums) {
			t.Fatalf("rows %d, row numbers %d", len(tab.Rows), len(tab.RowNums))
		}
		for _, k := range []Kind{KindPayees, KindProducts, KindOrders} {
			p := Inspect(tab, k)
			_, _ = resolve(tab, k, p.Proposed)
		}
	})
}

// FuzzReadTableXLSX feeds arbitrary bytes to the xlsx reader.
func FuzzReadTableXLSX(f *testing.F) {
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("not a zip"))
	wb := excelize.NewFile()
	wb.SetSheetRow("Sheet1", "A1", &[]any{"Nama", "Bank", "Rekening"})
	wb.SetSheetRow("Sheet1", "A2", &[]any{"Ani", "BCA", 1234567})
	var buf bytes.Buffer
	wb.Write(&buf)
	wb.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadTable(bytes.NewReader(b), FormatXLSX)
	})
}

package xlsxfuzz

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"lunas/domain/xlsx"
)

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
	// Bounded work per input: small files, and a small unpack limit (a
	// mutated size field otherwise lets excelize unpack hundreds of MB,
	// which stalled the worker at 9 executions in 30 s).
	oldUnzip, oldXML := xlsx.MaxUnzipBytes, xlsx.MaxUnzipXMLBytes
	xlsx.MaxUnzipBytes, xlsx.MaxUnzipXMLBytes = 512<<10, 512<<10 // parts stay in memory: no temporary files per input
	f.Cleanup(func() { xlsx.MaxUnzipBytes, xlsx.MaxUnzipXMLBytes = oldUnzip, oldXML })
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 16<<10 {
			return
		}
		_, _ = xlsx.ReadTable(bytes.NewReader(b), xlsx.FormatXLSX)
	})
}

// FuzzParseMapping feeds arbitrary --map values to ParseMapping.
func FuzzParseMapping(f *testing.F) {
	for _, s := range []string{"", "name=Nama", "name=Nama,bank=Kode Bank", "=x", "a=", ",,", "qty=Jumlah=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := xlsx.ParseMapping(s)
		if err != nil {
			if len(err.Error()) > 80*10+100 { // 80 characters, each at most \U0010ffff when quoted
				t.Fatalf("error echoes %d bytes", len(err.Error()))
			}
			return
		}
		for k, v := range m {
			if k == "" || v == "" {
				t.Fatalf("empty field or header in %q: %v", s, m)
			}
		}
	})
}

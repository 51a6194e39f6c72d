package xlsx

// FuzzReadTableXLSX and FuzzParseMapping are in ./xlsxfuzz: they need only
// the exported API, and a test binary without SQLite runs them far faster.

import (
	"bytes"
	"testing"
	"time"
)

// FuzzReadTableCSV feeds arbitrary bytes to the CSV reader and the mapping
// step: they must return an error or a table, never panic.
func FuzzReadTableCSV(f *testing.F) {
	f.Add([]byte("\ufeffNama;Bank;Rekening\nAni;BCA;123456\n"))
	f.Add([]byte("SKU,Nama Produk,Harga\nA,\"B\"\"x\",Rp1.000\n"))
	f.Add([]byte("\"unterminated\n,,,\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 { // bounded work per input (a real file is capped by MaxFileBytes)
			return
		}
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

// FuzzImportRowValues feeds arbitrary cell text to the import's row
// validation: dates (text and Excel serials), emails, quantities, rupiah
// amounts, names and account numbers. Each must give a value or a row
// error quoting at most 80 characters, never panic.
func FuzzImportRowValues(f *testing.F) {
	for _, s := range []string{"2026-11-01 13:45", "01/11/2026", "46000", "46000.5", "1e308", "-1", "0",
		"ani@contoh.id", "a@b", "Rp1.500.000", "9223372036854775807", "Bu Ani", "123-456.789 0", ""} {
		f.Add(s)
	}
	loc := time.FixedZone("WIB", 7*3600)
	f.Fuzz(func(t *testing.T, v string) {
		if len(v) > 4096 {
			return
		}
		heads := []string{"date", "email", "qty", "price", "name", "account", "bank"}
		tab := &Table{Headers: heads, Header: 1, Rows: [][]string{{v, v, v, v, v, v, v}}, RowNums: []int{2}}
		idx := map[Field]int{FDate: 0, FBuyerEmail: 1, FQty: 2, FUnitPrice: 3, FName: 4, FAccount: 5, FBank: 6}
		im := &importer{t: tab, idx: idx, opts: ImportOptions{Location: loc}}
		_ = im.date(0)
		if e := im.email(0, FBuyerEmail); e != "" && e != v {
			t.Fatalf("email %q became %q", v, e)
		}
		_, _ = parseQty(v)
		if r := im.rupiah(0, FUnitPrice, true); r < 0 {
			t.Fatalf("negative amount %d from %q", r, v)
		}
		_ = im.name(0, FName, true)
		_ = im.account(0)
		_ = im.bank(0)
		for _, e := range im.errs {
			if len([]rune(e.Value)) > 80 {
				t.Fatalf("error quotes %d characters", len([]rune(e.Value)))
			}
		}
	})
}

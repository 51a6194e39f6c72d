package xlsx

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
)

// xlsxFile builds an .xlsx file in memory from rows of cells.
func xlsxFile(t *testing.T, rows [][]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func readTable(t *testing.T, b *bytes.Buffer, format Format) *Table {
	t.Helper()
	tab, err := ReadTable(bytes.NewReader(b.Bytes()), format)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func countPayees(t *testing.T, db domain.Store) int {
	t.Helper()
	var n int
	db.Read(context.Background(), func(tx domain.ReadTx) error {
		ps, err := tx.ListPayees(domain.Page{})
		n = len(ps)
		return err
	})
	return n
}

func TestImportPayeesBrokenFile(t *testing.T) {
	db := openStore(t, time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	file := xlsxFile(t, [][]any{
		{"Nama", "Bank", "No Rekening", "Atas Nama", "Email", "Aturan bagi hasil"},
		{"Bu Ani", "BCA", "1234567890", "ANI", "ani@contoh.id", ""},             // 2 valid
		{"", "BCA", "1234567891", "", "", ""},                                   // 3 missing name
		{"Pak Budi", "", "1234567892", "", "", ""},                              // 4 missing bank
		{"Citra", "BANK XYZ", "1234567893", "", "", ""},                         // 5 unknown bank
		{"Dewi", "BRI", "12345abc", "", "", ""},                                 // 6 letters in account
		{"Eko", "BNI", "123", "", "", ""},                                       // 7 account too short
		{"Fajar", "BNI", "1234567894", "", "fajar@", ""},                        // 8 bad email
		{"Gita", "MANDIRI", "1234567895", "", "", "Konsinyasi 70%"},             // 9 unknown payout rule
		{"Hadi", "bca", "1234 5678 90", "", "", ""},                             // 10 duplicate of row 2 after normalising
		{strings.Repeat("x", 101), "BCA", "1234567896", "", "", ""},             // 11 name too long
		{"Indra", "BCA", "123456789012345678901", "", "", ""},                   // 12 account too long
		{"Joko", "BCA", "", "", "", ""},                                         // 13 missing account
		{"Kiki\nbaris", "BCA", "1234567897", "", "", ""},                        // 14 control character
		{"Lina", "GOPAY", "081234567890", "", "", ""},                           // 15 valid e-wallet
		{"", "", "", "", "", ""},                                                // blank row: ignored
		{"Mira", "BRI", "5555666677778", "", "mira@contoh.id", ""},              // 17 valid
		{"Nina", "BRI", "5555666677779", "", "bukan email", "tidak ada aturan"}, // 18 two problems
	})
	tab := readTable(t, file, FormatXLSX)
	res, err := Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindPayees})
	if !errors.Is(err, ErrFileInvalid) || !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want ErrFileInvalid", err)
	}
	want := []struct {
		row     int
		col     string
		message string
	}{
		{3, "Nama", "wajib diisi"},
		{4, "Bank", "wajib diisi"},
		{5, "Bank", "kode bank tidak dikenal"},
		{6, "No Rekening", "hanya boleh berisi angka"},
		{7, "No Rekening", "6 sampai 20 angka, ini 3"},
		{8, "Email", "bukan alamat email"},
		{9, "Aturan bagi hasil", "tidak ditemukan"},
		{10, "No Rekening", "sudah ada di baris 2"},
		{11, "Nama", "terlalu panjang"},
		{12, "No Rekening", "6 sampai 20 angka, ini 21"},
		{13, "No Rekening", "wajib diisi"},
		{14, "Nama", "karakter kendali"},
		{18, "Email", "bukan alamat email"},
		{18, "Aturan bagi hasil", "tidak ditemukan"},
	}
	if len(res.Errors) != len(want) {
		for _, e := range res.Errors {
			t.Log(e)
		}
		t.Fatalf("%d errors, want %d", len(res.Errors), len(want))
	}
	for i, w := range want {
		e := res.Errors[i]
		if e.Row != w.row || e.Column != w.col || !strings.Contains(e.Message, w.message) {
			t.Errorf("error %d = %v; want row %d column %q containing %q", i, e, w.row, w.col, w.message)
		}
	}
	if res.Created != 0 {
		t.Errorf("created = %d", res.Created)
	}
	if n := countPayees(t, db); n != 0 {
		t.Fatalf("%d payees written from an invalid file", n)
	}

	// Import only the valid rows: 2, 15 and 17; the others are reported as skipped.
	res, err = Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindPayees, ValidOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 3 || len(res.Skipped) != len(want) {
		t.Fatalf("valid-only: created %d, skipped %d", res.Created, len(res.Skipped))
	}
	// Re-import: nothing changes.
	res, err = Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindPayees, ValidOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Unchanged != 3 || countPayees(t, db) != 3 {
		t.Fatalf("re-import: created %d, unchanged %d, payees %d", res.Created, res.Unchanged, countPayees(t, db))
	}
	// Account numbers were stored normalised and decrypt back.
	db.Read(context.Background(), func(tx domain.ReadTx) error {
		ps, _ := tx.ListPayees(domain.Page{})
		for _, p := range ps {
			if p.Name == "Lina" && (p.AccountNumber != "081234567890" || p.Channel != "GOPAY") {
				t.Errorf("Lina = %+v", p)
			}
		}
		return nil
	})
}

func TestImportPermission(t *testing.T) {
	db := openStore(t, time.Now())
	tab := &Table{Headers: []string{"Nama", "Bank", "Rekening"}, Rows: [][]string{{"A", "BCA", "1234567"}}, RowNums: []int{2}}
	_, err := Import(context.Background(), db, tab, ImportOptions{Actor: domain.Actor{Name: "v", Role: domain.RoleViewer}, Kind: KindPayees})
	if !errors.Is(err, domain.ErrPermission) {
		t.Fatalf("err = %v, want ErrPermission", err)
	}
}

func TestImportOrdersCSVWithMapping(t *testing.T) {
	db := openStore(t, time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	// A marketplace-style export: semicolons, BOM, one row per item, headers
	// that need a mapping step for the price column.
	csvText := "\ufeffNo. Pesanan;Username (Pembeli);Nama Produk;Jumlah;Harga Sesudah Potongan;Ongkos Kirim Dibayar oleh Pembeli;Waktu Pesanan Dibuat\n" +
		"INV-001;sari;Batik Tulis;1;Rp250.000;15.000;2026-11-01 10:00\n" +
		"INV-001;sari;Selendang;2;50.000;15.000;2026-11-01 10:00\n" +
		"INV-002;budi;Batik Cap;1;120000;0;01/11/2026\n"
	tab := readTable(t, bytes.NewBufferString(csvText), FormatCSV)
	p := Inspect(tab, KindOrders)
	if len(p.Missing) != 1 || p.Missing[0] != FUnitPrice {
		t.Fatalf("missing = %v, want [unit_price]; proposed %v", p.Missing, p.Proposed)
	}
	if p.Proposed[FOrderID] != "No. Pesanan" || p.Proposed[FQty] != "Jumlah" || p.Proposed[FShipping] != "Ongkos Kirim Dibayar oleh Pembeli" {
		t.Errorf("proposed = %v", p.Proposed)
	}
	// Without the mapping step the import is refused with a precise message.
	_, err := Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindOrders})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Message, "unit_price") {
		t.Fatalf("err = %v, want a mapping error naming unit_price", err)
	}
	m := p.Proposed
	extra, err := ParseMapping("unit_price=Harga Sesudah Potongan")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		m[k] = v
	}
	res, err := Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindOrders, Mapping: m, Source: "shopee.csv"})
	if err != nil {
		t.Fatalf("%v %v", err, res.Errors)
	}
	if res.Created != 2 {
		t.Fatalf("created %d orders, want 2", res.Created)
	}
	db.Read(context.Background(), func(tx domain.ReadTx) error {
		o, err := tx.GetOrderByExternalID("INV-001")
		if err != nil {
			t.Fatal(err)
		}
		total, _ := o.Total()
		if len(o.Items) != 2 || total != 365000 || o.Source != "import:shopee.csv" {
			t.Errorf("INV-001 = %+v total %v", o, total)
		}
		loc := jakarta(t)
		if !o.CreatedAt.Equal(time.Date(2026, 11, 1, 10, 0, 0, 0, loc)) {
			t.Errorf("created = %v", o.CreatedAt)
		}
		return nil
	})
	res, err = Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindOrders, Mapping: m})
	if err != nil || res.Created != 0 || res.Unchanged != 2 {
		t.Fatalf("re-import: %+v, %v", res, err)
	}
}

func TestImportOrdersBadRows(t *testing.T) {
	db := openStore(t, time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	file := xlsxFile(t, [][]any{
		{"Order ID", "Buyer", "Product", "Qty", "Unit price", "Shipping", "Date"},
		{"A-1", "Sari", "Batik", 1, 100000, 0, "2026-11-01"},       // valid
		{"A-2", "Sari", "Batik", 0, 100000, 0, ""},                 // qty zero
		{"A-3", "Sari", "Batik", "dua", 100000, 0, ""},             // qty not a number
		{"A-4", "Sari", "Batik", 1, "12.500,50", 0, ""},            // fraction of a rupiah
		{"A-5", "Sari", "Batik", 1, "-5000", 0, ""},                // negative price
		{"A-6", "Sari", "", 1, 1000, 0, ""},                        // no product
		{"A-7", "Sari", "Batik", 1, 1000, 0, "kemarin"},            // bad date
		{"A 8", "Sari", "Batik", 1, 1000, 0, ""},                   // space in order id
		{"A-1", "Budi", "Kain", 1, 1000, 0, ""},                    // buyer differs from row 2
		{"A-9", "Sari", "Batik", 1, "99999999999999999999", 0, ""}, // overflow
		{"A-10", "Sari", "Batik", 1, 0, 0, ""},                     // total zero
		{"A-11", "Sari", "Batik", 1, "1e9", 0, ""},                 // not a rupiah amount
	})
	tab := readTable(t, file, FormatXLSX)
	res, err := Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindOrders})
	if !errors.Is(err, ErrFileInvalid) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		`baris 3, kolom "Qty"`, `baris 4, kolom "Qty"`, `baris 5, kolom "Unit price"`, `baris 6, kolom "Unit price"`,
		`baris 7, kolom "Product"`, `baris 8, kolom "Date"`, `baris 9, kolom "Order ID"`, `baris 10, kolom "Buyer"`,
		`baris 11, kolom "Unit price"`, `baris 13, kolom "Unit price"`, `baris 12: pesanan A-10`,
	}
	var got []string
	for _, e := range res.Errors {
		got = append(got, e.Error())
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
	if !strings.HasSuffix(got[9], "(contoh: Rp1.250.000)") {
		t.Errorf("the amount error is cut: %q", got[9]) // the example has a colon of its own
	}
	var n int
	db.Read(context.Background(), func(tx domain.ReadTx) error {
		n, _ = tx.CountOrders(domain.OrderFilter{})
		return nil
	})
	if n != 0 {
		t.Errorf("%d orders written from an invalid file", n)
	}
}

func TestImportProducts(t *testing.T) {
	db := openStore(t, time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	csvText := "SKU,Nama Produk,Harga,Aktif\nBTK-1,Batik Tulis,Rp250.000,ya\nBTK-2,Selendang,\"50,000\",tidak\nBTK-1,Lagi,1000,ya\n"
	tab := readTable(t, bytes.NewBufferString(csvText), FormatCSV)
	res, err := Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindProducts, ValidOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 2 || len(res.Skipped) != 1 || res.Skipped[0].Row != 4 {
		t.Fatalf("res = %+v", res)
	}
	res, err = Import(context.Background(), db, tab, ImportOptions{Actor: owner, Kind: KindProducts, ValidOnly: true})
	if err != nil || res.Created != 0 || res.Unchanged != 2 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
}

package security

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
)

func TestExportAndErasePayee(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	p := f.payee("Siti Aminah", "1234567890", "SITI AMINAH")
	other := f.payee("Budi", "999888777", "")
	ob := f.settled("o1", p.ID, 2_000_000, 1_500_000)
	f.assess(ob, "R-1", 1_500_000)
	err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		return tx.Post(&domain.Posting{Ref: "R-1", Lines: []domain.PostingLine{
			{Account: domain.PayableAccount(p.ID), Amount: 1_500_000}, {Account: domain.ClearingAccount("xendit"), Amount: -1_500_000}}})
	})
	if err != nil {
		t.Fatal(err)
	}

	var js bytes.Buffer
	if err := f.svc.ExportPayee(f.ctx, owner, p.ID, "json", &js); err != nil {
		t.Fatal(err)
	}
	var d PersonalData
	if err := json.Unmarshal(js.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Payee.AccountNumber != "1234567890" || len(d.Transfers) != 1 || len(d.Flags) != 1 || strings.Contains(js.String(), "999888777") {
		t.Fatalf("export: %s", js.String())
	}
	var cs bytes.Buffer
	if err := f.svc.ExportPayee(f.ctx, owner, p.ID, "csv", &cs); err != nil || !strings.Contains(cs.String(), "payee,account_number,1234567890") {
		t.Fatalf("csv export: %v\n%s", err, cs.String())
	}

	// Open obligation and a transfer under way: refused.
	if err := f.svc.ErasePayee(f.ctx, owner, p.ID); !errors.Is(err, ErrOpenObligations) || !errors.Is(err, domain.ErrUnsafe) {
		t.Fatalf("erase with open obligation: %v", err)
	}
	f.succeed("R-1")
	if err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		return tx.SetObligationStatus(ob.ID, domain.ObligationOpen, domain.ObligationPaid)
	}); err != nil {
		t.Fatal(err)
	}
	var before map[domain.Account]domain.Rupiah
	f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { before, err = tx.Balances(); return err })
	if err := f.svc.ErasePayee(f.ctx, owner, p.ID); err != nil {
		t.Fatal(err)
	}
	var got domain.Payee
	var after map[domain.Account]domain.Rupiah
	var tr domain.Transfer
	f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) {
		if got, err = tx.GetPayee(p.ID); err != nil {
			return err
		}
		if tr, err = tx.GetTransfer("R-1"); err != nil {
			return err
		}
		after, err = tx.Balances()
		return err
	})
	if !got.Erased || got.AccountNumber != "" || got.AccountHolder != "" || strings.Contains(got.Name, "Siti") {
		t.Fatalf("erased payee: %+v", got)
	}
	if tr.Amount != 1_500_000 || tr.PayeeID != p.ID || len(after) != len(before) || after[domain.PayableAccount(p.ID)] != before[domain.PayableAccount(p.ID)] {
		t.Fatalf("ledger or transfers changed: %+v %v %v", tr, before, after)
	}
	// The other payee is untouched.
	var o domain.Payee
	f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { o, err = tx.GetPayee(other.ID); return err })
	if o.AccountNumber != "999888777" {
		t.Fatalf("other payee changed: %+v", o)
	}
	// Nothing personal remains on disk after the erase (main file and WAL).
	f.db.Close()
	for name, b := range readDBFiles(t, f.path) {
		for _, s := range []string{"Siti Aminah", "SITI AMINAH"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%q still in %s after erasure", s, name)
			}
		}
	}
	f.open()
}

// makeXLSX writes a DTTOT-style workbook: title rows, then the header.
func makeXLSX(t testing.TB, rows [][]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func dttotRows() [][]any {
	return [][]any{
		{"DAFTAR TERDUGA TERORIS DAN ORGANISASI TERORIS"},
		{},
		{"No", "Nama", "Deskripsi", "Terduga", "Kode Densus", "Tempat Lahir", "Tanggal Lahir", "WN"},
		{1, "Contoh Teroris Satu alias Contoh Satu", "contoh uji", "Orang", "IDD-0001", "Jakarta", "17 Agustus 1938", "Indonesia"},
		{2, "Organisasi Contoh Dua", "contoh uji", "Korporasi", "IDD-0002"},
	}
}

func TestImportWatchlistXLSX(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	n, err := f.svc.ImportWatchlist(f.ctx, owner, "DTTOT.xlsx", bytes.NewReader(makeXLSX(t, dttotRows())))
	if err != nil || n != 2 {
		t.Fatalf("import = %d, %v", n, err)
	}
	var list []string
	f.db.Read(f.ctx, func(tx domain.ReadTx) error {
		st, _ := rtx(tx)
		es, err := st.Watchlist()
		for _, e := range es {
			list = append(list, e.Name+"|"+strings.Join(e.Aliases, ",")+"|"+e.BirthDate)
		}
		return err
	})
	if strings.Join(list, ";") != "Contoh Teroris Satu|Contoh Satu|1938-08-17;Organisasi Contoh Dua||" {
		t.Fatalf("stored: %v", list)
	}
	if _, err := f.svc.ImportWatchlist(f.ctx, owner, "list.pdf", strings.NewReader("x")); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("pdf: %v", err)
	}
	if _, err := f.svc.ImportWatchlist(f.ctx, owner, "broken.xlsx", strings.NewReader("PK\x03\x04 not a zip")); err == nil {
		t.Fatal("broken workbook imported")
	}
}

// FuzzParseWatchlistFile feeds arbitrary bytes as .xlsx and .csv: never a
// panic, and every entry has a usable name.
func FuzzParseWatchlistFile(f *testing.F) {
	f.Add(true, makeXLSX(f, dttotRows()))
	f.Add(false, []byte("Nama,Alias,Tanggal Lahir\nX alias Y,Z,01-01-1990\n"))
	if b, err := os.ReadFile(filepath.Join("..", "domain", "risk", "testdata", "dttot_sample.csv")); err == nil {
		f.Add(false, b)
	}
	f.Fuzz(func(t *testing.T, xlsx bool, data []byte) {
		name := "w.csv"
		if xlsx {
			name = "w.xlsx"
		}
		list, err := ParseWatchlistFile(name, data)
		if err != nil {
			return
		}
		for _, e := range list {
			if strings.TrimSpace(e.Name) == "" {
				t.Fatalf("entry without a name: %+v", e)
			}
		}
	})
}

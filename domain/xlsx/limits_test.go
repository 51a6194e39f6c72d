package xlsx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"flag"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
	"lunas/domain/sqlite"
)

// TestExportSummaryOverflowIsAnError: totals that do not fit in an int64
// end the export with an error (and no file), never a wrong total.
func TestExportSummaryOverflowIsAnError(t *testing.T) {
	rows := sampleRows()
	big := rows.transfers[0]
	big.Amount = math.MaxInt64 - 10
	rows.transfers = append(rows.transfers, big)
	path := filepath.Join(t.TempDir(), "laporan.xlsx")
	_, err := Export(context.Background(), rows, path, Options{Actor: owner})
	if !errors.Is(err, domain.ErrOverflow) || !strings.Contains(err.Error(), "summary") {
		t.Fatalf("export with overflowing totals: %v, want ErrOverflow from the summary", err)
	}
	if _, serr := os.Stat(path); !os.IsNotExist(serr) {
		t.Fatalf("a file was left: %v", serr)
	}
	rows.transfers = rows.transfers[:2]
	if _, err := Export(context.Background(), rows, path, Options{Actor: owner}); err != nil {
		t.Fatalf("normal totals: %v", err)
	}
}

// TestCSVOverTheLimitRefused: a CSV one byte over the limit is refused,
// never cut: the last row (price 123456789) would otherwise arrive as 123.
func TestCSVOverTheLimitRefused(t *testing.T) {
	old := MaxFileBytes
	t.Cleanup(func() { MaxFileBytes = old })
	var b bytes.Buffer
	b.WriteString("SKU,Nama Produk,Harga\n")
	for i := 0; b.Len() < 4000; i++ {
		b.WriteString("A" + strings.Repeat("x", 20) + ",Batik,10000\n")
	}
	b.WriteString("LAST,Batik tulis,123456789\n")
	path := filepath.Join(t.TempDir(), "produk.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	MaxFileBytes = int64(b.Len()) // exactly the limit: read whole
	tab, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if last := tab.Rows[len(tab.Rows)-1]; last[2] != "123456789" {
		t.Fatalf("last row %v", last)
	}
	MaxFileBytes = int64(b.Len()) - 6 // the cut would fall inside the last price
	if _, err := ReadFile(path); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("file over the limit: %v", err)
	}
}

// TestCellLimitAndQuotedValues: a cell longer than Excel's limit is refused
// naming row and column, and errors quote at most 80 characters of a value.
func TestCellLimitAndQuotedValues(t *testing.T) {
	huge := strings.Repeat("9", MaxCellRunes+1)
	_, err := ReadTable(strings.NewReader("Nama,Bank,Rekening\nAni,BCA,"+huge+"\n"), FormatCSV)
	if err == nil || !strings.Contains(err.Error(), "row 2, column C") || len(err.Error()) > 400 {
		t.Fatalf("huge cell: %v", err)
	}
	long := strings.Repeat("1", 5000)
	tab, err := ReadTable(strings.NewReader("Nama,Bank,Rekening\nAni,BCA,"+long+"\n"), FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(context.Background(), newStore(t), tab, ImportOptions{Actor: owner, Kind: KindPayees})
	if !errors.Is(err, ErrFileInvalid) || len(res.Errors) != 1 {
		t.Fatalf("import: %v %+v", err, res.Errors)
	}
	if v := res.Errors[0].Value; len([]rune(v)) > 80 || len(res.Errors[0].Error()) > 300 {
		t.Fatalf("error quotes %d characters: %s", len([]rune(v)), res.Errors[0].Error())
	}
}

// TestOrderAboveMaximumRefused: an order of Rp9.223.372.036.854.775.807 (or
// anything above the shop's maximum per order, default Rp1.000.000.000) is
// refused with its row named; the owner can set another maximum.
func TestOrderAboveMaximumRefused(t *testing.T) {
	st := newStore(t)
	csv := "Order ID,Produk,Jumlah,Harga Satuan\nA-1,Batik,1,9223372036854775807\nA-2,Batik,1,150000\nA-3,Batik,2,600000000\n"
	tab, err := ReadTable(strings.NewReader(csv), FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(context.Background(), st, tab, ImportOptions{Actor: owner, Kind: KindOrders})
	if !errors.Is(err, ErrFileInvalid) || len(res.Errors) != 2 || res.Errors[0].Row != 2 || res.Errors[1].Row != 4 ||
		!strings.Contains(res.Errors[0].Message, "Rp1.000.000.000") {
		t.Fatalf("import: %v %+v", err, res.Errors)
	}
	// Straight to the store too: the maximum holds below every screen.
	o := domain.Order{ExternalID: "B-1", Items: []domain.OrderItem{{Name: "x", Qty: 1, UnitPrice: math.MaxInt64}}}
	if err := st.Write(context.Background(), func(tx domain.Tx) error { return tx.CreateOrder(&o) }); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("store accepted Rp9e18: %v", err)
	}
	if err := st.Write(context.Background(), func(tx domain.Tx) error {
		return tx.SetSetting(domain.SettingMaxOrder, "2000000000")
	}); err != nil {
		t.Fatal(err)
	}
	res, err = Import(context.Background(), st, tab, ImportOptions{Actor: owner, Kind: KindOrders, ValidOnly: true})
	if err != nil || res.Created != 2 || len(res.Skipped) != 1 || res.Skipped[0].Row != 2 {
		t.Fatalf("with a Rp2.000.000.000 maximum: %v %+v", err, res)
	}
}

// zipBomb returns a small xlsx whose worksheet unpacks to more than 1 GB
// (one shared-string cell of zeros): the attack run's 400 KB file.
func zipBomb(t testing.TB) []byte {
	t.Helper()
	bombOnce.Do(func() { bombBytes = makeZipBomb(t) })
	return bombBytes
}

var (
	bombOnce  sync.Once
	bombBytes []byte
)

func makeZipBomb(t testing.TB) []byte {
	wb := excelizeMinimal(t)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	zr, err := zip.NewReader(bytes.NewReader(wb), int64(len(wb)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			continue
		}
		w, err := zw.CreateHeader(&f.FileHeader)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := f.Open()
		b := new(bytes.Buffer)
		b.ReadFrom(r)
		w.Write(b.Bytes())
	}
	// The worksheet is deflated once per 64 KiB of zeros and the
	// compressed chunk repeated (distances stay within zeros), so making the bomb
	// costs little more than the CRC of what it unpacks to.
	head := []byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`)
	tail := []byte(`</t></is></c></row></sheetData></worksheet>`)
	zeros := bytes.Repeat([]byte{'0'}, 64<<10)
	const chunks = 1100 * 16 // 1.1 GiB in 64 KiB chunks
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(head)
	fw.Write(zeros)
	fw.Flush()
	first := comp.Len()
	fw.Write(zeros)
	fw.Flush()
	chunk := append([]byte(nil), comp.Bytes()[first:]...)
	for i := 2; i < chunks; i++ {
		comp.Write(chunk)
	}
	fw.Write(tail)
	fw.Close()
	crc := crc32.NewIEEE()
	crc.Write(head)
	for i := 0; i < chunks; i++ {
		crc.Write(zeros)
	}
	crc.Write(tail)
	size := uint64(len(head)) + chunks*uint64(len(zeros)) + uint64(len(tail))
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: size})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestZipBombRefused: the generated bomb is small on disk, unpacks to more
// than 1 GB, and is refused from the zip directory alone: the reader looks
// at no more than the file's own bytes (the speed and memory figures are
// BenchmarkZipBombRefused's, in docs/BENCHMARKS.md).
func TestZipBombRefused(t *testing.T) {
	bomb := zipBomb(t)
	if len(bomb) > 4<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	var total uint64
	zr, _ := zip.NewReader(bytes.NewReader(bomb), int64(len(bomb)))
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total < 1<<30 {
		t.Fatalf("bomb unpacks to %d bytes only", total)
	}
	cr := &countingReader{r: bytes.NewReader(bomb)}
	_, err := ReadTable(cr, FormatXLSX)
	if !errors.Is(err, ErrUnzipTooLarge) {
		t.Fatalf("bomb: %v", err)
	}
	if cr.n > int64(len(bomb)) {
		t.Fatalf("read %d bytes of a %d-byte file", cr.n, len(bomb))
	}
}

type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func newStore(t testing.TB) *sqlite.DB {
	return openStore(t, time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
}

// excelizeMinimal is a real one-sheet workbook's bytes.
func excelizeMinimal(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetCellValue("Sheet1", "A1", "Nama")
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// BenchmarkZipBombRefused measures refusing the generated >1 GB bomb (time
// per refusal; run with -benchmem, and see docs/BENCHMARKS.md for the
// process's peak RSS measured around it).
func BenchmarkZipBombRefused(b *testing.B) {
	bomb := zipBomb(b)
	b.SetBytes(int64(len(bomb)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := ReadTable(bytes.NewReader(bomb), FormatXLSX); !errors.Is(err, ErrUnzipTooLarge) {
			b.Fatal(err)
		}
	}
}

var bombFull = flag.Bool("bomb.full", false, "TestZipBombIsReal unpacks all 1.1 GiB and checks the CRC")

// TestZipBombIsReal: the generated bomb really unpacks: its spliced deflate
// stream decodes across the repeated chunks to what the directory says
// (the first 8 MiB; -bomb.full unpacks all of it, checking size and CRC).
func TestZipBombIsReal(t *testing.T) {
	bomb := zipBomb(t)
	zr, err := zip.NewReader(bytes.NewReader(bomb), int64(len(bomb)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		want := int64(8 << 20)
		if *bombFull {
			want = int64(f.UncompressedSize64)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(r, want))
		if err == nil && *bombFull {
			_, err = r.Read(make([]byte, 1)) // EOF checks the CRC
			if err == io.EOF {
				err = nil
			}
		}
		if err != nil || n != want || f.UncompressedSize64 < 1<<30 {
			t.Fatalf("unpacked %d bytes (%v), directory says %d", n, err, f.UncompressedSize64)
		}
	}
}

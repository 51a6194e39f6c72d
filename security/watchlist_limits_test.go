package security

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/xlsx"
)

// TestWatchlistWorkbookLimits: the watchlist import opens workbooks with the
// same limits as every other import: a workbook whose parts claim to unpack
// to more than the limit is refused before anything is unpacked, and a file
// larger than the read limit is refused, never cut.
func TestWatchlistWorkbookLimits(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CompressedSize64: 2, UncompressedSize64: 2 << 30})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{3, 0})
	zw.Close()
	if _, err := ParseWatchlistFile("dttot.xlsx", b.Bytes()); !errors.Is(err, xlsx.ErrUnzipTooLarge) {
		t.Fatalf("bomb: %v", err)
	}
	old := xlsx.MaxFileBytes
	xlsx.MaxFileBytes = 100
	t.Cleanup(func() { xlsx.MaxFileBytes = old })
	f := newFixture(t)
	owner, _ := f.owner()
	csv := "Nama\n" + strings.Repeat("Abu Bakar\n", 20)
	if _, err := f.svc.ImportWatchlist(f.ctx, owner, "dttot.csv", strings.NewReader(csv)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("watchlist over the limit: %v", err)
	}
}

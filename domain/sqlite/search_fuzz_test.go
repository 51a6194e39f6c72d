package sqlite

import (
	"strings"
	"testing"
	"unicode/utf8"

	"lunas/domain"
)

// asciiLower folds only A-Z, as SQLite's LIKE does.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FuzzTransferSearch checks that the screen's search box (text typed by a
// person) is matched literally: LIKE wildcards and the escape character in
// it match themselves, and the result equals a plain substring search over
// REFIDs and payee names.
func FuzzTransferSearch(f *testing.F) {
	db := openTest(f, "", Options{})
	names := []string{"Bu Ratna", "Pak Joko_%", `Toko \ Maju 100%`, "CV. Sinar_Jaya"}
	refs := []string{"LNS-0001", "LNS_0002", "LNS%3", `R\4`, "abc-XYZ"}
	type row struct{ ref, name string }
	var all []row
	write(f, db, func(tx domain.Tx) error {
		for i, n := range names {
			p := domain.Payee{Name: n}
			if err := tx.CreatePayee(&p); err != nil {
				return err
			}
			for j, r := range refs {
				x := domain.Transfer{RefID: r + "-" + string(rune('a'+i)), PayeeID: p.ID, Amount: domain.Rupiah(1 + j)}
				if err := tx.CreateTransfer(&x); err != nil {
					return err
				}
				all = append(all, row{x.RefID, n})
			}
		}
		return nil
	})
	for _, s := range []string{"", "%", "_", `\`, "joko_%", "lns", "0%", `\ M`, "LNS_0", "x-a", "100%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Skip("the search box gives valid text without NUL")
		}
		want := 0
		for _, r := range all {
			if s == "" || strings.Contains(asciiLower(r.ref), asciiLower(s)) || strings.Contains(asciiLower(r.name), asciiLower(s)) {
				want++
			}
		}
		err := db.Read(ctx, func(tx domain.ReadTx) error {
			n, err := tx.CountTransfers(domain.TransferFilter{Search: s})
			if err != nil {
				return err
			}
			if n != want {
				t.Errorf("search %q: %d transfers, want %d", s, n, want)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("search %q: %v", s, err)
		}
	})
}

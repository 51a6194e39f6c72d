package security

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
)

// TestPersonalCSVNeutralisesHiddenFormulas: a payee name or holder that
// hides a formula behind leading spaces or a line break is written with a
// leading apostrophe in the personal-data CSV (the same rule as the
// spreadsheet exports); a name with a leading space is left as stored.
func TestPersonalCSVNeutralisesHiddenFormulas(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, holder, wantName, wantHolder string }{
		{` =HYPERLINK("http://x")`, "\n@SUM(A1)", `' =HYPERLINK("http://x")`, "'\n@SUM(A1)"},
		{"\u00a0+62812", "\u200b-1", "'\u00a0+62812", "'\u200b-1"},
		{" Siti Aminah", "SITI AMINAH", " Siti Aminah", "SITI AMINAH"},
	} {
		f := newFixture(t)
		owner, _ := f.owner()
		// Such names are refused since names are cleaned (issue 15), but
		// rows stored by an older Lunas may hold them: write them raw.
		p := f.payee("x", "1234567890", "y")
		f.tamper(fmt.Sprintf("UPDATE payees SET name = '%s', account_holder = '%s' WHERE id = %d",
			strings.ReplaceAll(c.name, "'", "''"), strings.ReplaceAll(c.holder, "'", "''"), p.ID))
		var b strings.Builder
		if err := f.svc.ExportPayee(f.ctx, owner, p.ID, "csv", &b); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range recs {
			if r[0] == "payee" {
				got[r[1]] = r[2]
			}
		}
		if got["name"] != c.wantName || got["account_holder"] != c.wantHolder {
			t.Errorf("name %q holder %q written as %q / %q, want %q / %q", c.name, c.holder, got["name"], got["account_holder"], c.wantName, c.wantHolder)
		}
	}
}

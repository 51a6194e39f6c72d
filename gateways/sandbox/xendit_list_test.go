package sandbox

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestInvoiceListCursor: a page continues after the cursor invoice, newest
// first; an unknown cursor is refused rather than read as "nothing after".
func TestInvoiceListCursor(t *testing.T) {
	s, c := newTest(t, Config{})
	for i := range 5 {
		if st, _, b := c.do("POST", "/v2/invoices", "", fmt.Sprintf(`{"external_id":"O%d","amount":10000}`, i)); st != 200 {
			t.Fatalf("create: %d %s", st, b)
		}
	}
	s.Advance(0)
	page := func(q string) (int, []string) {
		st, _, b := c.do("GET", "/v2/invoices?limit=2"+q, "", "")
		var list []struct {
			ID         string `json:"id"`
			ExternalID string `json:"external_id"`
		}
		_ = json.Unmarshal(b, &list)
		var ext []string
		for _, v := range list {
			ext = append(ext, v.ExternalID+"="+v.ID)
		}
		return st, ext
	}
	var all []string
	cursor := ""
	for range 4 {
		q := ""
		if cursor != "" {
			q = "&last_invoice=" + cursor
		}
		st, got := page(q)
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		if len(got) == 0 {
			break
		}
		all = append(all, got...)
		last := got[len(got)-1]
		cursor = last[len("O0="):]
	}
	if len(all) != 5 {
		t.Fatalf("paged %d invoices, want 5: %v", len(all), all)
	}
	for i, want := range []string{"O4", "O3", "O2", "O1", "O0"} {
		if all[i][:2] != want {
			t.Fatalf("order %v, want newest first", all)
		}
	}
	if st, _ := page("&last_invoice=nope"); st != 400 {
		t.Fatalf("unknown cursor: status %d, want 400", st)
	}
}

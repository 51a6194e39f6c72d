package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lunas/domain"
)

// TestTransfersTableGolden pins how the transfer tables look: the check
// column, REFID, payee, rupiah and the plain-words status, in English and
// Indonesian. Regenerate a master by deleting it and running the test.
func TestTransfersTableGolden(t *testing.T) {
	for _, c := range []struct{ lang, tab, master string }{
		{LangEnglish, tabApproval, "transfers_approval_en.xml"},
		{LangIndonesian, tabApproval, "transfers_approval_id.xml"},
		{LangEnglish, tabHistory, "transfers_history_en.xml"},
	} {
		t.Run(c.master, func(t *testing.T) {
			env := newTestEnv(t, false)
			u := newTestUI(t, env.services(), domain.RoleOwner)
			SetLanguage(c.lang)
			defer SetLanguage(LangEnglish)
			s := newTransfersScreen(u)
			tb := s.tables[c.tab]
			w := test.NewWindow(tb.table)
			defer w.Close()
			w.Resize(fyne.NewSize(900, 260))
			for i := 0; i < 5; i++ {
				tb.table.Refresh()
				tb.pager.Wait()
				testQueue.drain()
			}
			if c.tab == tabApproval {
				if r, ok := tb.pager.Row(1); ok {
					tb.Check(r)
				}
			}
			test.AssertRendersToMarkup(t, c.master, w.Canvas())
		})
	}
}

package ui

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// maxApproveBatch bounds "Select all waiting": one code approves at most
// this many transfers (the dialog lists every one of them).
const maxApproveBatch = 1000

// approvalBar has the batch actions for the Awaiting approval tab.
func (s *transfersScreen) approvalBar() fyne.CanvasObject {
	s.selInfo = widget.NewLabel(tr("transfers.none.selected"))
	s.approveBtn = widget.NewButtonWithIcon(tr("action.approve"), theme.ConfirmIcon(), s.approveSelected)
	s.approveBtn.Importance = widget.HighImportance
	s.rejectBtn = widget.NewButtonWithIcon(tr("action.reject"), theme.CancelIcon(), s.rejectSelected)
	s.rejectBtn.Importance = widget.DangerImportance
	all := widget.NewButton(tr("action.selectall"), s.selectAllWaiting)
	none := widget.NewButton(tr("action.selectnone"), func() { s.tables[tabApproval].ClearChecked() })
	bar := container.NewHBox(all, none, s.selInfo, layoutSpacer(), s.rejectBtn, s.approveBtn)
	s.updateSelectionButtons(0)
	if !s.u.can(domain.PermApprove) {
		note := widget.NewLabel(tr("transfers.approve.notallowed"))
		note.Importance = widget.LowImportance
		return container.NewVBox(bar, note)
	}
	return bar
}

// selectAllWaiting checks every transfer waiting for approval (not only the
// rows on screen), up to maxApproveBatch; the dialog then splits them by payee.
func (s *transfersScreen) selectAllWaiting() {
	s.wg.add()
	go func() {
		defer s.wg.done()
		var rows []transferRow
		err := s.u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
			f := s.filter(tabApproval)
			f.Page = domain.Page{Limit: maxApproveBatch}
			ts, err := tx.ListTransfers(f)
			for _, t := range ts {
				rows = append(rows, transferRow{Transfer: t, Payee: s.names.lookup(tx, t.PayeeID)})
			}
			return err
		})
		runOnUI(func() {
			if err != nil {
				showError(s.u.win, err)
				return
			}
			t := s.tables[tabApproval]
			for _, r := range rows {
				t.selected[r.RefID] = r
			}
			t.table.Refresh()
			s.updateSelection()
		})
	}()
}

func (s *transfersScreen) updateSelection() {
	rows := s.tables[tabApproval].Checked()
	var total domain.Rupiah
	for _, r := range rows {
		total, _ = total.Add(r.Amount)
	}
	if len(rows) == 0 {
		s.selInfo.SetText(tr("transfers.none.selected"))
	} else {
		s.selInfo.SetText(trf("transfers.selected", map[string]any{"N": len(rows), "Total": money(total)}))
	}
	s.updateSelectionButtons(len(rows))
}

func (s *transfersScreen) updateSelectionButtons(n int) {
	ok := n > 0 && s.u.can(domain.PermApprove) && s.u.svc.Transfers != nil
	for _, b := range []*widget.Button{s.approveBtn, s.rejectBtn} {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

func refIDs(rows []approvalItem) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.RefID
	}
	return out
}

func (s *transfersScreen) approveSelected() { s.openApprove(s.tables[tabApproval].Checked()) }
func (s *transfersScreen) rejectSelected()  { s.openReject(s.tables[tabApproval].Checked()) }

// approvalItem is one transfer in the approve dialog, with where its money
// goes (bank and masked account, as fixed when it was created).
type approvalItem struct {
	transferRow
	dest string
}

// payeeSum is one payee's share of an approval.
type payeeSum struct {
	id    int64
	name  string
	n     int
	total domain.Rupiah
	on    bool
}

// openApprove loads where each transfer goes, then shows the approve dialog.
// One approve dialog at a time: a double-click on Approve opens one.
func (s *transfersScreen) openApprove(rows []transferRow) {
	if len(rows) == 0 || s.u.svc.Transfers == nil || s.approveOpen {
		return
	}
	s.approveOpen = true
	s.wg.add()
	go func() {
		defer s.wg.done()
		items := s.destinations(rows)
		runOnUI(func() { s.showApprove(items) })
	}()
}

// destinations fills each row's bank and masked account: the destination
// fixed at creation when the review service knows it, else the payee's.
func (s *transfersScreen) destinations(rows []transferRow) []approvalItem {
	ctx := context.Background()
	items := make([]approvalItem, len(rows))
	payees := map[int64]domain.Payee{}
	for i, r := range rows {
		items[i] = approvalItem{transferRow: r}
		if rv := s.u.svc.Review; rv != nil {
			if d, err := rv.Destination(ctx, r.RefID); err == nil {
				items[i].dest = domain.ChannelName(d.Bank) + " " + domain.MaskAccount(d.AccountNumber)
				continue
			}
		}
		p, ok := payees[r.PayeeID]
		if !ok {
			_ = s.u.svc.Store.Read(ctx, func(tx domain.ReadTx) (err error) {
				p, err = tx.GetPayee(r.PayeeID)
				return err
			})
			payees[r.PayeeID] = p
		}
		if p.Channel != "" {
			items[i].dest = domain.ChannelName(p.Channel) + " " + domain.MaskAccount(p.AccountNumber)
		}
	}
	// The largest amounts first: they are the ones to read.
	slices.SortStableFunc(items, func(a, b approvalItem) int {
		return cmp.Or(cmp.Compare(b.Amount, a.Amount), strings.Compare(a.RefID, b.RefID))
	})
	return items
}

// sumByPayee adds the items up per payee, largest total first.
func sumByPayee(items []approvalItem) []*payeeSum {
	by := map[int64]*payeeSum{}
	var out []*payeeSum
	for _, it := range items {
		p := by[it.PayeeID]
		if p == nil {
			p = &payeeSum{id: it.PayeeID, name: it.Payee, on: true}
			by[it.PayeeID] = p
			out = append(out, p)
		}
		p.n++
		p.total, _ = p.total.Add(it.Amount)
	}
	slices.SortStableFunc(out, func(a, b *payeeSum) int {
		return cmp.Or(cmp.Compare(b.total, a.total), strings.Compare(a.name, b.name))
	})
	return out
}

// dateTimeWidth is how wide a cell must be for any dateTime (the widest
// month name of the language).
func dateTimeWidth() float32 {
	m := float32(0)
	for mo := time.January; mo <= time.December; mo++ {
		m = max(m, textWidth(dateTime(time.Date(2026, mo, 28, 23, 58, 0, 0, time.UTC), time.UTC), fyne.TextStyle{}))
	}
	return m
}

// textWidth is how wide a cell must be to show text in full (a label
// ellipsises a text measured to the pixel: one pixel of room).
func textWidth(text string, style fyne.TextStyle) float32 {
	return fyne.MeasureText(text, theme.TextSize(), style).Width + 2*theme.InnerPadding() + 1
}

// approveDialog is the approve dialog's state: the transfers, the payees
// whose transfers are included, and the table showing the included ones.
type approveDialog struct {
	s       *transfersScreen
	items   []approvalItem
	payees  []*payeeSum
	shown   []approvalItem // the included transfers, largest first
	table   *widget.Table
	summary *widget.Label
	widths  []float32
	form    *formDialog
	content *fyne.Container
}

// approveColumns are the transfers table's columns in the approve dialog.
var approveColumns = []struct {
	key  string
	wrap bool
	text func(approvalItem) string
}{
	{"col.refid", false, func(it approvalItem) string { return it.RefID }},
	{"col.payee", true, func(it approvalItem) string { return it.Payee }},
	{"col.destination", false, func(it approvalItem) string { return it.dest }},
	{"col.amount", false, func(it approvalItem) string { return money(it.Amount) }},
	{"col.waitreason", true, func(it approvalItem) string { return transferReason(it.Transfer) }},
}

// Column widths of the approve dialog: texts that do not wrap get the width
// of their widest text, so no amount, REFID or account is ever cut; payee
// and reason wrap within theirs.
const (
	approvePayeeMax  = 200
	approveReasonMin = 260
)

// showApprove opens the approve dialog: one table row per transfer (REFID,
// payee, bank and masked account, amount, why it waits), largest first;
// per payee the count and sum with a check to leave that payee out; the
// total; and the authenticator code that approves what is included.
func (s *transfersScreen) showApprove(items []approvalItem) {
	a := &approveDialog{s: s, items: items, payees: sumByPayee(items)}
	winW := s.u.win.Canvas().Size().Width
	dialogW := min(max(winW-120, 640), 1240)

	a.widths = make([]float32, len(approveColumns))
	for i, c := range approveColumns {
		a.widths[i] = textWidth(tr(c.key), fyne.TextStyle{Bold: true})
		if c.wrap {
			continue
		}
		for _, it := range items {
			a.widths[i] = max(a.widths[i], textWidth(c.text(it), fyne.TextStyle{}))
		}
	}
	for _, it := range items {
		a.widths[1] = max(a.widths[1], min(textWidth(it.Payee, fyne.TextStyle{}), approvePayeeMax))
	}
	used := float32(0)
	for i := 0; i < len(a.widths)-1; i++ {
		used += a.widths[i] + theme.Padding()
	}
	a.widths[4] = max(dialogW-used-2*theme.Padding()-theme.ScrollBarSize(), approveReasonMin)

	a.summary = widget.NewLabel("")
	a.summary.TextStyle.Bold = true
	a.summary.Wrapping = fyne.TextWrapWord
	a.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(a.shown), len(approveColumns) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if id.Row >= len(a.shown) {
				l.SetText("")
				return
			}
			c := approveColumns[id.Col]
			l.Wrapping = fyne.TextWrapOff
			if c.wrap {
				l.Wrapping = fyne.TextWrapWord
			}
			l.TextStyle.Monospace = id.Col == 0
			l.Alignment = fyne.TextAlignLeading
			if id.Col == 3 {
				l.Alignment = fyne.TextAlignTrailing
			}
			l.SetText(c.text(a.shown[id.Row]))
		})
	a.table.ShowHeaderColumn = false
	a.table.CreateHeader = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.TextStyle.Bold = true
		return l
	}
	a.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		o.(*widget.Label).SetText(tr(approveColumns[id.Col].key))
	}
	// REFIDs are monospace: measure them so.
	for _, it := range items {
		a.widths[0] = max(a.widths[0], textWidth(it.RefID, fyne.TextStyle{Monospace: true}))
	}
	quietly(a.table, func() {
		for i, w := range a.widths {
			a.table.SetColumnWidth(i, w)
		}
	})
	a.table.Refresh()

	code := newKeyEntry()
	code.SetPlaceHolder(tr("login.code"))
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	status.Wrapping = fyne.TextWrapWord
	tableH := min(max(s.u.win.Canvas().Size().Height-440, 160), 420)
	content := container.NewVBox(a.summary, a.payeeTable(dialogW),
		container.NewGridWrap(fyne.NewSize(dialogW, tableH), a.table),
		widget.NewLabel(tr("approve.code")), code, status)
	if s.u.demo != nil && s.u.demo.CodeNow != nil {
		hint := widget.NewLabel(trf("demo.codehint", map[string]any{"Code": s.u.demo.CodeNow()}))
		hint.Importance = widget.LowImportance
		content.Add(hint)
	}
	a.content = content
	a.form = showForm(s.u.win, tr("approve.title"), tr("action.approve"), content, []*keyEntry{code}, func() {
		c := strings.TrimSpace(code.Text)
		if c == "" {
			status.SetText(tr("approve.code.missing"))
			return
		}
		ids := refIDs(a.shown)
		if len(ids) == 0 {
			return
		}
		// Disabled before anything else: a double-click or Enter pressed
		// twice is one approval, one use of the code.
		a.form.confirm.Disable()
		status.SetText(tr("approve.working"))
		s.wg.add()
		go func() {
			defer s.wg.done()
			err := s.u.svc.Transfers.Approve(context.Background(), s.u.actor, ids, c)
			runOnUI(func() {
				if err != nil {
					a.form.confirm.Enable()
					code.SetText("")
					status.SetText(userMessage(err))
					return
				}
				a.form.Close()
				s.tables[tabApproval].ClearChecked()
				s.reload()
				showToast(s.u.win, trf("approve.done", map[string]any{"N": len(ids)}))
			})
		}()
	})
	a.form.onClosed = func() { s.approveOpen = false }
	a.update()
	s.u.resetLockTimer()
	s.approving = a
}

// payeeTable lists each payee's count and sum with a check that includes or
// leaves out that payee's transfers: a big batch is approved payee by payee.
func (a *approveDialog) payeeTable(width float32) fyne.CanvasObject {
	nameW, countW, sumW := textWidth(tr("col.payee"), fyne.TextStyle{Bold: true}), float32(0), float32(0)
	for _, p := range a.payees {
		nameW = max(nameW, textWidth(p.name, fyne.TextStyle{})+theme.IconInlineSize()+2*theme.Padding())
		countW = max(countW, textWidth(trf("approve.count", map[string]any{"N": p.n}), fyne.TextStyle{}))
		sumW = max(sumW, textWidth(money(p.total), fyne.TextStyle{}))
	}
	nameW = min(nameW, width-countW-sumW-4*theme.Padding()-theme.ScrollBarSize())
	t := widget.NewTable(
		func() (int, int) { return len(a.payees), 3 },
		func() fyne.CanvasObject {
			return container.NewStack(widget.NewCheck("", nil), widget.NewLabel(""))
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			st := o.(*fyne.Container)
			chk, l := st.Objects[0].(*widget.Check), st.Objects[1].(*widget.Label)
			p := a.payees[id.Row]
			if id.Col == 0 {
				l.Hide()
				chk.Show()
				chk.OnChanged = nil
				chk.Text = p.name
				chk.SetChecked(p.on)
				chk.Refresh()
				chk.OnChanged = func(on bool) { p.on = on; a.update() }
				return
			}
			chk.Hide()
			l.Show()
			l.Alignment = fyne.TextAlignTrailing
			if id.Col == 1 {
				l.SetText(trf("approve.count", map[string]any{"N": p.n}))
			} else {
				l.SetText(money(p.total))
			}
		})
	t.SetColumnWidth(0, nameW)
	t.SetColumnWidth(1, countW)
	t.SetColumnWidth(2, sumW)
	rowH := widget.NewCheck("M", nil).MinSize().Height
	h := min(float32(len(a.payees))*(rowH+theme.Padding()), 4*(rowH+theme.Padding()))
	return container.NewGridWrap(fyne.NewSize(width, h), t)
}

// update recomputes the included transfers, the summary and the row heights.
func (a *approveDialog) update() {
	on := map[int64]bool{}
	payees := 0
	for _, p := range a.payees {
		if p.on {
			on[p.id] = true
			payees++
		}
	}
	a.shown = a.shown[:0]
	var total domain.Rupiah
	for _, it := range a.items {
		if on[it.PayeeID] {
			a.shown = append(a.shown, it)
			total, _ = total.Add(it.Amount)
		}
	}
	a.summary.SetText(trf("approve.summary.payees", map[string]any{"N": len(a.shown), "Payees": payees, "Total": money(total)}))
	quietly(a.table, func() {
		for i, it := range a.shown {
			h := float32(0)
			for c, col := range approveColumns {
				l := widget.NewLabel(col.text(it))
				if col.wrap {
					l.Wrapping = fyne.TextWrapWord
					l.Resize(fyne.NewSize(a.widths[c], 1))
				}
				h = max(h, l.MinSize().Height)
			}
			a.table.SetRowHeight(i, h)
		}
	})
	a.table.Refresh()
	if a.form != nil {
		if len(a.shown) == 0 {
			a.form.confirm.Disable()
		} else {
			a.form.confirm.Enable()
		}
	}
}

// openReject refuses transfers with a reason.
func (s *transfersScreen) openReject(rows []transferRow) {
	if len(rows) == 0 || s.u.svc.Transfers == nil {
		return
	}
	reason := newKeyEntry()
	reason.SetPlaceHolder(tr("reject.reason.placeholder"))
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	help := widget.NewLabel(trf("reject.help", map[string]any{"N": len(rows)}))
	help.Wrapping = fyne.TextWrapWord
	var f *formDialog
	f = showForm(s.u.win, tr("reject.title"), tr("action.reject"), container.NewVBox(help, reason, status), []*keyEntry{reason}, func() {
		why := strings.TrimSpace(reason.Text)
		if why == "" {
			status.SetText(tr("reject.reason.missing"))
			return
		}
		f.confirm.Disable()
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.RefID
		}
		s.wg.add()
		go func() {
			defer s.wg.done()
			err := s.u.svc.Transfers.Reject(context.Background(), s.u.actor, ids, why)
			runOnUI(func() {
				f.confirm.Enable()
				if err != nil {
					status.SetText(userMessage(err))
					return
				}
				f.Close()
				s.tables[tabApproval].ClearChecked()
				s.reload()
				showToast(s.u.win, trf("reject.done", map[string]any{"N": len(ids)}))
			})
		}()
	})
	f.confirm.Importance = widget.DangerImportance
}

// approvalActions are the detail panel's actions for a transfer that waits
// for approval: Approve (one code, this transfer) and Reject, each with the
// reason when the signed-in person may not.
func (s *transfersScreen) approvalActions(r transferRow) []transferAction {
	blocked := ""
	switch {
	case s.u.svc.Transfers == nil:
		blocked = tr("err.notavailable")
	case !s.u.can(domain.PermApprove):
		blocked = tr("action.blocked.role")
	}
	approve := transferAction{label: tr("action.approve"), help: tr("action.approve.help"), blocked: blocked,
		open: func() { s.openApprove([]transferRow{r}) }}
	if approve.blocked == "" && r.FailureCode == "blocked" {
		approve.blocked = tr("action.approve.blocked")
	}
	reject := transferAction{label: tr("action.reject"), help: tr("action.reject.help"), blocked: blocked,
		open: func() { s.openReject([]transferRow{r}) }}
	return []transferAction{approve, reject}
}

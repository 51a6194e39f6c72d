package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// Transfer tabs.
const (
	tabApproval  = "approval"
	tabProgress  = "progress"
	tabAttention = "attention"
	tabHistory   = "history"
)

var transferTabs = []string{tabApproval, tabProgress, tabAttention, tabHistory}

// tabStatuses is which transfers each tab lists.
var tabStatuses = map[string][]domain.TransferStatus{
	tabApproval:  {domain.TransferAwaitingApproval},
	tabProgress:  {domain.TransferApproved, domain.TransferQueuedBalance, domain.TransferSending, domain.TransferAccepted},
	tabAttention: {domain.TransferUnknown, domain.TransferFailed, domain.TransferReversed},
	tabHistory: {domain.TransferSucceeded, domain.TransferFailed, domain.TransferReversed,
		domain.TransferRejected, domain.TransferCancelled},
}

// TransferSeeker is implemented by a ReadTx that can page transfers by key
// (newest first, below an id when beforeID > 0) and plan for big filters;
// domain/sqlite does.
type TransferSeeker interface {
	ListTransfersPage(f domain.TransferFilter, beforeID int64, offset, limit int) ([]domain.Transfer, error)
}

var errNoSeek = errors.New("store cannot page by key")

// transferRow is a transfer with its payee's name, for the tables.
type transferRow struct {
	domain.Transfer
	Payee string
}

// payeeNames caches payee names for table rows (they rarely change).
type payeeNames struct {
	mu    sync.Mutex
	names map[int64]string
}

func (c *payeeNames) lookup(tx domain.ReadTx, id int64) string {
	if id == 0 {
		return ""
	}
	c.mu.Lock()
	n, ok := c.names[id]
	c.mu.Unlock()
	if ok {
		return n
	}
	p, err := tx.GetPayee(id)
	if err != nil {
		return "#" + strconv.FormatInt(id, 10)
	}
	c.mu.Lock()
	if c.names == nil {
		c.names = map[int64]string{}
	}
	c.names[id] = p.Name
	c.mu.Unlock()
	return p.Name
}

// transfersScreen has the four tabs and a detail panel with the actions.
type transfersScreen struct {
	u      *UI
	root   fyne.CanvasObject
	tabs   *container.AppTabs
	tables map[string]*dataTable[transferRow]
	search *widget.Entry
	query  string
	names  payeeNames

	approveBtn, rejectBtn *widget.Button
	selInfo               *widget.Label

	detail      *fyne.Container
	selected    *transferRow
	info        reviewInfo      // conflict and destination of the selected transfer
	conflicts   *fyne.Container // open conflicts above the Needs attention table
	wg          chanWaiter      // background loads of the detail panel
	searchTime  *time.Timer
	seek        int            // 0 unknown, 1 the store pages by key, -1 it does not
	approving   *approveDialog // the approve dialog last opened (tests)
	approveOpen bool           // an approve dialog is open or opening
}

func newTransfersScreen(u *UI) *transfersScreen {
	s := &transfersScreen{u: u, tables: map[string]*dataTable[transferRow]{}}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder(tr("transfers.search"))
	s.search.OnChanged = func(q string) {
		if s.searchTime != nil {
			s.searchTime.Stop()
		}
		s.searchTime = time.AfterFunc(300*time.Millisecond, func() {
			runOnUI(func() { s.query = strings.TrimSpace(q); s.reload() })
		})
	}
	s.tabs = container.NewAppTabs()
	for _, tab := range transferTabs {
		s.tables[tab] = s.newTable(tab)
		content := s.tables[tab].withEmpty(tr("empty.transfers." + tab))
		if tab == tabApproval {
			content = container.NewBorder(s.approvalBar(), nil, nil, nil, content)
		}
		if tab == tabAttention {
			s.conflicts = container.NewVBox()
			content = container.NewBorder(s.conflicts, nil, nil, nil, content)
		}
		s.tabs.Append(container.NewTabItem(tr("transfers.tab."+tab), content))
	}
	s.tabs.OnSelected = func(*container.TabItem) {
		s.showDetail(nil)
		if t := s.tables[transferTabs[s.tabs.SelectedIndex()]]; t.pager.activate() {
			t.table.Refresh()
		}
	}
	s.detail = container.NewVBox()
	s.showDetail(nil)
	detailScroll := container.NewScroll(s.detail)
	split := container.NewHSplit(s.tabs, container.NewPadded(detailScroll))
	split.SetOffset(0.74)
	s.root = container.NewBorder(container.NewPadded(s.search), nil, nil, nil, split)
	s.loadConflicts()
	return s
}

func (s *transfersScreen) view() fyne.CanvasObject { return s.root }
func (s *transfersScreen) focusSearch()            { s.u.win.Canvas().Focus(s.search) }

func (s *transfersScreen) reload() {
	for _, t := range s.tables {
		t.Reload()
	}
	s.loadConflicts()
	if s.selected != nil {
		s.refreshSelected(s.selected.RefID)
	}
}

// selectTab shows one tab (tests, screenshots and notifications use it).
func (s *transfersScreen) selectTab(tab string) {
	for i, t := range transferTabs {
		if t == tab {
			s.tabs.SelectIndex(i)
		}
	}
}

func (s *transfersScreen) filter(tab string) domain.TransferFilter {
	return domain.TransferFilter{Statuses: tabStatuses[tab], Search: s.query}
}

func (s *transfersScreen) newTable(tab string) *dataTable[transferRow] {
	store := s.u.svc.Store
	p := newPager(
		func(ctx context.Context, offset, limit int) ([]transferRow, error) {
			var rows []transferRow
			err := store.Read(ctx, func(tx domain.ReadTx) error {
				f := s.filter(tab)
				var ts []domain.Transfer
				var err error
				if sk, ok := tx.(TransferSeeker); ok {
					ts, err = sk.ListTransfersPage(f, 0, offset, limit)
				} else {
					f.Page = domain.Page{Offset: offset, Limit: limit}
					ts, err = tx.ListTransfers(f)
				}
				if err != nil {
					return err
				}
				rows = make([]transferRow, len(ts))
				for i, t := range ts {
					rows[i] = transferRow{Transfer: t, Payee: s.names.lookup(tx, t.PayeeID)}
				}
				return nil
			})
			return rows, err
		},
		func(ctx context.Context) (int, error) {
			var n int
			err := store.Read(ctx, func(tx domain.ReadTx) error {
				var err error
				n, err = tx.CountTransfers(s.filter(tab))
				return err
			})
			return n, err
		})
	// Only the tab on screen loads; the others wake when shown. Set before
	// the table exists: sizing it may already ask for its length.
	p.dormant = tab != transferTabs[0]
	if s.canSeek() {
		p.after = s.seekPage(tab)
	}
	cols, flex := s.columns(tab)
	var key func(transferRow) string
	if tab == tabApproval {
		key = func(r transferRow) string { return r.RefID }
	}
	d := newDataTable(p, cols, key)
	d.shareWidth(tableBudget, flex, 200, transferStyles(cols))
	d.rowKey = func(r transferRow) string { return r.RefID }
	d.onSelect = func(r transferRow) { s.showDetail(&r) }
	d.onChecked = s.updateSelection
	p.setOnError(func(err error) { showError(s.u.win, err) })
	return d
}

// tableBudget is the width the transfer tables fit in at 1366x768, with
// the detail panel beside them (TestNoCutOffLabels checks it).
const tableBudget = 870

// columns are a tab's columns, each as wide as its widest text (REFIDs,
// amounts up to the shop's maximum, statuses, dates), and one that takes
// what is left of tableBudget: the reason a transfer waits or failed, or
// the payee. Tabs show what matters there: the reason where a person acts,
// the channel while in flight, the date in the history.
func (s *transfersScreen) columns(tab string) ([]column[transferRow], int) {
	loc := s.u.svc.Location
	// w is a column's width for its bold title and its texts, with a
	// little room: a label ellipsises a text measured to the pixel.
	w := func(title string, texts ...string) float32 {
		m := textWidth(title, fyne.TextStyle{Bold: true})
		for _, t := range texts {
			m = max(m, textWidth(t, fyne.TextStyle{}))
		}
		return m + theme.Padding()
	}
	var statuses []string
	for _, st := range tabStatuses[tab] {
		statuses = append(statuses, statusText(st))
	}
	var channels []string
	for _, ch := range s.u.svc.Channels {
		channels = append(channels, domain.ChannelName(ch))
	}
	refid := column[transferRow]{title: tr("col.refid"), width: w(tr("col.refid")), text: func(r transferRow) string { return r.RefID }}
	// Monospace: every REFID as long as Lunas's own is as wide as this one.
	refid.width = max(refid.width, textWidth("LNS-261231-0123456789", fyne.TextStyle{Monospace: true}))
	payee := column[transferRow]{title: tr("col.payee"), width: w(tr("col.payee")), text: func(r transferRow) string { return r.Payee }}
	amount := column[transferRow]{title: tr("col.amount"), width: w(tr("col.amount"), money(domain.DefaultMaxAmount)), text: func(r transferRow) string { return money(r.Amount) }}
	status := column[transferRow]{title: tr("col.status"), width: w(tr("col.status"), statuses...), text: func(r transferRow) string { return statusText(r.Status) }}
	channel := column[transferRow]{title: tr("col.channel"), width: w(tr("col.channel"), append(channels, "Xendit")...), text: func(r transferRow) string { return domain.ChannelName(r.Channel) }}
	created := column[transferRow]{title: tr("col.created"), width: max(w(tr("col.created")), dateTimeWidth()+theme.Padding()), text: func(r transferRow) string { return dateTime(r.CreatedAt, loc) }}
	reason := column[transferRow]{title: tr("col.reason"), text: func(r transferRow) string { return shortReason(transferReason(r.Transfer)) }}
	var cols []column[transferRow]
	flex := 0
	switch tab {
	case tabApproval:
		reason.title = tr("col.waitreason")
		cols, flex = []column[transferRow]{refid, payee, amount, reason}, 3
	case tabProgress:
		cols, flex = []column[transferRow]{refid, payee, amount, status, channel}, 1
	case tabAttention:
		reason.text = attentionText // its status and why, in one cell
		cols, flex = []column[transferRow]{refid, payee, amount, reason}, 3
	default:
		cols, flex = []column[transferRow]{refid, payee, amount, status, created}, 1
	}
	return cols, flex
}

// transferStyles: REFIDs in monospace; REFID, payee, amount and channel
// grow to their widest loaded text (a long payee name or a REFID imported
// from another system), the flex column gives up the room.
func transferStyles(cols []column[transferRow]) []colStyle {
	out := make([]colStyle, len(cols))
	for i, c := range cols {
		switch c.title {
		case tr("col.refid"):
			out[i] = colStyle{mono: true, fit: true}
		case tr("col.payee"), tr("col.amount"), tr("col.channel"):
			out[i] = colStyle{fit: true}
		case tr("col.waitreason"), tr("col.reason"):
			out[i] = colStyle{wrap: true} // a risk rule's sentence names the payee and amounts
		}
	}
	return out
}

// attentionText is a Needs attention row's status and reason in one cell:
// "Failed: account closed", "Outcome not known yet".
func attentionText(r transferRow) string {
	st := statusText(r.Status)
	why := transferReason(r.Transfer)
	if why == "" || strings.Split(why, "; ")[0] == st {
		return st
	}
	return st + ": " + shortReason(why)
}

// shortReason is a reason's first part for a table cell, with how many
// more there are ("above the limit (+1)"); the detail panel and the approve
// dialog show all of it.
func shortReason(why string) string {
	parts := strings.Split(why, "; ")
	if len(parts) == 1 {
		return why
	}
	return parts[0] + " (+" + strconv.Itoa(len(parts)-1) + ")"
}

// transferReason is the one line that explains where a transfer stands.
func transferReason(t domain.Transfer) string {
	switch {
	case t.Status == domain.TransferAwaitingApproval && t.HoldReason != "":
		return oneLanguage(t.HoldReason)
	case t.FailureReason != "":
		return oneLanguage(t.FailureReason)
	case t.Status == domain.TransferUnknown:
		return tr("reason.unknown")
	case t.HoldReason != "":
		return oneLanguage(t.HoldReason)
	}
	return ""
}

// refreshSelected reloads the transfer shown in the detail panel.
func (s *transfersScreen) refreshSelected(refID string) {
	s.wg.add()
	go func() {
		defer s.wg.done()
		var row transferRow
		err := s.u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
			t, err := tx.GetTransfer(refID)
			row = transferRow{Transfer: t, Payee: s.names.lookup(tx, t.PayeeID)}
			return err
		})
		if err != nil {
			return
		}
		runOnUI(func() {
			if s.selected != nil && s.selected.RefID == refID {
				s.showDetail(&row)
			}
		})
	}()
}

// transferAction is one manual action with its explanation and the reason it
// is unavailable, if it is.
type transferAction struct {
	label   string
	help    string
	blocked string // "" when the action may run
	run     func(ctx context.Context, t domain.Transfer) (string, error)
	open    func() // instead of run: the action asks first (approve, reject)
}

// actionsFor decides which actions are safe for t, by the REFID rules:
// checking status is always safe for something the gateway may hold; a
// resend with the same REFID only while the outcome is open; a new REFID only
// after a definite failure; cancel only before the gateway processed it.
func (s *transfersScreen) actionsFor(t domain.Transfer, conflict *Conflict) []transferAction {
	svc := s.u.svc.Transfers
	actor := s.u.actor
	perm := func(p domain.Permission) string {
		if svc == nil {
			return tr("err.notavailable")
		}
		if !s.u.can(p) {
			return tr("action.blocked.role")
		}
		return ""
	}
	first := func(reasons ...string) string {
		for _, r := range reasons {
			if r != "" {
				return r
			}
		}
		return ""
	}
	gatewayKnows := t.Status.InFlight() || t.Status == domain.TransferSucceeded || t.Status == domain.TransferFailed || t.Status == domain.TransferReversed
	check := transferAction{label: tr("action.check"), help: tr("action.check.help"),
		run: func(ctx context.Context, t domain.Transfer) (string, error) {
			return "", svc.CheckStatus(ctx, actor, t.RefID)
		}}
	if !gatewayKnows {
		check.blocked = tr("action.check.blocked")
	}
	check.blocked = first(perm(domain.PermRetry), check.blocked)

	retry := transferAction{label: tr("action.retry"), help: tr("action.retry.help"),
		run: func(ctx context.Context, t domain.Transfer) (string, error) {
			return "", svc.Retry(ctx, actor, t.RefID)
		}}
	if t.Status != domain.TransferUnknown && t.Status != domain.TransferAccepted {
		retry.blocked = tr("action.retry.blocked")
	}
	retry.blocked = first(perm(domain.PermRetry), retry.blocked)

	again := transferAction{label: tr("action.sendagain"), help: tr("action.sendagain.help"),
		run: func(ctx context.Context, t domain.Transfer) (string, error) {
			return svc.SendAgain(ctx, actor, t.RefID, "")
		}}
	if t.Status != domain.TransferFailed {
		again.blocked = tr("action.sendagain.blocked")
	}
	again.blocked = first(perm(domain.PermSendAgain), again.blocked)
	if conflict != nil {
		// The engine refuses too; the reason here is the one that matters.
		again.blocked = tr("action.sendagain.conflict")
	}

	out := []transferAction{check, retry, again}
	for _, ch := range s.u.svc.Channels {
		if ch == t.Channel {
			continue
		}
		ch := ch
		re := transferAction{label: trf("action.reroute", map[string]any{"Channel": domain.ChannelName(ch)}), help: tr("action.reroute.help"),
			run: func(ctx context.Context, t domain.Transfer) (string, error) {
				return svc.SendAgain(ctx, actor, t.RefID, ch)
			}}
		re.blocked = first(perm(domain.PermSendAgain), again.blocked)
		if conflict != nil {
			re.blocked = again.blocked
		}
		out = append(out, re)
	}
	cancel := transferAction{label: tr("action.cancelpayout"), help: tr("action.cancelpayout.help"),
		run: func(ctx context.Context, t domain.Transfer) (string, error) {
			return "", svc.Cancel(ctx, actor, t.RefID)
		}}
	if t.Status != domain.TransferAccepted && t.Status != domain.TransferUnknown {
		cancel.blocked = tr("action.cancelpayout.blocked")
	}
	cancel.blocked = first(perm(domain.PermCancel), cancel.blocked)
	return append(out, cancel)
}

// showDetail fills the right-hand panel for one transfer (nil: a hint) and
// loads its conflict and fixed destination in the background.
func (s *transfersScreen) showDetail(r *transferRow) {
	s.selected = r
	if r == nil {
		s.info = reviewInfo{}
		s.detail.Objects = nil
		s.detail.Add(emptyHint(tr("transfers.detail.hint")))
		s.detail.Refresh()
		return
	}
	if s.info.refID != r.RefID {
		s.info = reviewInfo{refID: r.RefID}
	}
	s.renderDetail(*r)
	rv := s.u.svc.Review
	if rv == nil {
		return
	}
	refID := r.RefID
	s.wg.add()
	go func() {
		defer s.wg.done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		info := loadReview(ctx, rv, refID)
		runOnUI(func() {
			if s.selected != nil && s.selected.RefID == refID {
				s.info = info
				s.renderDetail(*s.selected)
			}
		})
	}()
}

// renderDetail draws the panel for r with what is known of its review.
func (s *transfersScreen) renderDetail(r transferRow) {
	s.detail.Objects = nil
	t := r.Transfer
	info := s.info
	loc := s.u.svc.Location
	ref := widget.NewLabelWithStyle(t.RefID, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true, Bold: true})
	ref.Selectable = true
	amount := widget.NewLabelWithStyle(money(t.Amount), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	amount.SizeName = theme.SizeNameSubHeadingText
	// Values wrap rather than widen the panel (the copy button stays in
	// view) or get cut.
	val := func(text string) *widget.Label {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	items := []*widget.FormItem{
		widget.NewFormItem(tr("col.payee"), val(r.Payee)),
		widget.NewFormItem(tr("col.status"), val(statusText(t.Status))),
		widget.NewFormItem(tr("col.channel"), val(domain.ChannelName(t.Channel))),
		widget.NewFormItem(tr("col.created"), val(dateTime(t.CreatedAt, loc))),
	}
	if t.ParentRefID != "" {
		items = append(items, widget.NewFormItem(tr("col.parent"), widget.NewLabelWithStyle(t.ParentRefID, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})))
	}
	if t.GatewayRef != "" {
		items = append(items, widget.NewFormItem(tr("col.gatewayref"), val(t.GatewayRef)))
	}
	if t.ApprovedBy != "" {
		items = append(items, widget.NewFormItem(tr("col.approvedby"), val(t.ApprovedBy)))
	}
	if t.Attempts > 0 {
		items = append(items, widget.NewFormItem(tr("col.attempts"), widget.NewLabel(strconv.Itoa(t.Attempts))))
	}
	s.detail.Add(widget.NewLabel(tr("col.refid")))
	s.detail.Add(container.NewBorder(nil, nil, nil, copyButton(func() fyne.Window { return s.u.win }, func() string { return t.RefID }), ref))
	s.detail.Add(amount)
	if s.u.svc.Review != nil {
		if l := destinationLabel(info); l != nil {
			s.detail.Add(l)
		}
	}
	s.detail.Add(widget.NewForm(items...))
	if why := transferReason(t); why != "" {
		l := widget.NewLabel(why)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		s.detail.Add(l)
	}
	if info.conflict != nil {
		s.detail.Objects = append(s.detail.Objects, s.conflictSection(*info.conflict)...)
	} else if explain := tr("explain." + string(t.Status)); explain != "explain."+string(t.Status) {
		l := widget.NewLabel(explain)
		l.Wrapping = fyne.TextWrapWord
		s.detail.Add(l)
	}
	var actions []transferAction
	switch {
	case t.Status == domain.TransferAwaitingApproval:
		actions = s.approvalActions(r)
	case t.Status.Final() && t.Status != domain.TransferFailed && t.Status != domain.TransferReversed:
	default:
		actions = s.actionsFor(t, info.conflict)
	}
	if len(actions) == 0 {
		s.detail.Refresh()
		return
	}
	s.detail.Add(widget.NewSeparator())
	s.detail.Add(widget.NewLabelWithStyle(tr("transfers.actions"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, a := range actions {
		a := a
		btn := widget.NewButton(a.label, nil)
		btn.OnTapped = func() { s.runAction(btn, a, t) }
		if a.open != nil {
			btn.OnTapped = a.open
		}
		help := widget.NewLabel(a.help)
		help.Wrapping = fyne.TextWrapWord
		help.Importance = widget.LowImportance
		if a.blocked != "" {
			btn.Disable()
			help.SetText(a.help + "\n" + a.blocked)
		}
		s.detail.Add(btn)
		s.detail.Add(help)
	}
	s.detail.Refresh()
}

func (s *transfersScreen) runAction(btn *widget.Button, a transferAction, t domain.Transfer) {
	btn.Disable()
	s.u.resetLockTimer()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		newRef, err := a.run(ctx, t)
		runOnUI(func() {
			btn.Enable()
			if err != nil {
				showError(s.u.win, err)
				return
			}
			if newRef != "" {
				showInfo(s.u.win, a.label, trf("action.sendagain.done", map[string]any{"RefID": newRef}))
			} else {
				showToast(s.u.win, tr("action.done"))
			}
			s.reload()
		})
	}()
}

// canSeek reports (once per screen) whether the store pages by key.
func (s *transfersScreen) canSeek() bool {
	if s.seek == 0 {
		s.seek = -1
		_ = s.u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
			if _, ok := tx.(TransferSeeker); ok {
				s.seek = 1
			}
			return nil
		})
	}
	return s.seek > 0
}

// seekPage fetches the page after a row by key (see TransferSeeker).
func (s *transfersScreen) seekPage(tab string) func(ctx context.Context, last transferRow, limit int) ([]transferRow, error) {
	return func(ctx context.Context, last transferRow, limit int) ([]transferRow, error) {
		var rows []transferRow
		err := s.u.svc.Store.Read(ctx, func(tx domain.ReadTx) error {
			sk, ok := tx.(TransferSeeker)
			if !ok {
				return errNoSeek
			}
			ts, err := sk.ListTransfersPage(s.filter(tab), last.ID, 0, limit)
			if err != nil {
				return err
			}
			rows = make([]transferRow, len(ts))
			for i, t := range ts {
				rows[i] = transferRow{Transfer: t, Payee: s.names.lookup(tx, t.PayeeID)}
			}
			return nil
		})
		return rows, err
	}
}

package ui

import (
	"context"
	"image/color"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// DayTotals is one day of the dashboard chart.
type DayTotals struct {
	Day     time.Time // midnight in the shop's zone
	Settled domain.Rupiah
	PaidOut domain.Rupiah
}

// DashboardData is everything the dashboard shows.
type DashboardData struct {
	SettledToday    domain.Rupiah
	PaymentsWaiting int
	AwaitApproval   int
	InProgress      int
	NeedsAttention  int
	OpenFlags       int
	Balances        map[string]domain.Rupiah
	BalanceErr      error
	Days            []DayTotals // oldest first, 14 days ending today
	// Capped is set when a day's total would overflow: that day shows the
	// largest amount Lunas can count and an alert says so, never a
	// wrapped-around total.
	Capped bool
	// Waiting is why transfers wait for approval: each reason with how many
	// transfers and how much money, most transfers first (a transfer held
	// for two reasons counts under both). WaitingTotal is their sum.
	Waiting      []WaitReason
	WaitingTotal domain.Rupiah
}

// addCapped adds v to m[k] with domain's overflow-checked addition; a sum
// that would overflow stays at the largest (or smallest) Rupiah and
// reports true.
func addCapped(m map[string]domain.Rupiah, k string, v domain.Rupiah) bool {
	s, err := m[k].Add(v)
	if err == nil {
		m[k] = s
		return false
	}
	if v > 0 {
		m[k] = math.MaxInt64
	} else {
		m[k] = math.MinInt64
	}
	return true
}

// WaitReason is one reason transfers wait for approval.
type WaitReason struct {
	Reason string // in the current language
	N      int
	Total  domain.Rupiah
}

// maxWaitScan bounds how many waiting transfers the dashboard reads to
// explain why they wait.
const maxWaitScan = 1000

// flagNumber is the "(flag #12)" a risk reason carries: reasons are grouped
// without it.
var flagNumber = regexp.MustCompile(`\s*\(flag #\d+\)`)

// waitReasons groups waiting transfers by the reasons they wait.
func waitReasons(ts []domain.Transfer) ([]WaitReason, domain.Rupiah) {
	by := map[string]*WaitReason{}
	var out []*WaitReason
	var total domain.Rupiah
	for _, t := range ts {
		total, _ = total.Add(t.Amount)
		parts := strings.Split(t.HoldReason, "; ")
		if t.HoldReason == "" {
			parts = []string{tr("dash.wait.noreason")}
		}
		for _, part := range parts {
			why := strings.TrimSpace(flagNumber.ReplaceAllString(oneLanguage(part), ""))
			w := by[why]
			if w == nil {
				w = &WaitReason{Reason: why}
				by[why] = w
				out = append(out, w)
			}
			w.N++
			w.Total, _ = w.Total.Add(t.Amount)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Reason < out[j].Reason
	})
	res := make([]WaitReason, len(out))
	for i, w := range out {
		res[i] = *w
	}
	return res, total
}

// DashboardQuerier is implemented by a ReadTx that can aggregate the
// dashboard in SQL (domain/sqlite does); otherwise the desktop sums rows.
type DashboardQuerier interface {
	SettledByDay(from, to time.Time, loc *time.Location) (map[string]domain.Rupiah, error)
	PaidOutByDay(from, to time.Time, loc *time.Location) (map[string]domain.Rupiah, error)
	CountPayments(f domain.PaymentFilter) (int, error)
}

// lowBalance is when a channel's balance is worth a warning.
const lowBalance = domain.Rupiah(1_000_000)

// loadDashboard reads the dashboard in one consistent snapshot.
func loadDashboard(ctx context.Context, st domain.Store, now time.Time, loc *time.Location) (DashboardData, error) {
	var d DashboardData
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	from := today.AddDate(0, 0, -13)
	to := today.AddDate(0, 0, 1)
	err := st.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		count := func(st []domain.TransferStatus) int {
			if err != nil {
				return 0
			}
			var n int
			n, err = tx.CountTransfers(domain.TransferFilter{Statuses: st})
			return n
		}
		d.AwaitApproval = count(tabStatuses[tabApproval])
		d.InProgress = count(tabStatuses[tabProgress])
		d.NeedsAttention = count([]domain.TransferStatus{domain.TransferUnknown, domain.TransferFailed, domain.TransferReversed})
		if err != nil {
			return err
		}
		if d.AwaitApproval > 0 {
			ts, err := tx.ListTransfers(domain.TransferFilter{Statuses: tabStatuses[tabApproval], Page: domain.Page{Limit: maxWaitScan}})
			if err != nil {
				return err
			}
			d.Waiting, d.WaitingTotal = waitReasons(ts)
		}
		settled, paid := map[string]domain.Rupiah{}, map[string]domain.Rupiah{}
		if q, ok := tx.(DashboardQuerier); ok {
			if settled, err = q.SettledByDay(from, to, loc); err != nil {
				return err
			}
			if paid, err = q.PaidOutByDay(from, to, loc); err != nil {
				return err
			}
			if d.PaymentsWaiting, err = q.CountPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentPending}}); err != nil {
				return err
			}
		} else {
			ps, err := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentSettled}, From: from.AddDate(0, 0, -30), To: to})
			if err != nil {
				return err
			}
			for _, p := range ps {
				at := p.SettledAt
				if at.IsZero() {
					at = p.CreatedAt
				}
				if !at.Before(from) && at.Before(to) {
					d.Capped = addCapped(settled, at.In(loc).Format(time.DateOnly), p.PaidAmount) || d.Capped
				}
			}
			ts, err := tx.ListTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSucceeded}, From: from, To: to})
			if err != nil {
				return err
			}
			for _, t := range ts {
				at := t.UpdatedAt
				if at.IsZero() {
					at = t.CreatedAt
				}
				d.Capped = addCapped(paid, at.In(loc).Format(time.DateOnly), t.Amount) || d.Capped
			}
			pend, err := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentPending}})
			if err != nil {
				return err
			}
			d.PaymentsWaiting = len(pend)
		}
		for i := 0; i < 14; i++ {
			day := from.AddDate(0, 0, i)
			k := day.Format(time.DateOnly)
			d.Days = append(d.Days, DayTotals{Day: day, Settled: settled[k], PaidOut: paid[k]})
		}
		d.SettledToday = d.Days[13].Settled
		return nil
	})
	return d, err
}

// dashboard is the morning overview.
type dashboard struct {
	u      *UI
	root   fyne.CanvasObject
	cards  *fyne.Container
	alerts *fyne.Container
	chart  *barChart
	stamp  *widget.Label
	wg     chanWaiter
	data   DashboardData // what is on screen
	shown  bool

	balMu  sync.Mutex
	balAt  time.Time // when the balances were last asked
	bal    map[string]domain.Rupiah
	balErr error
}

// balanceEvery is how often the dashboard asks the gateways for balances:
// each ask is a request to every payout channel, and engine events come
// every few seconds.
const balanceEvery = time.Minute

// balances asks the gateways at most once a balanceEvery.
func (d *dashboard) balances(ctx context.Context) (map[string]domain.Rupiah, error) {
	d.balMu.Lock()
	defer d.balMu.Unlock()
	if now := d.u.svc.Now(); d.balAt.IsZero() || now.Sub(d.balAt) >= balanceEvery || now.Before(d.balAt) {
		d.bal, d.balErr = d.u.svc.Balances.Balances(ctx)
		d.balAt = now
	}
	return d.bal, d.balErr
}

func newDashboard(u *UI) *dashboard {
	d := &dashboard{u: u}
	d.cards = container.NewGridWithColumns(3)
	d.alerts = container.NewVBox()
	d.chart = newBarChart()
	d.stamp = widget.NewLabel("")
	d.stamp.Importance = widget.LowImportance
	chartTitle := widget.NewLabelWithStyle(tr("dash.chart"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	legend := container.NewHBox(legendItem(theme.Color(theme.ColorNamePrimary), tr("dash.settled")),
		legendItem(okGreen, tr("dash.paidout")))
	chartBox := container.NewBorder(container.NewHBox(chartTitle, layoutSpacer(), legend), nil, nil, nil, d.chart)
	top := container.NewVBox(d.cards, d.alerts)
	d.root = container.NewPadded(container.NewBorder(top, d.stamp, nil, nil, chartBox))
	d.reload()
	return d
}

func (d *dashboard) view() fyne.CanvasObject { return d.root }
func (d *dashboard) focusSearch()            {}

func (d *dashboard) reload() {
	d.wg.add()
	go func() {
		defer d.wg.done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		data, err := loadDashboard(ctx, d.u.svc.Store, d.u.svc.Now(), d.u.svc.Location)
		if err == nil && d.u.svc.Balances != nil {
			data.Balances, data.BalanceErr = d.balances(ctx)
		}
		if err == nil && d.u.svc.Review != nil {
			// A conflict on a failed transfer is already counted by status;
			// one on a cancelled or rejected transfer is not.
			if cs, cerr := d.u.svc.Review.Conflicts(ctx); cerr == nil {
				data.NeedsAttention += countExtraAttention(cs)
			}
		}
		if err == nil && d.u.svc.Flags != nil {
			fl, ferr := d.u.svc.Flags.OpenFlags(ctx, domain.Page{Limit: 100})
			if ferr == nil {
				data.OpenFlags = len(fl)
			}
		}
		runOnUI(func() {
			if err != nil {
				showError(d.u.win, err)
				return
			}
			d.show(data)
		})
	}()
}

func (d *dashboard) show(data DashboardData) {
	if d.shown && reflect.DeepEqual(d.data, data) {
		return // nothing changed: nothing to redraw
	}
	d.data, d.shown = data, true
	d.cards.Objects = []fyne.CanvasObject{
		statCard(tr("dash.today"), money(data.SettledToday), widget.HighImportance, nil),
		statCard(tr("dash.waiting"), itoa(data.PaymentsWaiting), widget.MediumImportance, func() { d.u.Navigate(ScreenOrders) }),
		statCard(tr("dash.approval"), itoa(data.AwaitApproval), importanceIf(data.AwaitApproval > 0, widget.WarningImportance), func() { d.openTab(tabApproval) }),
		statCard(tr("dash.progress"), itoa(data.InProgress), widget.MediumImportance, func() { d.openTab(tabProgress) }),
		statCard(tr("dash.attention"), itoa(data.NeedsAttention), importanceIf(data.NeedsAttention > 0, widget.DangerImportance), func() { d.openTab(tabAttention) }),
		statCard(tr("dash.flags"), itoa(data.OpenFlags), importanceIf(data.OpenFlags > 0, widget.WarningImportance), func() { d.u.Navigate(ScreenMonitoring) }),
	}
	d.cards.Refresh()
	d.alerts.Objects = nil
	names := make([]string, 0, len(data.Balances))
	for n := range data.Balances {
		names = append(names, n)
	}
	sort.Strings(names)
	var bal []fyne.CanvasObject
	for _, n := range names {
		b := data.Balances[n]
		l := widget.NewLabel(trf("dash.balance", map[string]any{"Channel": n, "Amount": money(b)}))
		if b < lowBalance {
			l.Importance = widget.DangerImportance
			d.alerts.Add(alertLine(trf("alert.lowbalance", map[string]any{"Channel": n, "Amount": money(b)})))
		}
		bal = append(bal, l)
	}
	if data.BalanceErr != nil {
		d.alerts.Add(alertLine(tr("alert.gateway")))
	}
	if data.Capped {
		d.alerts.Add(alertLine(tr("alert.capped")))
	}
	if data.OpenFlags > 0 {
		d.alerts.Add(alertLine(trf("alert.flags", map[string]any{"N": data.OpenFlags})))
	}
	if data.AwaitApproval > 0 {
		d.alerts.Add(d.waitingWhy(data))
	}
	if len(bal) > 0 {
		d.alerts.Add(container.NewHBox(append([]fyne.CanvasObject{widget.NewLabelWithStyle(tr("dash.balances"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}, bal...)...))
	}
	d.alerts.Refresh()
	d.chart.SetData(data.Days)
	d.stamp.SetText(trf("dash.updated", map[string]any{"At": dateTime(d.u.svc.Now(), d.u.svc.Location)}))
}

// maxWaitLines is how many reasons the dashboard lists.
const maxWaitLines = 3

// waitingWhy says what waits for the owner and why: the count and sum,
// then the most common reasons with their count and sum.
func (d *dashboard) waitingWhy(data DashboardData) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(trf("dash.wait.head", map[string]any{"N": itoa(data.AwaitApproval), "Total": money(data.WaitingTotal)}),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(head)
	for i, w := range data.Waiting {
		if i == maxWaitLines {
			box.Add(widget.NewLabel(trf("dash.wait.more", map[string]any{"N": len(data.Waiting) - maxWaitLines})))
			break
		}
		l := widget.NewLabel(trf("dash.wait.line", map[string]any{"N": itoa(w.N), "Total": money(w.Total), "Reason": w.Reason}))
		l.Wrapping = fyne.TextWrapWord
		box.Add(l)
	}
	open := widget.NewButton(tr("dash.wait.open"), func() { d.openTab(tabApproval) })
	return container.NewBorder(nil, nil, nil, container.NewVBox(open), box)
}

func (d *dashboard) openTab(tab string) {
	d.u.Navigate(ScreenTransfers)
	if s, ok := d.u.screens[ScreenTransfers].(*transfersScreen); ok {
		s.selectTab(tab)
	}
}

func importanceIf(cond bool, imp widget.Importance) widget.Importance {
	if cond {
		return imp
	}
	return widget.MediumImportance
}

func alertLine(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Importance = widget.WarningImportance
	l.Wrapping = fyne.TextWrapWord
	return container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, l)
}

// statCard is one number with its caption; tapping opens where it lives.
func statCard(caption, value string, imp widget.Importance, open func()) fyne.CanvasObject {
	v := widget.NewLabelWithStyle(value, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.SizeName = theme.SizeNameHeadingText
	v.Importance = imp
	c := widget.NewLabel(caption)
	var body fyne.CanvasObject = container.NewVBox(c, v)
	if open != nil {
		b := widget.NewButtonWithIcon("", theme.NavigateNextIcon(), open)
		b.Importance = widget.LowImportance
		body = container.NewBorder(nil, nil, nil, b, body)
	}
	return widget.NewCard("", "", body)
}

func legendItem(c color.Color, text string) fyne.CanvasObject {
	r := canvas.NewRectangle(c)
	r.SetMinSize(fyne.NewSize(14, 14))
	return container.NewHBox(container.NewCenter(r), widget.NewLabel(text))
}

func itoa(n int) string { return formatCount(n) }

// formatCount groups thousands the way the current language does.
func formatCount(n int) string {
	sep := byte(',')
	if currentLanguage() == LangIndonesian {
		sep = '.'
	}
	s := domain.GroupThousands(itoaPlain(n), sep)
	return s
}

func itoaPlain(n int) string {
	if n < 0 {
		return "-" + itoaPlain(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoaPlain(n/10) + string(rune('0'+n%10))
}

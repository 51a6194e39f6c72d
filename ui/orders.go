package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// ordersBudget is the width the orders table has at 1366x768 beside the
// detail panel (TestNoCutOffLabels checks it).
const ordersBudget = 790

var orderStatuses = []domain.OrderStatus{domain.OrderOpen, domain.OrderPaid, domain.OrderFlagged,
	domain.OrderExpired, domain.OrderFailed, domain.OrderCancelled}

// ordersScreen lists orders with a detail panel and the new-order form.
type ordersScreen struct {
	u      *UI
	root   fyne.CanvasObject
	table  *dataTable[domain.Order]
	search *widget.Entry
	status *widget.Select
	query  string
	detail *fyne.Container
	timer  *time.Timer
	wg     chanWaiter
}

func newOrdersScreen(u *UI) *ordersScreen {
	s := &ordersScreen{u: u}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder(tr("orders.search"))
	s.search.OnChanged = func(q string) {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.timer = time.AfterFunc(300*time.Millisecond, func() { runOnUI(func() { s.query = strings.TrimSpace(q); s.reload() }) })
	}
	opts := []string{tr("filter.all")}
	for _, st := range orderStatuses {
		opts = append(opts, tr("order."+string(st)))
	}
	s.status = widget.NewSelect(opts, nil)
	s.status.SetSelected(opts[0])
	filter := func() domain.OrderFilter {
		f := domain.OrderFilter{Search: s.query}
		for _, st := range orderStatuses {
			if s.status.Selected == tr("order."+string(st)) {
				f.Statuses = []domain.OrderStatus{st}
			}
		}
		return f
	}
	st := u.svc.Store
	p := newPager(func(ctx context.Context, off, lim int) ([]domain.Order, error) {
		var out []domain.Order
		err := st.Read(ctx, func(tx domain.ReadTx) error {
			f := filter()
			f.Page = domain.Page{Offset: off, Limit: lim}
			var err error
			out, err = tx.ListOrders(f)
			return err
		})
		return out, err
	}, func(ctx context.Context) (int, error) {
		var n int
		err := st.Read(ctx, func(tx domain.ReadTx) error {
			var err error
			n, err = tx.CountOrders(filter())
			return err
		})
		return n, err
	})
	loc := u.svc.Location
	var statuses []string
	for _, st := range orderStatuses {
		statuses = append(statuses, tr("order."+string(st)))
	}
	statusW := textWidth(tr("col.status"), fyne.TextStyle{Bold: true})
	for _, t := range statuses {
		statusW = max(statusW, textWidth(t, fyne.TextStyle{}))
	}
	s.table = newDataTable(p, []column[domain.Order]{
		{tr("col.order"), 0, func(o domain.Order) string { return o.ExternalID }},
		{tr("col.buyer"), 0, func(o domain.Order) string { return o.BuyerName }},
		{tr("col.total"), 0, func(o domain.Order) string { t, _ := o.Total(); return money(t) }},
		{tr("col.status"), statusW, func(o domain.Order) string { return tr("order." + string(o.Status)) }},
		{tr("col.created"), dateTimeWidth(), func(o domain.Order) string { return dateTime(o.CreatedAt, loc) }},
		{tr("col.source"), 0, func(o domain.Order) string { return o.Source }},
	}, nil)
	// Order numbers as long as the marketplace's (the demo's are
	// BTK-hhmmss-nnnn), totals, statuses and sources in full; the buyer's
	// name takes what is left.
	s.table.shareWidth(ordersBudget, 1, 110, []colStyle{{fit: true}, {}, {fit: true}, {}, {}, {fit: true}})
	p.setOnError(func(err error) { showError(u.win, err) })
	s.table.onSelect = s.showDetail
	s.status.OnChanged = func(string) { s.reload() }
	s.detail = container.NewVBox(emptyHint(tr("orders.detail.hint")))
	newBtn := widget.NewButtonWithIcon(tr("orders.new"), theme.ContentAddIcon(), s.newOrder)
	newBtn.Importance = widget.HighImportance
	if !u.can(domain.PermManageOrders) || u.svc.Orders == nil {
		newBtn.Disable()
	}
	imp := u.importButton("orders", domain.PermManageOrders, s.reload)
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(s.status, imp, newBtn), s.search)
	split := container.NewHSplit(s.table.withEmpty(tr("empty.orders")), container.NewScroll(container.NewPadded(s.detail)))
	split.SetOffset(0.68)
	s.root = container.NewBorder(container.NewPadded(bar), nil, nil, nil, split)
	return s
}

func (s *ordersScreen) view() fyne.CanvasObject { return s.root }
func (s *ordersScreen) reload()                 { s.table.Reload() }
func (s *ordersScreen) focusSearch()            { s.u.win.Canvas().Focus(s.search) }

// orderDetail is what the panel shows about one order.
type orderDetail struct {
	payment     *domain.Payment
	obligations []domain.Obligation
	transfers   []domain.Transfer
	names       map[int64]string
}

func (s *ordersScreen) showDetail(o domain.Order) {
	s.wg.add()
	go func() {
		defer s.wg.done()
		var d orderDetail
		d.names = map[int64]string{}
		err := s.u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
			p, err := tx.GetPaymentByExternalID(o.ExternalID)
			if errors.Is(err, domain.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			d.payment = &p
			if d.obligations, err = tx.ListObligationsByPayment(p.ID); err != nil {
				return err
			}
			for _, ob := range d.obligations {
				ts, err := tx.ListTransfersByObligation(ob.ID)
				if err != nil {
					return err
				}
				d.transfers = append(d.transfers, ts...)
				if pe, err := tx.GetPayee(ob.PayeeID); err == nil {
					d.names[ob.PayeeID] = pe.Name
				}
			}
			return nil
		})
		runOnUI(func() {
			if err != nil {
				showError(s.u.win, err)
				return
			}
			s.fillDetail(o, d)
		})
	}()
}

func (s *ordersScreen) fillDetail(o domain.Order, d orderDetail) {
	s.detail.Objects = nil
	head := widget.NewLabelWithStyle(o.ExternalID, fyne.TextAlignLeading, fyne.TextStyle{Bold: true, Monospace: true})
	s.detail.Add(container.NewBorder(nil, nil, nil, copyButton(func() fyne.Window { return s.u.win }, func() string { return o.ExternalID }), head))
	s.detail.Add(widget.NewLabel(o.BuyerName + "  " + o.BuyerEmail))
	var lines []string
	for _, it := range o.Items {
		lt, _ := it.LineTotal()
		lines = append(lines, strconv.FormatInt(it.Qty, 10)+" × "+it.Name+" @ "+money(it.UnitPrice)+" = "+money(lt))
	}
	items := widget.NewLabel(strings.Join(lines, "\n"))
	items.Wrapping = fyne.TextWrapWord
	s.detail.Add(items)
	total, _ := o.Total()
	s.detail.Add(widget.NewForm(
		widget.NewFormItem(tr("order.shipping"), widget.NewLabel(money(o.Shipping))),
		widget.NewFormItem(tr("order.fees"), widget.NewLabel(money(o.Fees))),
		widget.NewFormItem(tr("order.discount"), widget.NewLabel(money(o.Discount))),
		widget.NewFormItem(tr("col.total"), widget.NewLabelWithStyle(money(total), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})),
	))
	s.detail.Add(widget.NewSeparator())
	if d.payment == nil {
		s.detail.Add(widget.NewLabel(tr("orders.nopayment")))
	} else {
		p := d.payment
		s.detail.Add(widget.NewLabelWithStyle(tr("orders.payment"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		s.detail.Add(widget.NewLabel(domain.ChannelName(p.Gateway) + " · " + tr("payment."+string(p.Status)) + " · " + money(p.Amount)))
		if p.URL != "" {
			link := widget.NewLabel(p.URL)
			link.Truncation = fyne.TextTruncateEllipsis
			s.detail.Add(container.NewBorder(nil, nil, nil, copyButton(func() fyne.Window { return s.u.win }, func() string { return p.URL }), link))
		}
		if p.FlagReason != "" {
			l := widget.NewLabel(p.FlagReason)
			l.Importance = widget.WarningImportance
			s.detail.Add(l)
		}
	}
	if len(d.obligations) > 0 {
		s.detail.Add(widget.NewSeparator())
		s.detail.Add(widget.NewLabelWithStyle(tr("orders.obligations"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		for _, ob := range d.obligations {
			s.detail.Add(widget.NewLabel(d.names[ob.PayeeID] + " · " + money(ob.Amount) + " · " + tr("obligation."+string(ob.Status))))
		}
	}
	if len(d.transfers) > 0 {
		s.detail.Add(widget.NewLabelWithStyle(tr("nav.transfers"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		for _, t := range d.transfers {
			t := t
			ref := widget.NewLabelWithStyle(t.RefID, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
			s.detail.Add(container.NewBorder(nil, nil, nil, copyButton(func() fyne.Window { return s.u.win }, func() string { return t.RefID }), ref))
			s.detail.Add(widget.NewLabel(money(t.Amount) + " · " + statusText(t.Status)))
		}
	}
	s.detail.Refresh()
}

// newOrder is the order form with a live total.
func (s *ordersScreen) newOrder() {
	var products []domain.Product
	_ = s.u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		products, err = tx.ListProducts(domain.Page{Limit: 500})
		return err
	})
	names := make([]string, 0, len(products))
	for _, p := range products {
		if p.Active {
			names = append(names, p.Name)
		}
	}
	buyer, email := newKeyEntry(), newKeyEntry()
	prod := widget.NewSelect(names, nil)
	qty := newKeyEntry()
	qty.SetText("1")
	shipping, fees, discount := newKeyEntry(), newKeyEntry(), newKeyEntry()
	totalLbl := widget.NewLabelWithStyle(money(0), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	status.Wrapping = fyne.TextWrapWord
	gw := widget.NewSelect([]string{"xendit", "midtrans"}, nil)
	gw.SetSelected("xendit")
	build := func() (*domain.Order, error) {
		o := &domain.Order{ExternalID: "ORD-" + strconv.FormatInt(s.u.svc.Now().UnixMilli(), 36), Source: "manual",
			BuyerName: strings.TrimSpace(buyer.Text), BuyerEmail: strings.TrimSpace(email.Text), Status: domain.OrderOpen}
		for _, p := range products {
			if p.Name == prod.Selected {
				n, err := strconv.ParseInt(strings.TrimSpace(qty.Text), 10, 64)
				if err != nil || n < 1 {
					return nil, invalidField(tr("orders.qty"), "orders.qty.invalid", nil)
				}
				o.Items = append(o.Items, domain.OrderItem{ProductID: p.ID, Name: p.Name, Qty: n, UnitPrice: p.Price})
				o.PayoutRuleID = 0
			}
		}
		for _, f := range []struct {
			label string
			e     *keyEntry
			dst   *domain.Rupiah
		}{{tr("order.shipping"), shipping, &o.Shipping}, {tr("order.fees"), fees, &o.Fees}, {tr("order.discount"), discount, &o.Discount}} {
			if strings.TrimSpace(f.e.Text) == "" {
				continue
			}
			v, err := parseAmount(f.label, f.e.Text)
			if err != nil {
				return nil, err
			}
			*f.dst = v
		}
		if prod.Selected == "" {
			return o, invalidField(tr("nav.products"), "orders.product.missing", nil)
		}
		return o, o.Validate()
	}
	update := func(string) {
		o, err := build()
		if o != nil {
			if t, terr := o.Total(); terr == nil {
				totalLbl.SetText(money(t))
			}
		}
		if err != nil && o != nil && len(o.Items) > 0 {
			status.SetText(userMessage(err))
		} else {
			status.SetText("")
		}
	}
	prod.OnChanged = update
	for _, e := range []*keyEntry{qty, shipping, fees, discount} {
		e.OnChanged = update
	}
	form := widget.NewForm(
		widget.NewFormItem(tr("col.buyer"), buyer), widget.NewFormItem(tr("payee.email"), email),
		widget.NewFormItem(tr("nav.products"), prod), widget.NewFormItem(tr("orders.qty"), qty),
		widget.NewFormItem(tr("order.shipping"), shipping), widget.NewFormItem(tr("order.fees"), fees),
		widget.NewFormItem(tr("order.discount"), discount), widget.NewFormItem(tr("orders.gateway"), gw),
		widget.NewFormItem(tr("col.total"), totalLbl))
	var f *formDialog
	f = showForm(s.u.win, tr("orders.new"), tr("orders.create"), container.NewVBox(form, status),
		[]*keyEntry{buyer, email, qty, shipping, fees, discount}, func() {
			o, err := build()
			if err != nil {
				status.SetText(userMessage(err))
				return
			}
			f.confirm.Disable()
			go func() {
				pay, err := s.u.svc.Orders.CreateOrder(context.Background(), s.u.actor, o, gw.Selected)
				runOnUI(func() {
					f.confirm.Enable()
					if err != nil {
						status.SetText(userMessage(err))
						return
					}
					f.Close()
					s.reload()
					if pay.URL != "" {
						link := widget.NewLabel(pay.URL)
						link.Wrapping = fyne.TextWrapBreak
						content := container.NewVBox(widget.NewLabel(tr("orders.link.help")), link,
							copyButton(func() fyne.Window { return s.u.win }, func() string { return pay.URL }))
						dialog.ShowCustom(tr("orders.link"), tr("action.close"), content, s.u.win)
					}
				})
			}()
		})
	f.d.Resize(fyne.NewSize(520, 560))
}

package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// productsScreen lists and edits products.
type productsScreen struct {
	u     *UI
	root  fyne.CanvasObject
	table *dataTable[domain.Product]
	names payeeNames
}

func newProductsScreen(u *UI) *productsScreen {
	s := &productsScreen{u: u}
	st := u.svc.Store
	type row = domain.Product
	p := newPager(func(ctx context.Context, off, lim int) ([]row, error) {
		var out []row
		err := st.Read(ctx, func(tx domain.ReadTx) error {
			var err error
			out, err = tx.ListProducts(domain.Page{Offset: off, Limit: lim})
			for _, p := range out {
				s.names.lookup(tx, p.PayeeID)
			}
			return err
		})
		return out, err
	}, func(ctx context.Context) (int, error) {
		var n int
		err := st.Read(ctx, func(tx domain.ReadTx) error {
			ps, err := tx.ListProducts(domain.Page{})
			n = len(ps)
			return err
		})
		return n, err
	})
	p.setOnError(func(err error) { showError(u.win, err) })
	s.table = newDataTable(p, []column[row]{
		{tr("product.sku"), 0, func(p row) string { return p.SKU }},
		{tr("col.name"), 0, func(p row) string { return p.Name }},
		{tr("product.price"), 0, func(p row) string { return money(p.Price) }},
		{tr("product.payee"), 200, func(p row) string {
			if p.PayeeID == 0 {
				return tr("product.own")
			}
			s.names.mu.Lock()
			defer s.names.mu.Unlock()
			return s.names.names[p.PayeeID]
		}},
		{tr("product.active"), 0, func(p row) string {
			if p.Active {
				return tr("yes")
			}
			return tr("no")
		}},
	}, nil)
	// SKUs, names, prices in full; the maker's name (looked up after the
	// rows arrive) takes the rest of the width.
	s.table.shareWidth(payeesBudget, 3, 200, []colStyle{{fit: true}, {fit: true}, {fit: true}, {}, {fit: true}})
	s.table.onSelect = func(p row) { s.edit(&p) }
	add := widget.NewButtonWithIcon(tr("product.add"), theme.ContentAddIcon(), func() { s.edit(nil) })
	add.Importance = widget.HighImportance
	u.guard(add, domain.PermManagePayees)
	if u.svc.Products == nil {
		add.Disable()
	}
	imp := u.importButton("products", domain.PermManagePayees, s.reload)
	s.root = container.NewBorder(container.NewPadded(container.NewHBox(layoutSpacer(), imp, add)), nil, nil, nil, s.table.withEmpty(tr("empty.products")))
	return s
}

func (s *productsScreen) view() fyne.CanvasObject { return s.root }
func (s *productsScreen) reload()                 { s.table.Reload() }
func (s *productsScreen) focusSearch()            {}

func (s *productsScreen) edit(p *domain.Product) {
	editable := s.u.can(domain.PermManagePayees) && s.u.svc.Products != nil
	if p == nil {
		p = &domain.Product{Active: true}
	}
	sku, name, price := newKeyEntry(), newKeyEntry(), newKeyEntry()
	sku.SetText(p.SKU)
	name.SetText(p.Name)
	if p.Price > 0 {
		price.SetText(money(p.Price))
	}
	var payees []domain.Payee
	_ = s.u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		payees, err = tx.ListPayees(domain.Page{Limit: 1000})
		return err
	})
	opts := []string{tr("product.own")}
	for _, pe := range payees {
		opts = append(opts, pe.Name)
	}
	payee := widget.NewSelect(opts, nil)
	payee.SetSelected(opts[0])
	for _, pe := range payees {
		if pe.ID == p.PayeeID {
			payee.SetSelected(pe.Name)
		}
	}
	active := widget.NewCheck(tr("product.active"), nil)
	active.SetChecked(p.Active)
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	form := widget.NewForm(widget.NewFormItem(tr("product.sku"), sku), widget.NewFormItem(tr("col.name"), name),
		widget.NewFormItem(tr("product.price"), price), widget.NewFormItem(tr("product.payee"), payee),
		widget.NewFormItem("", active))
	var f *formDialog
	f = showForm(s.u.win, tr("product.edit"), tr("action.save"), container.NewVBox(form, status), []*keyEntry{sku, name, price}, func() {
		np := *p
		np.SKU, np.Name, np.Active = strings.TrimSpace(sku.Text), strings.TrimSpace(name.Text), active.Checked
		if np.Name == "" {
			status.SetText(invalidField(tr("col.name"), "form.required", nil).Error())
			return
		}
		v, err := parseAmount(tr("product.price"), price.Text)
		if err != nil {
			status.SetText(userMessage(err))
			return
		}
		np.Price = v
		np.PayeeID = 0
		for _, pe := range payees {
			if pe.Name == payee.Selected {
				np.PayeeID = pe.ID
			}
		}
		f.confirm.Disable()
		go func() {
			err := s.u.svc.Products.SaveProduct(context.Background(), s.u.actor, &np)
			runOnUI(func() {
				f.confirm.Enable()
				if err != nil {
					status.SetText(userMessage(err))
					return
				}
				f.Close()
				s.reload()
			})
		}()
	})
	if !editable {
		f.confirm.Disable()
	}
	f.d.Resize(fyne.NewSize(480, 380))
}

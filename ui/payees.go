package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// banks is the bank picker: the banks and e-wallets payouts go to, with
// their account-number rules (domain.Banks).
var banks = domain.Banks()

func bankLabel(code string) string { return domain.ChannelName(code) }

// checkAccount checks an account number for the chosen bank and says, in
// the desktop's language and naming the field, what is wrong with it.
func checkAccount(bank, number string) (string, error) {
	label := tr("payee.account")
	acct, err := domain.CheckAccountNumber(bank, number)
	var ae *domain.AccountError
	if !errors.As(err, &ae) {
		return acct, err
	}
	name := domain.ChannelName(ae.Bank)
	digits := strconv.Itoa(ae.Min)
	if ae.Min != ae.Max {
		digits = trf("payee.account.range", map[string]any{"Min": ae.Min, "Max": ae.Max})
	}
	switch ae.Problem {
	case domain.AccountEmpty:
		return "", invalidField(label, "form.required", nil)
	case domain.AccountUnknownBank:
		return "", invalidField(tr("payee.bank"), "payee.bank.missing", nil)
	case domain.AccountNotDigits:
		return "", invalidField(label, "payee.account.digits", map[string]any{"Bank": name})
	case domain.AccountLength:
		return "", invalidField(label, "payee.account.length", map[string]any{"Bank": name, "Digits": digits, "Got": ae.Digits})
	default:
		return "", invalidField(label, "payee.account.phone", map[string]any{"Wallet": name, "Digits": digits})
	}
}

// payeesScreen lists payees with masked accounts and edits them.
type payeesScreen struct {
	u     *UI
	root  fyne.CanvasObject
	table *dataTable[domain.Payee]
	// trust is every payee's trust rule (loaded with the table).
	trust     map[int64]domain.TrustRule
	wg        chanWaiter
	trustOpen *formDialog // the trust rule dialog last opened (tests)
}

// payeesBudget is the width the payees table has at 1366x768 beside the
// navigation (TestNoCutOffLabels checks it).
const payeesBudget = 1150

func newPayeesScreen(u *UI) *payeesScreen {
	s := &payeesScreen{u: u, trust: map[int64]domain.TrustRule{}}
	st := u.svc.Store
	p := newPager(func(ctx context.Context, off, lim int) ([]domain.Payee, error) {
		var out []domain.Payee
		err := st.Read(ctx, func(tx domain.ReadTx) error {
			var err error
			out, err = tx.ListPayees(domain.Page{Offset: off, Limit: lim})
			return err
		})
		return out, err
	}, func(ctx context.Context) (int, error) {
		var n int
		err := st.Read(ctx, func(tx domain.ReadTx) error {
			ps, err := tx.ListPayees(domain.Page{})
			n = len(ps)
			return err
		})
		return n, err
	})
	p.setOnError(func(err error) { showError(u.win, err) })
	s.table = newDataTable(p, []column[domain.Payee]{
		{tr("col.name"), 0, func(p domain.Payee) string { return p.Name }},
		{tr("payee.bank"), 0, func(p domain.Payee) string { return bankLabel(p.Channel) }},
		{tr("payee.account"), 0, func(p domain.Payee) string { return domain.MaskAccount(p.AccountNumber) }},
		{tr("payee.holder"), 0, func(p domain.Payee) string { return p.AccountHolder }},
		{tr("payee.verified"), 0, func(p domain.Payee) string { return tr("verify." + string(p.Verification)) }},
		{tr("payee.limit"), 0, func(p domain.Payee) string {
			if p.DailyLimit == 0 {
				return tr("payee.limit.default")
			}
			return money(p.DailyLimit)
		}},
		{tr("col.trust"), 210, func(p domain.Payee) string { return s.trustCell(p.ID) }},
	}, nil)
	// Names and holders as long as the shop's longest (the demo's makers
	// have long ones); the trust column gives up the room.
	s.table.shareWidth(payeesBudget, 6, 150, []colStyle{{fit: true}, {fit: true}, {fit: true}, {fit: true}, {fit: true}, {fit: true}, {}})
	s.table.onSelect = func(p domain.Payee) { s.edit(&p) }
	add := widget.NewButtonWithIcon(tr("payee.add"), theme.ContentAddIcon(), func() { s.edit(nil) })
	add.Importance = widget.HighImportance
	u.guard(add, domain.PermManagePayees)
	if u.svc.Payees == nil {
		add.Disable()
	}
	help := widget.NewLabel(tr("payee.help"))
	help.Importance = widget.LowImportance
	imp := u.importButton("payees", domain.PermManagePayees, s.reload)
	s.root = container.NewBorder(container.NewPadded(container.NewBorder(nil, nil, nil, container.NewHBox(imp, add), help)), nil, nil, nil, s.table.withEmpty(tr("empty.payees")))
	s.reloadTrust()
	return s
}

func (s *payeesScreen) view() fyne.CanvasObject { return s.root }
func (s *payeesScreen) reload() {
	s.table.Reload()
	s.reloadTrust()
}

// reloadTrust reads the trust rules for the table's column.
func (s *payeesScreen) reloadTrust() {
	s.wg.add()
	go func() {
		defer s.wg.done()
		rules := s.u.loadTrust(context.Background())
		runOnUI(func() { s.trust = rules; s.table.table.Refresh() })
	}()
}

// trustCell is the payee's trust rule in a few words for the table.
func (s *payeesScreen) trustCell(payeeID int64) string {
	r, ok := s.trust[payeeID]
	switch {
	case !ok:
		return tr("trust.cell.none")
	case r.Active:
		return trf("trust.cell.on", map[string]any{"Amount": money(r.MaxAmount), "N": r.MinPayouts})
	}
	return trf("trust.cell.off", map[string]any{"Why": tr("trust.short." + string(r.OffReason))})
}
func (s *payeesScreen) focusSearch() {}

// edit opens the payee form (nil: a new payee).
func (s *payeesScreen) edit(p *domain.Payee) {
	editable := s.u.can(domain.PermManagePayees) && s.u.svc.Payees != nil
	isNew := p == nil
	if isNew {
		p = &domain.Payee{Verification: domain.VerifyNone}
	}
	name, email, acct, limit := newKeyEntry(), newKeyEntry(), newKeyEntry(), newKeyEntry()
	name.SetText(p.Name)
	email.SetText(p.Email)
	if isNew {
		acct.SetPlaceHolder(tr("payee.account.placeholder"))
	} else {
		acct.SetPlaceHolder(domain.MaskAccount(p.AccountNumber) + " " + tr("payee.account.keep"))
	}
	if p.DailyLimit > 0 {
		limit.SetText(money(p.DailyLimit))
	}
	labels := make([]string, len(banks))
	for i, b := range banks {
		labels[i] = b.Name
	}
	bank := widget.NewSelect(labels, nil)
	if p.Channel != "" {
		bank.SetSelected(bankLabel(p.Channel))
	}
	bankCode := func() string {
		for _, b := range banks {
			if b.Name == bank.Selected {
				return b.Code
			}
		}
		return ""
	}
	holder := widget.NewLabel(p.AccountHolder)
	verify := p.Verification
	verifyLbl := widget.NewLabel(tr("verify." + string(verify)))
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	status.Wrapping = fyne.TextWrapWord
	var rules []domain.PayoutRule
	_ = s.u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		rules, err = tx.ListPayoutRules()
		return err
	})
	ruleNames := []string{tr("payee.rule.none")}
	for _, r := range rules {
		ruleNames = append(ruleNames, r.Name)
	}
	rule := widget.NewSelect(ruleNames, nil)
	rule.SetSelected(ruleNames[0])
	for _, r := range rules {
		if r.ID == p.PayoutRuleID {
			rule.SetSelected(r.Name)
		}
	}
	check := widget.NewButtonWithIcon(tr("payee.check"), theme.SearchIcon(), nil)
	check.OnTapped = func() {
		number := strings.TrimSpace(acct.Text)
		if number == "" {
			number = p.AccountNumber
		}
		if number == "" || bankCode() == "" {
			status.SetText(tr("payee.check.missing"))
			return
		}
		number, err := checkAccount(bankCode(), number)
		if err != nil {
			status.SetText(userMessage(err))
			return
		}
		if s.u.svc.Accounts == nil {
			status.SetText(userMessage(errNotAvailable))
			return
		}
		check.Disable()
		holder.SetText(tr("payee.checking"))
		code := bankCode()
		go func() {
			info, err := s.u.svc.Accounts.ValidateAccount(context.Background(), code, number)
			runOnUI(func() {
				check.Enable()
				if err != nil {
					holder.SetText("")
					status.SetText(userMessage(err))
					return
				}
				if !info.Valid {
					verify = domain.VerifyFailed
					holder.SetText(tr("payee.check.notfound"))
				} else {
					holder.SetText(info.HolderName)
					verify = domain.VerifyOK
					if !namesMatch(info.HolderName, name.Text) {
						verify = domain.VerifyMismatch
					}
				}
				verifyLbl.SetText(tr("verify." + string(verify)))
			})
		}()
	}
	form := widget.NewForm(
		widget.NewFormItem(tr("col.name"), name),
		widget.NewFormItem(tr("payee.bank"), bank),
		widget.NewFormItem(tr("payee.account"), container.NewBorder(nil, nil, nil, check, acct)),
		widget.NewFormItem(tr("payee.holder"), holder),
		widget.NewFormItem(tr("payee.verified"), verifyLbl),
		widget.NewFormItem(tr("payee.email"), email),
		widget.NewFormItem(tr("payee.rule"), rule),
		widget.NewFormItem(tr("payee.limit"), limit),
	)
	content := container.NewVBox(form, status)
	title := tr("payee.edit")
	if isNew {
		title = tr("payee.add")
	}
	if !editable {
		content.Add(widget.NewLabel(tr("action.blocked.role")))
	}
	var f *formDialog
	if !isNew && !p.Erased && s.u.svc.Personal != nil {
		id, who := p.ID, p.Name
		erase := widget.NewButtonWithIcon(tr("payee.erase"), theme.DeleteIcon(), func() { s.erase(f, status, id, who) })
		erase.Importance = widget.DangerImportance
		s.u.guard(erase, domain.PermErasePersonal)
		content.Add(container.NewHBox(erase))
	}
	if !isNew && !p.Erased && s.u.svc.Trust != nil {
		cur := *p
		content.Add(container.NewHBox(widget.NewButton(tr("trust.button"), func() { s.trustDialog(cur) })))
	}
	f = showForm(s.u.win, title, tr("action.save"), content, []*keyEntry{name, acct, email, limit}, func() {
		np := *p
		np.Name = strings.TrimSpace(name.Text)
		np.Email = strings.TrimSpace(email.Text)
		np.Channel = bankCode()
		if np.Name == "" {
			status.SetText(invalidField(tr("col.name"), "form.required", nil).Error())
			return
		}
		if np.Channel == "" {
			status.SetText(invalidField(tr("payee.bank"), "payee.bank.missing", nil).Error())
			return
		}
		// A new number is checked; a kept one is checked again when the bank
		// changes (a BCA number is no GoPay account).
		if a := strings.TrimSpace(acct.Text); a != "" || np.Channel != p.Channel {
			if a == "" {
				a = p.AccountNumber
			}
			checked, err := checkAccount(np.Channel, a)
			if err != nil {
				status.SetText(userMessage(err))
				return
			}
			np.AccountNumber = checked
		}
		if np.Email != "" && !strings.Contains(np.Email, "@") {
			status.SetText(invalidField(tr("payee.email"), "payee.email.invalid", nil).Error())
			return
		}
		np.AccountHolder = holder.Text
		np.Verification = verify
		np.PayoutRuleID = 0
		for _, r := range rules {
			if r.Name == rule.Selected {
				np.PayoutRuleID = r.ID
			}
		}
		np.DailyLimit = 0
		if strings.TrimSpace(limit.Text) != "" {
			v, err := parseAmount(tr("payee.limit"), limit.Text)
			if err != nil {
				status.SetText(userMessage(err))
				return
			}
			np.DailyLimit = v
		}
		f.confirm.Disable()
		go func() {
			err := s.u.svc.Payees.SavePayee(context.Background(), s.u.actor, &np)
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
	if !s.u.can(domain.PermManagePayees) || s.u.svc.Accounts == nil {
		check.Disable()
	}
	f.d.Resize(fyne.NewSize(560, 520))
}

// erase asks for confirmation, then erases the payee's personal data through
// the security service (owner only, audited; refused while money is owed).
func (s *payeesScreen) erase(f *formDialog, status *widget.Label, id int64, name string) {
	dialog.ShowConfirm(tr("payee.erase"), trf("payee.erase.confirm", map[string]any{"Name": name}), func(ok bool) {
		if !ok {
			return
		}
		go func() {
			err := s.u.svc.Personal.ErasePayee(context.Background(), s.u.actor, id)
			runOnUI(func() {
				if err != nil {
					status.SetText(userMessage(err))
					return
				}
				f.Close()
				s.reload()
				showToast(s.u.win, tr("payee.erased"))
			})
		}()
	}, s.u.win)
}

// namesMatch compares holder names the way banks print them: case and
// punctuation ignored, and a bank's shortened name accepted when every word
// it has starts a word of the payee's name.
func namesMatch(holder, name string) bool {
	norm := func(s string) []string {
		s = strings.ToUpper(s)
		s = strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' || r == ' ' {
				return r
			}
			return ' '
		}, s)
		return strings.Fields(s)
	}
	h, n := norm(holder), norm(name)
	if len(h) == 0 || len(n) == 0 {
		return false
	}
	for _, hw := range h {
		found := false
		for _, nw := range n {
			if strings.HasPrefix(nw, hw) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

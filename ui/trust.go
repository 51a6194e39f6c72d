package ui

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// trustText says in one line what a payee's trust rule does now.
func trustText(r *domain.TrustRule, loc func(domain.TrustRule) string) string {
	switch {
	case r == nil:
		return tr("trust.none")
	case r.Active:
		return trf("trust.on", map[string]any{"Amount": money(r.MaxAmount), "N": r.MinPayouts})
	default:
		return trf("trust.off", map[string]any{"Amount": money(r.MaxAmount), "Why": tr("trust.off." + string(r.OffReason)), "When": loc(*r)})
	}
}

// loadTrust reads every trust rule by payee (off the UI goroutine).
func (u *UI) loadTrust(ctx context.Context) map[int64]domain.TrustRule {
	out := map[int64]domain.TrustRule{}
	if u.svc.Trust == nil || !u.signedIn {
		return out
	}
	rs, err := u.svc.Trust.TrustRules(ctx, u.actor)
	if err != nil {
		return out
	}
	for _, r := range rs {
		out[r.PayeeID] = r
	}
	return out
}

// trustDialog shows a payee's trust rule and lets the owner set or switch
// it off: "auto-send to this payee up to <amount> after <n> successful
// payouts to the same account". The rule lifts only the shop's approval
// limits; an account change or a risk flag switches it off.
func (s *payeesScreen) trustDialog(p domain.Payee) {
	u := s.u
	var cur *domain.TrustRule
	if r, ok := s.trust[p.ID]; ok {
		cur = &r
	}
	loc := func(r domain.TrustRule) string { return dateTime(r.OffAt, u.svc.Location) }
	state := widget.NewLabel(trustText(cur, loc))
	state.Wrapping = fyne.TextWrapWord
	state.TextStyle.Bold = true
	help := widget.NewLabel(trf("trust.help", map[string]any{"Payee": p.Name, "Account": bankLabel(p.Channel) + " " + domain.MaskAccount(p.AccountNumber)}))
	help.Wrapping = fyne.TextWrapWord
	amount, payouts := newKeyEntry(), newKeyEntry()
	amount.SetPlaceHolder("Rp500.000")
	payouts.SetText("3")
	if cur != nil {
		amount.SetText(money(cur.MaxAmount))
		payouts.SetText(strconv.Itoa(cur.MinPayouts))
	}
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	status.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem(tr("trust.amount"), amount), widget.NewFormItem(tr("trust.payouts"), payouts))
	allowed := u.can(domain.PermChangeSettings) && u.svc.Trust != nil
	content := container.NewVBox(state, help, form, status)
	var f *formDialog
	off := widget.NewButton(tr("trust.switchoff"), func() {
		s.saveTrust(f, status, func(ctx context.Context) error { return u.svc.Trust.SwitchOffTrustRule(ctx, u.actor, p.ID) })
	})
	off.Importance = widget.DangerImportance
	if cur == nil || !cur.Active || !allowed {
		off.Disable()
	}
	content.Add(off)
	if !allowed {
		note := widget.NewLabel(tr("trust.owneronly"))
		note.Importance = widget.LowImportance
		content.Add(note)
	}
	f = showForm(u.win, trf("trust.title", map[string]any{"Payee": p.Name}), tr("trust.save"), container.NewGridWrap(fyne.NewSize(520, content.MinSize().Height+60), content),
		[]*keyEntry{amount, payouts}, func() {
			max, err := parseAmount(tr("trust.amount"), amount.Text)
			if err != nil {
				status.SetText(userMessage(err))
				return
			}
			n, err := strconv.Atoi(strings.TrimSpace(payouts.Text))
			if err != nil || n < 1 || n > domain.MaxTrustPayouts {
				status.SetText(trf("trust.payouts.bad", map[string]any{"Max": domain.MaxTrustPayouts}))
				return
			}
			s.saveTrust(f, status, func(ctx context.Context) error {
				_, err := u.svc.Trust.SetTrustRule(ctx, u.actor, p.ID, max, n)
				return err
			})
		})
	if !allowed {
		f.confirm.Disable()
	}
	s.trustOpen = f
}

// saveTrust runs a trust rule change in the background and closes the
// dialog when it worked.
func (s *payeesScreen) saveTrust(f *formDialog, status *widget.Label, do func(ctx context.Context) error) {
	f.confirm.Disable()
	s.wg.add()
	go func() {
		defer s.wg.done()
		err := do(context.Background())
		runOnUI(func() {
			f.confirm.Enable()
			if err != nil {
				status.SetText(userMessage(err))
				return
			}
			f.Close()
			s.reload()
			showToast(s.u.win, tr("trust.saved"))
		})
	}()
}

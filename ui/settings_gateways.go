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

// DOKU and iPaymu settings: the same keys the wizard writes
// (gateway.<code>.member_id, key1, key2), secrets kept by the vault.
var dokuFields = []settingField{
	{"gateway.doku.member_id", "settings.doku.client", false, domain.PermManageKeys},
	{"gateway.doku.key1", "settings.doku.key", true, domain.PermManageKeys},
	{"gateway.doku.key2", "settings.doku.private", true, domain.PermManageKeys},
	{"gateway.doku.customer_number", "settings.doku.customer", false, domain.PermManageKeys},
	{"gateway.ipaymu.member_id", "settings.ipaymu.va", false, domain.PermManageKeys},
	{"gateway.ipaymu.key1", "settings.ipaymu.key", true, domain.PermManageKeys},
}

// dokuIpaymuBox is the DOKU / iPaymu section: the fields, Test connection
// for each with the keys as typed, and what iPaymu does not do.
func (s *settingsScreen) dokuIpaymuBox() fyne.CanvasObject {
	note := widget.NewLabel(tr("settings.ipaymu.payouts"))
	note.Wrapping = fyne.TextWrapWord
	form := s.fieldsFormWith(dokuFields, func(e []*widget.Entry) fyne.CanvasObject {
		result := widget.NewLabel("")
		result.Wrapping = fyne.TextWrapWord
		test := func(gateway string, keys map[string]string) {
			if s.u.svc.Gateways == nil {
				result.SetText(userMessage(errNotAvailable))
				return
			}
			if strings.TrimSpace(keys["key1"]) == "" {
				result.Importance = widget.DangerImportance
				result.SetText(invalidField(tr("wizard.gw.key1"), "wizard.gw.key.required", nil).Error())
				return
			}
			result.Importance = widget.MediumImportance
			result.SetText(tr("wizard.gw.testing"))
			go func() {
				err := s.u.svc.Gateways.TestConnection(context.Background(), gateway, keys)
				runOnUI(func() { showConnectionResult(result, err) })
			}()
		}
		doku := widget.NewButtonWithIcon(tr("settings.doku.test"), theme.ConfirmIcon(), func() {
			test("doku", map[string]string{"member_id": e[0].Text, "key1": e[1].Text, "key2": e[2].Text})
		})
		ipaymu := widget.NewButtonWithIcon(tr("settings.ipaymu.test"), theme.ConfirmIcon(), func() {
			test("ipaymu", map[string]string{"member_id": e[4].Text, "key1": e[5].Text})
		})
		if !s.u.can(domain.PermManageKeys) || s.u.svc.Gateways == nil {
			doku.Disable()
			ipaymu.Disable()
		}
		return container.NewVBox(container.NewHBox(doku, ipaymu), result)
	})
	return container.NewVBox(form, note)
}

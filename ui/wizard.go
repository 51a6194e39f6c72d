package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// Indonesia's three time zones, shown by their everyday names.
var timeZones = []struct{ label, name string }{
	{"WIB (Jakarta, Sumatra, Jawa, Kalimantan Barat/Tengah)", "Asia/Jakarta"},
	{"WITA (Bali, NTB, NTT, Sulawesi, Kalimantan Selatan/Timur)", "Asia/Makassar"},
	{"WIT (Maluku, Papua)", "Asia/Jayapura"},
}

// wizard is the first-run setup. Its first page offers the demo shop as one
// click; the rest sets up a real shop: name and zone, the owner with TOTP,
// then the gateway.
type wizard struct {
	u        *UI
	shop     string
	zone     string
	owner    domain.Actor
	password string
}

func (u *UI) showWizard() {
	w := &wizard{u: u, zone: timeZones[0].name}
	w.welcome()
}

// wizardSteps is how many steps setting up a shop takes (the welcome page
// is not one of them).
const wizardSteps = 4

// step is a page title with the step counter: "Step 2 of 4: Owner account".
func step(n int, titleKey string) string {
	return trf("wizard.step", map[string]any{"N": n, "Of": wizardSteps, "Title": tr(titleKey)})
}

func (w *wizard) page(title string, body fyne.CanvasObject, buttons ...fyne.CanvasObject) {
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	bar := container.NewHBox(append([]fyne.CanvasObject{layoutSpacer()}, buttons...)...)
	card := container.NewBorder(container.NewVBox(head, widget.NewSeparator()), bar, nil, nil, container.NewVScroll(body))
	w.u.win.SetContent(container.NewPadded(container.NewCenter(container.NewGridWrap(fyne.NewSize(640, 520), card))))
}

func (w *wizard) welcome() {
	langSel := widget.NewSelect([]string{"Bahasa Indonesia", "English"}, nil)
	if currentLanguage() == LangIndonesian {
		langSel.SetSelected("Bahasa Indonesia")
	} else {
		langSel.SetSelected("English")
	}
	langSel.OnChanged = func(s string) {
		code := LangEnglish
		if s == "Bahasa Indonesia" {
			code = LangIndonesian
		}
		SetLanguage(code)
		_ = w.u.saveUISetting(SettingLanguage, code)
		w.welcome()
	}
	logo := canvas.NewImageFromResource(w.u.app.Icon())
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(96, 96))
	intro := widget.NewLabel(tr("wizard.intro"))
	intro.Wrapping = fyne.TextWrapWord
	demo := widget.NewButtonWithIcon(tr("wizard.demo"), theme.MediaPlayIcon(), func() {
		w.u.win.SetContent(w.u.busyView(tr("demo.starting")))
		w.u.startDemo()
	})
	demo.Importance = widget.HighImportance
	if w.u.svc.Demo == nil {
		demo.Disable()
	}
	demoNote := widget.NewLabel(tr("wizard.demo.note"))
	demoNote.Wrapping = fyne.TextWrapWord
	real := widget.NewButtonWithIcon(tr("wizard.real"), theme.NavigateNextIcon(), w.shopPage)
	if w.u.svc.Owner == nil {
		real.Disable()
	}
	body := container.NewVBox(logo, intro, widget.NewForm(widget.NewFormItem(tr("wizard.language"), langSel)),
		widget.NewSeparator(), demo, demoNote, widget.NewSeparator(), real)
	w.page(tr("wizard.welcome"), body)
}

func (w *wizard) shopPage() {
	name := widget.NewEntry()
	name.SetPlaceHolder(tr("wizard.shop.placeholder"))
	name.SetText(w.shop)
	labels := make([]string, len(timeZones))
	for i, z := range timeZones {
		labels[i] = z.label
	}
	zone := widget.NewSelect(labels, nil)
	for _, z := range timeZones {
		if z.name == w.zone {
			zone.SetSelected(z.label)
		}
	}
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	next := widget.NewButton(tr("action.next"), func() {
		if strings.TrimSpace(name.Text) == "" {
			status.SetText(invalidField(tr("wizard.shop.name"), "form.required", nil).Error())
			return
		}
		w.shop = strings.TrimSpace(name.Text)
		for _, z := range timeZones {
			if z.label == zone.Selected {
				w.zone = z.name
			}
		}
		w.ownerPage()
	})
	next.Importance = widget.HighImportance
	back := widget.NewButton(tr("action.back"), w.welcome)
	form := widget.NewForm(widget.NewFormItem(tr("wizard.shop.name"), name), widget.NewFormItem(tr("wizard.shop.zone"), zone))
	w.page(step(1, "wizard.shop.title"), container.NewVBox(form, status), back, next)
	w.u.win.Canvas().Focus(name)
}

func (w *wizard) ownerPage() {
	user := newKeyEntry() // nothing prefilled: the demo's owner is not this shop's
	user.SetPlaceHolder(tr("wizard.owner.placeholder"))
	pass := newPasswordKeyEntry()
	pass2 := newPasswordKeyEntry()
	help := widget.NewLabel(tr("wizard.owner.help"))
	help.Wrapping = fyne.TextWrapWord
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	status.Wrapping = fyne.TextWrapWord
	var next *widget.Button
	submit := func() {
		if strings.TrimSpace(user.Text) == "" {
			status.SetText(invalidField(tr("login.user"), "wizard.owner.name.required", nil).Error())
			return
		}
		if pass.Text != pass2.Text {
			status.SetText(invalidField(tr("wizard.owner.repeat"), "wizard.owner.mismatch", nil).Error())
			return
		}
		next.Disable()
		n, p := strings.TrimSpace(user.Text), pass.Text
		go func() {
			enr, err := w.u.svc.Owner.BeginOwner(context.Background(), n, p)
			runOnUI(func() {
				next.Enable()
				if err != nil {
					status.SetText(ownerError(err))
					return
				}
				w.password = p
				w.totpPage(n, enr)
			})
		}()
	}
	next = widget.NewButton(tr("action.next"), submit)
	next.Importance = widget.HighImportance
	for _, e := range []*keyEntry{user, pass, pass2} {
		e.OnSubmitted = func(string) { submit() }
	}
	form := widget.NewForm(widget.NewFormItem(tr("login.user"), user),
		widget.NewFormItem(tr("login.password"), pass), widget.NewFormItem(tr("wizard.owner.repeat"), pass2))
	w.page(step(2, "wizard.owner.title"), container.NewVBox(help, form, status), widget.NewButton(tr("action.back"), w.shopPage), next)
	w.u.win.Canvas().Focus(user)
}

func (w *wizard) totpPage(name string, enr Enrolment) {
	help := widget.NewLabel(tr("wizard.totp.help"))
	help.Wrapping = fyne.TextWrapWord
	var qr fyne.CanvasObject = widget.NewLabel("")
	if enr.QR != nil {
		img := canvas.NewImageFromImage(enr.QR)
		img.FillMode = canvas.ImageFillContain
		img.ScaleMode = canvas.ImageScalePixels
		img.SetMinSize(fyne.NewSize(200, 200))
		qr = img
	}
	secret := widget.NewLabelWithStyle(enr.Secret, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
	codes := widget.NewLabelWithStyle(strings.Join(enr.RecoveryCodes, "\n"), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	codesHelp := widget.NewLabel(tr("wizard.totp.recovery"))
	codesHelp.Wrapping = fyne.TextWrapWord
	code := newKeyEntry()
	code.SetPlaceHolder(tr("login.code"))
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	status.Wrapping = fyne.TextWrapWord
	var next *widget.Button
	submit := func() {
		c := strings.TrimSpace(code.Text)
		if c == "" {
			status.SetText(invalidField(tr("login.code"), "wizard.totp.missing", nil).Error())
			return
		}
		next.Disable()
		go func() {
			actor, err := w.u.svc.Owner.FinishOwner(context.Background(), name, w.password, enr, c)
			if err == nil {
				err = w.u.svc.Store.Write(context.Background(), func(tx domain.Tx) error {
					if err := tx.SetSetting(SettingShopName, w.shop); err != nil {
						return err
					}
					return tx.SetSetting(SettingTimeZone, w.zone)
				})
			}
			runOnUI(func() {
				next.Enable()
				if err != nil {
					// The name and password were just set: what can be wrong
					// here is the code.
					if errors.Is(err, ErrBadLogin) || errors.Is(err, ErrBadCode) {
						status.SetText(tr("wizard.totp.badcode"))
					} else {
						status.SetText(userMessage(err))
					}
					code.SetText("")
					return
				}
				w.owner = actor
				w.gatewayPage()
			})
		}()
	}
	next = widget.NewButton(tr("action.next"), submit)
	next.Importance = widget.HighImportance
	code.OnSubmitted = func(string) { submit() }
	left := container.NewVBox(container.NewCenter(qr), secret)
	right := container.NewVBox(codesHelp, codes, copyButton(func() fyne.Window { return w.u.win }, func() string { return strings.Join(enr.RecoveryCodes, "\n") }))
	body := container.NewVBox(help, container.NewGridWithColumns(2, left, right), widget.NewForm(widget.NewFormItem(tr("login.code"), code)), status)
	w.page(step(3, "wizard.totp.title"), body, next)
	w.u.win.Canvas().Focus(code)
}

// gatewayPage chooses the sandbox or real gateway keys. The keys are saved
// through the settings service (encrypted below the UI).
func (w *wizard) gatewayPage() {
	choice := widget.NewRadioGroup([]string{tr("wizard.gw.sandbox"), tr("wizard.gw.real")}, nil)
	choice.SetSelected(tr("wizard.gw.sandbox"))
	gw := widget.NewSelect([]string{"Xendit", "Midtrans / Iris", "DOKU", "iPaymu", "H2H"}, nil)
	gw.SetSelected("Xendit")
	key1, key2, key3 := widget.NewPasswordEntry(), widget.NewPasswordEntry(), widget.NewEntry()
	key1.SetPlaceHolder(tr("wizard.gw.key1"))
	key2.SetPlaceHolder(tr("wizard.gw.key2"))
	key3.SetPlaceHolder(tr("wizard.gw.key3"))
	member := widget.NewEntry() // H2H suppliers know their resellers by member ID
	member.SetPlaceHolder(tr("wizard.gw.member"))
	member.Hide()
	ipNote := widget.NewLabel(tr("wizard.gw.ipaymu.note"))
	ipNote.Wrapping = fyne.TextWrapWord
	ipNote.Hide()
	var realBox *fyne.Container
	gw.OnChanged = func(v string) {
		wizardGatewayFields(gatewayCode(v), member, key1, key2, key3, ipNote) // wizard_gateways.go
		if realBox != nil {
			// The note wraps only once it has a width: lay out again so
			// its second line is not under the Test connection button.
			realBox.Refresh()
		}
	}
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	keys := func() map[string]string {
		k := map[string]string{"key1": key1.Text, "key2": key2.Text, "url": key3.Text}
		if member.Visible() {
			k["member_id"] = member.Text
		}
		return k
	}
	test := widget.NewButtonWithIcon(tr("wizard.gw.test"), theme.ConfirmIcon(), func() {
		if w.u.svc.Gateways == nil {
			result.SetText(userMessage(errNotAvailable))
			return
		}
		name, k := gatewayCode(gw.Selected), keys()
		if strings.TrimSpace(k["key1"]) == "" && strings.TrimSpace(k["key2"]) == "" {
			result.Importance = widget.DangerImportance
			result.SetText(invalidField(tr("wizard.gw.key1"), "wizard.gw.key.required", nil).Error())
			return
		}
		result.Importance = widget.MediumImportance
		result.SetText(tr("wizard.gw.testing"))
		go func() {
			err := w.u.svc.Gateways.TestConnection(context.Background(), name, k)
			runOnUI(func() { showConnectionResult(result, err) })
		}()
	})
	realBox = container.NewVBox(gw, member, key1, key2, key3, ipNote, test, result)
	realBox.Hide()
	choice.OnChanged = func(s string) {
		if s == tr("wizard.gw.real") {
			realBox.Show()
		} else {
			realBox.Hide()
		}
	}
	finish := widget.NewButton(tr("wizard.finish"), func() {
		if choice.Selected == tr("wizard.gw.real") && w.u.svc.Settings != nil {
			for k, v := range keys() {
				if v != "" {
					if err := w.u.svc.Settings.SaveSetting(context.Background(), w.owner, "gateway."+gatewayCode(gw.Selected)+"."+k, v); err != nil {
						showError(w.u.win, err)
						return
					}
				}
			}
		}
		w.u.ShowMain(w.owner)
	})
	finish.Importance = widget.HighImportance
	help := widget.NewLabel(tr("wizard.gw.help"))
	help.Wrapping = fyne.TextWrapWord
	w.page(step(4, "wizard.gw.title"), container.NewVBox(help, choice, realBox), finish)
}

func gatewayCode(label string) string {
	switch label {
	case "Midtrans / Iris":
		return "midtrans"
	case "H2H":
		return "h2h"
	case "DOKU":
		return "doku"
	case "iPaymu":
		return "ipaymu"
	}
	return "xendit"
}

// showConnectionResult puts a connection test's answer in words: connected,
// connected with a test-mode key (a warning), or what went wrong.
func showConnectionResult(l *widget.Label, err error) {
	switch {
	case err == nil:
		l.Importance = widget.SuccessImportance
		l.SetText(tr("wizard.gw.ok"))
	case errors.Is(err, ErrTestMode):
		l.Importance = widget.WarningImportance
		l.SetText(userMessage(err))
	default:
		l.Importance = widget.DangerImportance
		l.SetText(userMessage(err))
	}
}

// ownerError words what went wrong creating the owner account.
func ownerError(err error) string {
	if errors.Is(err, domain.ErrDuplicate) {
		return tr("wizard.owner.exists")
	}
	return userMessage(err)
}

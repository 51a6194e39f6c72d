package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// showLogin shows the login form; locked says the session was locked
// (auto-lock or the Lock button) rather than just opened.
func (u *UI) showLogin(locked bool) {
	name := newKeyEntry()
	name.SetPlaceHolder(tr("login.user"))
	if locked {
		name.SetText(u.actor.Name)
	}
	pass := newPasswordKeyEntry()
	pass.SetPlaceHolder(tr("login.password"))
	code := newKeyEntry()
	code.SetPlaceHolder(tr("login.code"))
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	status.Wrapping = fyne.TextWrapWord
	var btn *widget.Button
	submit := func() {
		if name.Text == "" || pass.Text == "" {
			status.SetText(tr("login.missing"))
			return
		}
		btn.Disable()
		status.SetText("")
		n, p, c := name.Text, pass.Text, code.Text
		go func() {
			actor, err := u.svc.Auth.Login(context.Background(), n, p, c)
			runOnUI(func() {
				btn.Enable()
				if err != nil {
					pass.SetText("")
					code.SetText("")
					status.SetText(userMessage(err))
					return
				}
				u.ShowMain(actor)
			})
		}()
	}
	btn = widget.NewButton(tr("login.submit"), submit)
	btn.Importance = widget.HighImportance
	for _, e := range []*keyEntry{name, pass, code} {
		e.OnSubmitted = func(string) { submit() }
	}
	heading := tr("login.title")
	if locked {
		heading = tr("login.locked")
	}
	logo := canvas.NewImageFromResource(u.app.Icon())
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(72, 72))
	form := container.NewVBox(
		logo,
		widget.NewLabelWithStyle(heading, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		name, pass, code, btn, status,
	)
	if u.demo != nil && u.demo.Password != "" {
		form.Add(widget.NewLabel(trf("demo.loginhint", map[string]any{"User": u.demo.Actor.Name, "Password": u.demo.Password})))
	}
	box := container.NewGridWrap(fyne.NewSize(360, form.MinSize().Height+40), form)
	u.win.SetContent(container.NewCenter(box))
	if locked {
		u.win.Canvas().Focus(pass)
	} else {
		u.win.Canvas().Focus(name)
	}
}

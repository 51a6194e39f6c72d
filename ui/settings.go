package ui

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// settingField is one stored setting shown as an entry.
type settingField struct {
	key    string
	label  string
	secret bool // masked; saved encrypted by the settings service
	perm   domain.Permission
}

// fieldKind is what a setting holds, checked before it is saved.
type fieldKind int

const (
	textField   fieldKind = iota
	amountField           // rupiah, as people type it
	countField            // a whole number, 0 or more
)

// kind says what a setting holds, from its key.
func (f settingField) kind() fieldKind {
	switch {
	case strings.HasPrefix(f.key, "limits."), f.key == "aml.single_limit", f.key == "aml.daily_payee_limit":
		return amountField
	case f.key == "aml.velocity_max":
		return countField
	}
	return textField
}

// checkField reads what was typed into a setting's box: an amount is
// checked and saved as it is shown ("Rp1.000.000"), a count as digits.
func checkField(f settingField, text string) (string, error) {
	label := tr(f.label)
	switch f.kind() {
	case amountField:
		if strings.TrimSpace(text) == "" {
			return "", nil
		}
		v, err := parseAmount(label, text)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(int64(v), 10), nil
	case countField:
		t := strings.TrimSpace(text)
		if t == "" {
			return "", nil
		}
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return "", invalidField(label, "settings.count.invalid", nil)
		}
		return strconv.Itoa(n), nil
	}
	return text, nil
}

// checkChoice refuses a value that is not one of a listed setting's
// choices; empty keeps the default.
func checkChoice(f settingField, choices []string, v string) error {
	if len(choices) == 0 || v == "" {
		return nil
	}
	for _, c := range choices {
		if v == c {
			return nil
		}
	}
	return invalidField(tr(f.label), "settings.choice.invalid", map[string]any{"Choices": strings.Join(choices, ", ")})
}

// settingGroups are the settings sections, with the permission to change them.
var settingGroups = []struct {
	title  string
	fields []settingField
}{
	{"settings.gateways", []settingField{
		{"gateway.xendit.key1", "settings.xendit.key", true, domain.PermManageKeys},
		{"gateway.midtrans.key1", "settings.midtrans.key", true, domain.PermManageKeys},
		{"gateway.midtrans.key2", "settings.iris.key", true, domain.PermManageKeys},
		{"gateway.iris.key_creator", "settings.iris.creator", true, domain.PermManageKeys},
		{"gateway.iris.key_otp", "settings.iris.otp", true, domain.PermManageKeys},
		{"gateway.h2h.url", "settings.h2h.url", false, domain.PermManageKeys},
		{"gateway.h2h.member_id", "settings.h2h.member", false, domain.PermManageKeys},
		{"gateway.h2h.preset", "settings.h2h.preset", false, domain.PermManageKeys},
		{"gateway.h2h.key1", "settings.h2h.password", true, domain.PermManageKeys},
		{"gateway.h2h.key2", "settings.h2h.pin", true, domain.PermManageKeys},
	}},
	{"settings.limits", []settingField{
		{"limits.per_transfer", "settings.limit.auto", false, domain.PermChangeSettings},
		{"limits.payee_daily", "settings.limit.daily", false, domain.PermChangeSettings},
		{"limits.low_balance", "settings.limit.lowbalance", false, domain.PermChangeSettings},
	}},
	{"settings.aml", []settingField{
		{"aml.single_limit", "settings.aml.large", false, domain.PermChangeSettings},
		{"aml.daily_payee_limit", "settings.aml.daily", false, domain.PermChangeSettings},
		{"aml.velocity_max", "settings.aml.velocity", false, domain.PermChangeSettings},
	}},
	{"settings.smtp", []settingField{
		{"smtp.host", "settings.smtp.host", false, domain.PermChangeSettings},
		{"smtp.user", "settings.smtp.user", false, domain.PermChangeSettings},
		{"smtp.password", "settings.smtp.password", true, domain.PermChangeSettings},
		{"smtp.from", "settings.smtp.from", false, domain.PermChangeSettings},
	}},
}

// settingsScreen has display preferences (anyone) and shop settings (by role).
type settingsScreen struct {
	u    *UI
	root fyne.CanvasObject
	acc  *widget.Accordion
}

func newSettingsScreen(u *UI) *settingsScreen {
	s := &settingsScreen{u: u}
	acc := widget.NewAccordion()
	acc.Append(widget.NewAccordionItem(tr("settings.display"), s.displayForm()))
	for _, g := range settingGroups {
		acc.Append(widget.NewAccordionItem(tr(g.title), s.fieldsForm(g.fields)))
	}
	acc.Append(widget.NewAccordionItem(tr("settings.gateways.b"), s.dokuIpaymuBox())) // settings_gateways.go
	acc.Append(widget.NewAccordionItem(tr("settings.more"), s.moreBox()))
	if u.svc.LogPath != "" {
		acc.Append(widget.NewAccordionItem(tr("settings.log"), s.logBox()))
	}
	acc.Open(0)
	acc.MultiOpen = true
	s.acc = acc
	s.root = container.NewVScroll(container.NewPadded(container.NewVBox(acc)))
	return s
}

func (s *settingsScreen) view() fyne.CanvasObject { return s.root }
func (s *settingsScreen) reload()                 {}
func (s *settingsScreen) focusSearch()            {}

func (s *settingsScreen) displayForm() fyne.CanvasObject {
	langs := []string{tr("settings.lang.system"), "Bahasa Indonesia", "English"}
	codes := []string{LangSystem, LangIndonesian, LangEnglish}
	lang := widget.NewSelect(langs, nil)
	cur := s.u.preference(SettingLanguage)
	for i, c := range codes {
		if c == cur {
			lang.SetSelected(langs[i])
		}
	}
	lang.OnChanged = func(v string) {
		for i, l := range langs {
			if l == v && codes[i] != s.u.preference(SettingLanguage) {
				if err := s.u.saveUISetting(SettingLanguage, codes[i]); err != nil {
					showError(s.u.win, err)
					return
				}
				SetLanguage(codes[i])
				// Rebuild every screen in the new language, staying here.
				s.u.opts.StartScreen = ScreenSettings
				s.u.ShowMain(s.u.actor)
			}
		}
	}
	themes := []string{tr("settings.theme.system"), tr("settings.theme.light"), tr("settings.theme.dark")}
	tcodes := []string{ThemeSystem, ThemeLight, ThemeDark}
	th := widget.NewSelect(themes, nil)
	curT := s.u.preference(SettingTheme)
	for i, c := range tcodes {
		if c == curT {
			th.SetSelected(themes[i])
		}
	}
	th.OnChanged = func(v string) {
		for i, l := range themes {
			if l == v {
				_ = s.u.saveUISetting(SettingTheme, tcodes[i])
				s.u.app.Settings().SetTheme(&lunasTheme{variant: tcodes[i]})
			}
		}
	}
	tray := widget.NewCheck(tr("settings.tray"), func(on bool) {
		v := "0"
		if on {
			v = "1"
		}
		_ = s.u.saveUISetting(SettingKeepInTray, v)
	})
	tray.SetChecked(s.u.setting(SettingKeepInTray) != "0")
	return widget.NewForm(widget.NewFormItem(tr("settings.language"), lang), widget.NewFormItem(tr("settings.theme"), th),
		widget.NewFormItem("", tray))
}

func (s *settingsScreen) fieldsForm(fields []settingField) fyne.CanvasObject {
	return s.fieldsFormWith(fields, nil)
}

// fieldsFormWith is fieldsForm with more controls under the Save button,
// made from the entries (settings_gateways.go's Test connection).
func (s *settingsScreen) fieldsFormWith(fields []settingField, more func(entries []*widget.Entry) fyne.CanvasObject) fyne.CanvasObject {
	form := widget.NewForm()
	status := widget.NewLabel("")
	allowedAny := false
	var entries []*widget.Entry
	for _, f := range fields {
		e := widget.NewEntry()
		var input fyne.CanvasObject = e
		disable := e.Disable
		if opts := s.u.svc.Choices[f.key]; len(opts) > 0 {
			// Picked from a list (an empty box keeps the default, which
			// the label says).
			se := widget.NewSelectEntry(opts)
			e, input, disable = &se.Entry, se, se.Disable
		}
		if f.secret {
			e = widget.NewPasswordEntry()
			e.SetPlaceHolder(tr("settings.secret.keep"))
		} else if s.u.svc.Settings != nil {
			key := f.key
			amount := f.kind() == amountField
			go func() {
				v, err := s.u.svc.Settings.Setting(context.Background(), s.u.actor, key)
				if r, perr := domain.ParseRupiah(v); amount && perr == nil && v != "" {
					v = money(r) // the language's way, whatever the service wrote
				}
				if err == nil {
					runOnUI(func() { e.SetText(v) })
				}
			}()
		}
		if !s.u.can(f.perm) || s.u.svc.Settings == nil {
			disable()
		} else {
			allowedAny = true
		}
		entries = append(entries, e)
		form.Append(tr(f.label), input)
	}
	save := widget.NewButton(tr("action.save"), func() {
		values := make([]string, len(fields))
		for i, f := range fields { // every box is checked before anything is saved
			v, err := checkField(f, entries[i].Text)
			if err == nil {
				err = checkChoice(f, s.u.svc.Choices[f.key], v)
			}
			if err != nil && !entries[i].Disabled() {
				status.SetText(userMessage(err))
				return
			}
			values[i] = v
		}
		for i, f := range fields {
			e := entries[i]
			if e.Disabled() || (f.secret && e.Text == "") || (f.kind() != textField && values[i] == "") {
				continue
			}
			if err := s.u.svc.Settings.SaveSetting(context.Background(), s.u.actor, f.key, values[i]); err != nil {
				status.SetText(userMessage(err))
				return
			}
			if f.secret {
				e.SetText("")
			}
		}
		status.SetText(tr("settings.saved"))
	})
	save.Importance = widget.HighImportance
	box := container.NewVBox(form, container.NewHBox(save, status))
	if more != nil {
		box.Add(more(entries))
	}
	if !allowedAny {
		save.Disable()
		note := tr("action.blocked.role")
		if s.u.svc.Settings == nil {
			note = tr("err.notavailable")
		}
		l := widget.NewLabel(note)
		l.Wrapping = fyne.TextWrapWord
		box.Add(l)
	}
	return box
}

// moreBox has users and roles, the watchlist import and backups.
func (s *settingsScreen) moreBox() fyne.CanvasObject {
	box := container.NewVBox()
	if s.u.svc.Admin == nil {
		l := widget.NewLabel(tr("settings.more.help"))
		l.Wrapping = fyne.TextWrapWord
		box.Add(l)
		return box
	}
	users := container.NewVBox()
	s.loadUsers(users)
	add := widget.NewButtonWithIcon(tr("users.add"), theme.ContentAddIcon(), func() { s.addUser(users) })
	s.u.guard(add, domain.PermManageUsers)
	backup := widget.NewButtonWithIcon(tr("backup.now"), theme.DocumentSaveIcon(), s.backup)
	s.u.guard(backup, domain.PermChangeSettings)
	watch := widget.NewButtonWithIcon(tr("watchlist.import"), theme.UploadIcon(), s.importWatchlist)
	s.u.guard(watch, domain.PermImportWatchlist)
	box.Add(widget.NewLabelWithStyle(tr("users.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	box.Add(users)
	box.Add(container.NewHBox(add))
	box.Add(widget.NewSeparator())
	row := container.NewHBox(backup)
	if s.u.svc.Restorer != nil {
		restore := widget.NewButtonWithIcon(tr("restore.button"), theme.HistoryIcon(), func() { s.u.chooseRestore(s.u.actor) })
		s.u.guard(restore, domain.PermChangeSettings)
		row.Add(restore)
	}
	row.Add(watch)
	box.Add(row)
	return box
}

func (s *settingsScreen) loadUsers(box *fyne.Container) {
	go func() {
		us, err := s.u.svc.Admin.ListUsers(context.Background(), s.u.actor)
		runOnUI(func() {
			box.Objects = nil
			if err != nil {
				box.Add(widget.NewLabel(userMessage(err)))
			}
			for _, u := range us {
				box.Add(s.userRow(box, u))
			}
			box.Refresh()
			if s.acc != nil {
				s.acc.Refresh() // the section grows with the list: lay it out again
			}
		})
	}()
}

// userRoles are the roles in the order the pickers show them.
var userRoles = []domain.Role{domain.RoleStaff, domain.RoleViewer, domain.RoleOwner}

// userRow is one user: name, role (a picker for the owner) and a disable or
// enable button. The security service refuses demoting or disabling the
// last owner and audits every change.
func (s *settingsScreen) userRow(box *fyne.Container, u domain.User) fyne.CanvasObject {
	line := u.Name + " · " + tr("role."+string(u.Role))
	if u.Disabled {
		line += " · " + tr("users.disabled")
	}
	if s.u.svc.Users == nil || !s.u.can(domain.PermManageUsers) || u.ID == 0 {
		return widget.NewLabel(line)
	}
	labels := make([]string, len(userRoles))
	for i, r := range userRoles {
		labels[i] = tr("role." + string(r))
	}
	role := widget.NewSelect(labels, nil)
	role.SetSelected(tr("role." + string(u.Role)))
	role.OnChanged = func(v string) {
		for i, l := range labels {
			if l != v || userRoles[i] == u.Role {
				continue
			}
			to := userRoles[i]
			dialog.ShowConfirm(tr("users.role.change"), trf("users.role.confirm", map[string]any{"User": u.Name, "Role": v}), func(ok bool) {
				if !ok {
					s.loadUsers(box)
					return
				}
				s.userAction(box, func(ctx context.Context) error { return s.u.svc.Users.SetRole(ctx, s.u.actor, u.ID, to) })
			}, s.u.win)
		}
	}
	toggle := tr("users.disable")
	if u.Disabled {
		toggle = tr("users.enable")
	}
	btn := widget.NewButton(toggle, func() {
		text := trf("users.disable.confirm", map[string]any{"User": u.Name})
		if u.Disabled {
			text = trf("users.enable.confirm", map[string]any{"User": u.Name})
		}
		dialog.ShowConfirm(toggle, text, func(ok bool) {
			if ok {
				s.userAction(box, func(ctx context.Context) error { return s.u.svc.Users.SetDisabled(ctx, s.u.actor, u.ID, !u.Disabled) })
			}
		}, s.u.win)
	})
	if u.ID == s.u.actor.UserID {
		btn.Disable() // nobody disables themselves
	}
	name := u.Name
	if u.Disabled {
		name += " · " + tr("users.disabled")
	}
	return container.NewBorder(nil, nil, widget.NewLabel(name), container.NewHBox(role, btn))
}

// userAction runs a change off the UI goroutine and shows the list as the
// service left it (a refused change snaps the picker back).
func (s *settingsScreen) userAction(box *fyne.Container, fn func(context.Context) error) {
	go func() {
		err := fn(context.Background())
		runOnUI(func() {
			if err != nil {
				showError(s.u.win, err)
			}
			s.loadUsers(box)
		})
	}()
}

func (s *settingsScreen) addUser(users *fyne.Container) {
	name, pass := newKeyEntry(), newPasswordKeyEntry()
	roles := []string{tr("role.staff"), tr("role.viewer"), tr("role.owner")}
	codes := []domain.Role{domain.RoleStaff, domain.RoleViewer, domain.RoleOwner}
	role := widget.NewSelect(roles, nil)
	role.SetSelected(roles[0])
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem(tr("login.user"), name), widget.NewFormItem(tr("login.password"), pass),
		widget.NewFormItem(tr("users.role"), role))
	var f *formDialog
	f = showForm(s.u.win, tr("users.add"), tr("action.save"), container.NewVBox(form, status), []*keyEntry{name, pass}, func() {
		r := codes[0]
		for i, l := range roles {
			if l == role.Selected {
				r = codes[i]
			}
		}
		n, p := strings.TrimSpace(name.Text), pass.Text
		f.confirm.Disable()
		go func() {
			enr, err := s.u.svc.Admin.AddUser(context.Background(), s.u.actor, n, r, p)
			runOnUI(func() {
				f.confirm.Enable()
				if err != nil {
					status.SetText(userMessage(err))
					return
				}
				f.Close()
				s.loadUsers(users)
				s.showEnrolment(n, enr)
			})
		}()
	})
}

// showEnrolment gives the new user's authenticator QR and recovery codes, once.
func (s *settingsScreen) showEnrolment(name string, enr Enrolment) {
	content := container.NewVBox(widget.NewLabel(trf("users.enrol", map[string]any{"User": name})))
	if enr.QR != nil {
		img := canvas.NewImageFromImage(enr.QR)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(180, 180))
		content.Add(img)
	}
	content.Add(widget.NewLabelWithStyle(enr.Secret, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true}))
	content.Add(widget.NewLabel(tr("wizard.totp.recovery")))
	content.Add(widget.NewLabelWithStyle(strings.Join(enr.RecoveryCodes, "\n"), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
	dialog.ShowCustom(tr("users.add"), tr("action.close"), content, s.u.win)
}

func (s *settingsScreen) backup() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			showError(s.u.win, err)
			return
		}
		uri := w.URI()
		_ = w.Close()
		_ = os.Remove(uri.Path()) // the backup writes a new file; it refuses to overwrite
		go func() {
			err := s.u.svc.Admin.Backup(context.Background(), s.u.actor, uri.Path())
			runOnUI(func() {
				if err != nil {
					showError(s.u.win, err)
					return
				}
				showInfo(s.u.win, tr("backup.now"), trf("backup.done", map[string]any{"File": uri.Name()}))
			})
		}()
	}, s.u.win)
	d.SetFileName("lunas-" + s.u.svc.Now().Format("2006-01-02") + ".db")
	d.Show()
}

func (s *settingsScreen) importWatchlist() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			showError(s.u.win, err)
			return
		}
		path := r.URI().Path()
		_ = r.Close()
		go func() {
			n, err := s.u.svc.Admin.ImportWatchlist(context.Background(), s.u.actor, path)
			runOnUI(func() {
				if err != nil {
					showError(s.u.win, err)
					return
				}
				showInfo(s.u.win, tr("watchlist.import"), trf("watchlist.done", map[string]any{"N": formatCount(n)}))
			})
		}()
	}, s.u.win)
	d.Show()
}

// logBox shows where the log file is and opens its folder.
func (s *settingsScreen) logBox() fyne.CanvasObject {
	path := s.u.svc.LogPath
	help := widget.NewLabel(tr("settings.log.help"))
	help.Wrapping = fyne.TextWrapWord
	where := widget.NewLabel(path)
	where.Wrapping = fyne.TextWrapBreak
	where.Selectable = true
	open := widget.NewButtonWithIcon(tr("settings.log.open"), theme.FolderOpenIcon(), func() { openFolder(s.u, filepath.Dir(path)) })
	return container.NewVBox(help, where, container.NewHBox(open))
}

// openFolder shows a folder in the system's file manager.
func openFolder(u *UI, dir string) {
	if err := u.app.OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}); err != nil {
		showError(u.win, err)
	}
}

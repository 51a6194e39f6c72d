package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// Database check states.
const (
	dbUnchecked = iota // no checker: nothing to say
	dbChecking
	dbHealthy
	dbDamaged
)

// checkDatabase starts the full integrity check once the window is up. The
// screens work meanwhile (reads are safe); the service holds automatic
// transfers back until the check passes.
func (u *UI) checkDatabase() {
	if u.svc.Health == nil {
		return
	}
	u.dbState = dbChecking
	if u.signedIn {
		u.showBanner(tr("db.checking"))
	}
	go func() {
		err := u.svc.Health.CheckDatabase(context.Background())
		runOnUI(func() { u.databaseChecked(err) })
	}()
}

// DatabaseState reports the background check: "checking", "ok", "damaged"
// or "" (no check).
func (u *UI) DatabaseState() string {
	switch u.dbState {
	case dbChecking:
		return "checking"
	case dbHealthy:
		return "ok"
	case dbDamaged:
		return "damaged"
	}
	return ""
}

func (u *UI) databaseChecked(err error) {
	switch {
	case err == nil:
		u.dbState = dbHealthy
		if u.banner != nil && u.banner.Text == tr("db.checking") {
			u.showBanner("")
			u.setDemoBanner()
		}
	case errors.Is(err, domain.ErrDamaged):
		u.dbState, u.dbErr = dbDamaged, err
		u.showDamaged()
	default:
		// The check itself could not run (e.g. the disk went away): say so
		// and keep transfers held, but do not call the file damaged.
		fyne.LogError("database check", err)
		u.dbState = dbChecking
		u.showBanner(tr("db.checkfailed"))
	}
}

// showDamaged blocks the window: nothing may be done on a damaged file; the
// way out is a backup.
func (u *UI) showDamaged() {
	u.signedIn = false
	if u.lockTimer != nil {
		u.lockTimer.Stop()
	}
	msg := widget.NewLabel(tr("db.damaged"))
	msg.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle(tr("db.damaged.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.Importance = widget.DangerImportance
	buttons := container.NewHBox()
	if u.svc.Restorer != nil {
		restore := widget.NewButtonWithIcon(tr("restore.button"), theme.HistoryIcon(), func() { u.chooseRestore(domain.Actor{}) })
		restore.Importance = widget.HighImportance
		buttons.Add(restore)
	}
	buttons.Add(widget.NewButton(tr("action.quit"), func() { u.app.Quit() }))
	// A border keeps the wrapped message between the title and the buttons.
	box := container.NewBorder(container.NewVBox(widget.NewIcon(theme.ErrorIcon()), title), container.NewCenter(buttons), nil, nil, msg)
	u.win.SetContent(container.NewCenter(container.NewGridWrap(fyne.NewSize(560, 260), box)))
}

// chooseRestore asks for a backup file, verifies it, asks for confirmation
// and replaces the database with it.
func (u *UI) chooseRestore(actor domain.Actor) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			showError(u.win, err)
			return
		}
		path := r.URI().Path()
		name := r.URI().Name()
		_ = r.Close()
		u.restoreFrom(actor, path, name)
	}, u.win)
	d.Show()
}

// restoreFrom verifies path off the UI goroutine, then confirms and restores.
func (u *UI) restoreFrom(actor domain.Actor, path, name string) {
	go func() {
		err := u.svc.Restorer.VerifyBackup(context.Background(), path)
		runOnUI(func() {
			if err != nil {
				showInfo(u.win, tr("restore.title"), trf("restore.bad", map[string]any{"File": name}))
				return
			}
			dialog.ShowConfirm(tr("restore.title"), trf("restore.confirm", map[string]any{"File": name}), func(ok bool) {
				if !ok {
					return
				}
				u.win.SetContent(u.busyView(tr("restore.running")))
				go func() {
					err := u.svc.Restorer.Restore(context.Background(), actor, path)
					runOnUI(func() { u.restored(err) })
				}()
			}, u.win)
		})
	}()
}

// restored signs everyone out: the restored file has its own users.
func (u *UI) restored(err error) {
	if err != nil {
		if u.dbState == dbDamaged {
			u.showDamaged()
		} else if u.signedIn {
			u.ShowMain(u.actor)
		}
		showError(u.win, err)
		return
	}
	u.dbState, u.dbErr = dbUnchecked, nil
	u.signedIn, u.actor, u.screens = false, domain.Actor{}, nil
	if u.svc.Auth != nil {
		u.showLogin(false)
	} else {
		u.ShowMain(domain.Actor{Name: "owner", Role: domain.RoleOwner})
	}
	showInfo(u.win, tr("restore.title"), tr("restore.done"))
	u.checkDatabase()
}

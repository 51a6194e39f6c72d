package ui

import (
	"context"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"lunas/domain"
)

// setupTray puts Lunas in the system tray: status, open, pause/resume, quit.
// With a tray, closing the window keeps the engine running (setting
// ui.keep_in_tray, on unless set to "0").
func (u *UI) setupTray() {
	d, ok := u.app.(desktop.App)
	if !ok || !trayAvailable() {
		return
	}
	u.trayStatus = fyne.NewMenuItem(tr("tray.status.starting"), nil)
	u.trayStatus.Disabled = true
	open := fyne.NewMenuItem(tr("tray.open"), func() { u.win.Show(); u.win.RequestFocus() })
	u.trayPause = fyne.NewMenuItem(tr("tray.pause"), func() { u.toggleEngine() })
	quit := fyne.NewMenuItem(tr("tray.quit"), func() { u.app.Quit() })
	quit.IsQuit = true
	u.trayMenu = fyne.NewMenu("Lunas", u.trayStatus, fyne.NewMenuItemSeparator(), open, u.trayPause, fyne.NewMenuItemSeparator(), quit)
	d.SetSystemTrayMenu(u.trayMenu)
	d.SetSystemTrayIcon(u.app.Icon())
	if u.setting(SettingKeepInTray) != "0" {
		u.win.SetCloseIntercept(func() { u.win.Hide() })
	}
	u.updateTray()
}

// updateTray refreshes the tray's status line off the UI goroutine.
func (u *UI) updateTray() {
	if u.trayMenu == nil {
		return
	}
	paused := u.svc.Engine != nil && u.svc.Engine.Paused()
	canControl := u.svc.Engine != nil && u.signedIn && u.can(domain.PermControlEngine)
	go func() {
		var waiting, attention int
		_ = u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
			var err error
			if waiting, err = tx.CountTransfers(domain.TransferFilter{Statuses: tabStatuses[tabApproval]}); err != nil {
				return err
			}
			attention, err = tx.CountTransfers(domain.TransferFilter{Statuses: tabStatuses[tabAttention]})
			return err
		})
		runOnUI(func() {
			state := tr("engine.running")
			if u.svc.Engine == nil {
				state = tr("engine.none")
			} else if paused {
				state = tr("engine.paused")
			} else if other := u.sentElsewhere(); other != "" {
				state = other
			}
			u.trayStatus.Label = trf("tray.status", map[string]any{"State": state, "Waiting": waiting, "Attention": attention})
			if paused {
				u.trayPause.Label = tr("tray.resume")
			} else {
				u.trayPause.Label = tr("tray.pause")
			}
			u.trayPause.Disabled = !canControl
			u.trayMenu.Refresh()
		})
	}()
}

// trayAvailable is false on a Linux desktop without a session bus (no tray
// host to talk to; fyne's systray then fails on quit). The window then
// closes normally instead of hiding.
func trayAvailable() bool {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return true
	}
	return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

// Package ui is Lunas's desktop application: the first-run wizard, login and
// lock screen, the main window with its screens, the system tray and the
// desktop notifications. It depends on domain and on the small interfaces it
// declares in services.go; app wires the real services in.
//
// Threading: widgets change only on the UI goroutine. Database reads and
// gateway calls run on their own goroutines and hand results back with
// fyne.Do.
package ui

import (
	"context"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/assets"
	"lunas/domain"
)

// Setting keys the desktop reads and writes.
const (
	SettingLanguage   = "ui.language"
	SettingTheme      = "ui.theme"
	SettingKeepInTray = "ui.keep_in_tray"
	SettingAutoLock   = "ui.autolock_minutes"
	SettingShopName   = "shop.name"
	SettingTimeZone   = "shop.timezone"
	SettingDemo       = "demo.enabled"
)

// Screen names, for Navigate and the screenshot script.
const (
	ScreenDashboard  = "dashboard"
	ScreenOrders     = "orders"
	ScreenTransfers  = "transfers"
	ScreenPayees     = "payees"
	ScreenProducts   = "products"
	ScreenReports    = "reports"
	ScreenMonitoring = "monitoring"
	ScreenSettings   = "settings"
)

// screenOrder is the sidebar.
var screenOrder = []string{ScreenDashboard, ScreenOrders, ScreenTransfers, ScreenPayees,
	ScreenProducts, ScreenReports, ScreenMonitoring, ScreenSettings}

// screenIcon is looked up when drawn: theme icons need the running app.
func screenIcon(name string) fyne.Resource {
	switch name {
	case ScreenOrders:
		return theme.ListIcon()
	case ScreenTransfers:
		return theme.MailSendIcon()
	case ScreenPayees:
		return theme.AccountIcon()
	case ScreenProducts:
		return theme.StorageIcon()
	case ScreenReports:
		return theme.DocumentIcon()
	case ScreenMonitoring:
		return theme.VisibilityIcon()
	case ScreenSettings:
		return theme.SettingsIcon()
	}
	return theme.HomeIcon()
}

// screen is one page of the main window.
type screen interface {
	view() fyne.CanvasObject
	// reload fetches fresh data (after an engine event or an action).
	reload()
	// focusSearch puts the cursor in the screen's search box (Ctrl+F), if any.
	focusSearch()
}

// Options are start-up choices.
type Options struct {
	// StartScreen opens this screen after login (the screenshot script uses it).
	StartScreen string
	// AutoDemo starts the demo shop without the wizard (screenshots, kiosk demos).
	AutoDemo bool
	// StartPaused pauses automatic transfers once the demo shop is up (the
	// footprint benchmark measures a paused desktop).
	StartPaused bool
}

// UI is the running desktop application.
type UI struct {
	app  fyne.App
	svc  Services
	opts Options
	win  fyne.Window

	actor    domain.Actor
	signedIn bool
	demo     *DemoInfo

	screens    map[string]screen
	current    string
	content    *fyne.Container
	nav        *widget.List
	banner     *widget.Label
	bannerBox  *fyne.Container
	tamper     *widget.Label // the audit log's tamper alarm (tamper.go), nil when none
	tamperBox  *fyne.Container
	tamperDone chan struct{} // closed when the alarm has been looked up
	engineBtn  *widget.Button
	engineLbl  *widget.Label // what automatic transfers are doing; the button says what it will do
	userLabel  *widget.Label

	trayStatus *fyne.MenuItem
	trayPause  *fyne.MenuItem
	trayMenu   *fyne.Menu

	unsubscribe func()
	refreshMu   sync.Mutex
	refreshDue  bool

	lockTimer *time.Timer
	lockAfter time.Duration
	lockGen   int

	busy *widget.ProgressBarInfinite // the busy view's bar, stopped when the main window shows

	dbState int   // the background integrity check (health.go)
	dbErr   error // why the file is damaged
}

// New builds the desktop over the given services. Call Start to show it.
func New(a fyne.App, svc Services, opts Options) *UI {
	if svc.Now == nil {
		svc.Now = time.Now
	}
	if svc.Location == nil {
		svc.Location = time.Local
	}
	u := &UI{app: a, svc: svc, opts: opts, lockAfter: 10 * time.Minute}
	loadTranslations()
	SetLanguage(u.preference(SettingLanguage))
	a.Settings().SetTheme(&lunasTheme{variant: u.preference(SettingTheme)})
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG()))
	u.win = a.NewWindow("Lunas")
	u.win.SetIcon(a.Icon())
	u.win.Resize(fyne.NewSize(1366, 768)) // the laptop screen every screen is checked at (TestNoCutOffLabels)
	u.win.SetMaster()
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Actor is the signed-in user (zero before login).
func (u *UI) Actor() domain.Actor { return u.actor }

// setting reads a stored setting, "" when absent or unreadable.
func (u *UI) setting(key string) string {
	var v string
	_ = u.svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		v, err = tx.GetSetting(key)
		return err
	})
	return v
}

// saveUISetting stores a personal display preference (language, theme).
// These are not security settings, so they do not need change_settings.
// The language and the theme are also kept in the app's preferences (the
// user's config folder), so they outlive the demo shop's database.
func (u *UI) saveUISetting(key, value string) error {
	if key == SettingLanguage || key == SettingTheme {
		u.app.Preferences().SetString(key, value)
	}
	return u.svc.Store.Write(context.Background(), func(tx domain.Tx) error { return tx.SetSetting(key, value) })
}

// preference is a display preference: the app's preferences first (they
// survive the demo), then the shop's setting.
func (u *UI) preference(key string) string {
	if v := u.app.Preferences().String(key); v != "" {
		return v
	}
	return u.setting(key)
}

// Start shows the window: the wizard on first run, the login screen after
// that, or the demo shop directly with Options.AutoDemo.
func (u *UI) Start() {
	u.setupTray()
	switch {
	case u.opts.AutoDemo && u.svc.Demo != nil:
		u.win.SetContent(u.busyView(tr("demo.starting")))
		u.startDemo()
	case u.svc.Auth == nil && u.svc.Demo != nil && u.setting(SettingShopName) == "":
		// No sign-in service and no shop yet: the welcome page, demo one click away.
		u.showWizard()
	case u.svc.Auth == nil:
		// No sign-in service in this build: a local, single-user desk.
		u.ShowMain(domain.Actor{Name: "owner", Role: domain.RoleOwner})
	default:
		has, err := u.svc.Auth.HasUsers(context.Background())
		if err != nil {
			u.win.SetContent(u.busyView(userMessage(err)))
		} else if !has {
			u.showWizard()
		} else {
			u.showLogin(false)
		}
	}
	u.win.Show()
	u.checkDatabase()
}

// busyView is a calm full-window message.
func (u *UI) busyView(text string) fyne.CanvasObject {
	pb := widget.NewProgressBarInfinite()
	u.busy = pb
	return container.NewCenter(container.NewVBox(widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}), pb))
}

// startDemo fills the demo shop and signs its owner in.
func (u *UI) startDemo() {
	go func() {
		info, err := u.svc.Demo.StartDemo(context.Background())
		runOnUI(func() {
			if err != nil {
				showError(u.win, err)
				u.showWizard()
				return
			}
			u.demo = &info
			u.win.SetCloseIntercept(u.confirmCloseDemo)
			u.ShowMain(info.Actor)
			if u.opts.StartPaused && u.svc.Engine != nil {
				if err := u.svc.Engine.SetPaused(context.Background(), info.Actor, true); err != nil {
					showError(u.win, err)
				}
				u.updateEngineButton()
			}
			if info.Password != "" {
				showInfo(u.win, tr("demo.title"), trf("demo.welcome", map[string]any{"User": info.Actor.Name, "Password": info.Password}))
			}
		})
	}()
}

// confirmCloseDemo says plainly, before the window closes, that the demo
// shop goes with it, and offers to keep it open.
func (u *UI) confirmCloseDemo() {
	body := widget.NewLabel(tr("demo.close.body"))
	body.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(tr("demo.close.title"), tr("demo.close.quit"), tr("demo.close.keep"), body, func(quit bool) {
		if quit {
			u.app.Quit()
		}
	}, u.win)
	d.Resize(fyne.NewSize(480, 200))
	d.Show()
}

// ShowMain shows the main window for a signed-in actor.
func (u *UI) ShowMain(actor domain.Actor) {
	if u.dbState == dbDamaged {
		u.showDamaged() // nothing may be done on a damaged file
		return
	}
	if u.busy != nil {
		u.busy.Stop() // its animation would keep redrawing the window
		u.busy = nil
	}
	u.actor, u.signedIn = actor, true
	u.screens = map[string]screen{}
	u.content = container.NewStack()
	u.banner = widget.NewLabel("")
	u.banner.Wrapping = fyne.TextWrapWord
	u.banner.Importance = widget.WarningImportance
	u.bannerBox = container.NewVBox(u.banner, widget.NewSeparator())
	u.bannerBox.Hide()

	u.nav = widget.NewList(
		func() int { return len(screenOrder) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.HomeIcon()), widget.NewLabel("Transfers tertunda"))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Icon).SetResource(screenIcon(screenOrder[i]))
			box.Objects[1].(*widget.Label).SetText(tr("nav." + screenOrder[i]))
		})
	u.nav.OnSelected = func(i widget.ListItemID) { u.Navigate(screenOrder[i]) }

	shop := u.setting(SettingShopName)
	if shop == "" {
		shop = "Lunas"
	}
	title := widget.NewLabelWithStyle(shop, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	u.userLabel = widget.NewLabel(actor.Name + " · " + tr("role."+string(actor.Role)))
	u.engineBtn = widget.NewButton("", u.toggleEngine)
	u.engineLbl = widget.NewLabel("")
	lockBtn := widget.NewButtonWithIcon(tr("action.lock"), theme.LogoutIcon(), func() { u.Lock() })
	if u.svc.Auth == nil || u.demo != nil {
		lockBtn.Disable() // the demo shop has no accounts to sign in to again
	}
	if m, err := strconv.Atoi(u.setting(SettingAutoLock)); err == nil && m > 0 {
		u.lockAfter = time.Duration(m) * time.Minute
	}
	u.updateEngineButton()
	top := container.NewBorder(nil, nil, container.NewHBox(widget.NewIcon(u.app.Icon()), title),
		container.NewHBox(u.userLabel, u.engineLbl, u.engineBtn, lockBtn))

	side := container.NewBorder(nil, nil, nil, widget.NewSeparator(), u.nav)
	u.tamper, u.tamperBox = nil, container.NewVBox()
	body := container.NewBorder(container.NewVBox(top, widget.NewSeparator(), u.tamperBox, u.bannerBox), nil, side, nil, u.content)
	u.win.SetContent(body)
	u.setDemoBanner()
	if u.dbState == dbChecking {
		u.showBanner(tr("db.checking"))
	}
	u.showTamperAlarm()
	u.setupShortcuts()
	u.subscribe()
	u.resetLockTimer()

	start := u.opts.StartScreen
	if start == "" {
		start = ScreenDashboard
	}
	u.Navigate(start)
}

// setDemoBanner reminds that the demo shop's money is not real.
func (u *UI) setDemoBanner() {
	if u.demo == nil && u.setting(SettingDemo) != "1" {
		return
	}
	u.showBanner(tr("demo.banner"))
}

func (u *UI) showBanner(text string) {
	if u.banner == nil {
		return
	}
	if text == "" {
		u.bannerBox.Hide()
		return
	}
	u.banner.SetText(text)
	u.bannerBox.Show()
}

// Navigate opens a screen by name.
func (u *UI) Navigate(name string) {
	if !u.signedIn {
		return
	}
	s, ok := u.screens[name]
	if !ok {
		s = u.buildScreen(name)
		if s == nil {
			return
		}
		u.screens[name] = s
	} else {
		s.reload()
	}
	u.current = name
	u.content.Objects = []fyne.CanvasObject{s.view()}
	u.content.Refresh()
	for i, n := range screenOrder {
		if n == name {
			u.nav.OnSelected = nil
			u.nav.Select(i)
			u.nav.OnSelected = func(i widget.ListItemID) { u.Navigate(screenOrder[i]) }
		}
	}
	u.resetLockTimer()
}

// Current is the screen shown.
func (u *UI) Current() string { return u.current }

func (u *UI) buildScreen(name string) screen {
	switch name {
	case ScreenDashboard:
		return newDashboard(u)
	case ScreenOrders:
		return newOrdersScreen(u)
	case ScreenTransfers:
		return newTransfersScreen(u)
	case ScreenPayees:
		return newPayeesScreen(u)
	case ScreenProducts:
		return newProductsScreen(u)
	case ScreenReports:
		return newReportsScreen(u)
	case ScreenMonitoring:
		return newMonitoringScreen(u)
	case ScreenSettings:
		return newSettingsScreen(u)
	}
	return nil
}

// can reports whether the signed-in user may do perm. The services check
// again below the UI; this only decides what is enabled.
func (u *UI) can(p domain.Permission) bool { return u.signedIn && domain.Allowed(u.actor.Role, p) }

// guard disables b when the user may not do perm. Screens say why near the
// button (Fyne has no tooltips), so a disabled button is never a riddle.
func (u *UI) guard(b *widget.Button, perm domain.Permission) {
	if !u.can(perm) {
		b.Disable()
	}
}

// setupShortcuts binds Ctrl+F (search) and Ctrl+E (export).
func (u *UI) setupShortcuts() {
	c := u.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if s := u.screens[u.current]; s != nil {
			s.focusSearch()
		}
	})
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyE, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		u.Navigate(ScreenReports)
		if r, ok := u.screens[ScreenReports].(*reportsScreen); ok {
			r.startExport()
		}
	})
}

// subscribe turns engine events into live refreshes (at most two a second)
// and desktop notifications.
func (u *UI) subscribe() {
	if u.unsubscribe != nil {
		u.unsubscribe()
		u.unsubscribe = nil
	}
	if u.svc.Events == nil {
		return
	}
	u.unsubscribe = u.svc.Events.Subscribe(func(ev Event) {
		u.notify(ev)
		u.refreshMu.Lock()
		due := u.refreshDue
		u.refreshDue = true
		u.refreshMu.Unlock()
		if due {
			return
		}
		time.AfterFunc(500*time.Millisecond, func() {
			u.refreshMu.Lock()
			u.refreshDue = false
			u.refreshMu.Unlock()
			runOnUI(u.reloadCurrent)
		})
	})
}

// reloadCurrent refreshes the visible screen and the tray status.
func (u *UI) reloadCurrent() {
	if !u.signedIn {
		return
	}
	if s := u.screens[u.current]; s != nil {
		s.reload()
	}
	u.updateEngineButton() // another engine may have taken over, or a desk paused
	u.updateTray()
}

// notify sends desktop notifications for what needs the owner.
func (u *UI) notify(ev Event) {
	var title, body string
	switch ev.Kind {
	case EventApprovalNeeded:
		title, body = tr("notify.approval.title"), trf("notify.approval.body", map[string]any{"RefID": ev.RefID, "Amount": money(ev.Amount)})
	case EventTransferFailed:
		title, body = tr("notify.failed.title"), trf("notify.failed.body", map[string]any{"RefID": ev.RefID, "Reason": oneLanguage(ev.Detail)})
	case EventLowBalance:
		title, body = tr("notify.lowbalance.title"), trf("alert.lowbalance", map[string]any{"Channel": domain.ChannelName(ev.Channel), "Amount": money(ev.Amount)})
	case EventGatewayDown:
		runOnUI(func() { u.showBanner(trf("banner.gatewaydown", map[string]any{"Channel": gatewayWho(ev.Channel)})) })
		return
	case EventGatewayUp:
		runOnUI(func() { u.showBanner(""); u.setDemoBanner() })
		return
	default:
		return
	}
	n := fyne.NewNotification(title, body)
	runOnUI(func() { u.app.SendNotification(n) })
}

// gatewayWho names a gateway in the banner ("a gateway" when unknown).
func gatewayWho(code string) string {
	if code == "" {
		return tr("banner.agateway")
	}
	return domain.ChannelName(code)
}

// toggleEngine pauses or resumes automatic transfers.
func (u *UI) toggleEngine() {
	if u.svc.Engine == nil {
		return
	}
	paused := !u.svc.Engine.Paused()
	if err := u.svc.Engine.SetPaused(context.Background(), u.actor, paused); err != nil {
		showError(u.win, err)
	}
	u.updateEngineButton()
	u.updateTray()
}

func (u *UI) updateEngineButton() {
	if u.engineBtn == nil {
		return
	}
	// The label says what automatic transfers are doing; the button what it does.
	switch {
	case u.svc.Engine == nil:
		u.engineLbl.SetText(tr("engine.none"))
		u.engineLbl.Importance = widget.LowImportance
		u.engineBtn.Hide()
	case u.svc.Engine.Paused():
		u.engineBtn.Show()
		u.engineLbl.SetText(tr("engine.paused"))
		u.engineLbl.Importance = widget.WarningImportance
		u.engineBtn.SetText(tr("engine.resume"))
		u.engineBtn.SetIcon(theme.MediaPlayIcon())
		u.engineBtn.Importance = widget.HighImportance
	case u.sentElsewhere() != "":
		// Another engine sends; this desk still pauses and resumes it
		// (the choice is kept in the shop's database).
		u.engineBtn.Show()
		u.engineLbl.SetText(u.sentElsewhere())
		u.engineLbl.Importance = widget.MediumImportance
		u.engineBtn.SetText(tr("engine.pause"))
		u.engineBtn.SetIcon(theme.MediaPauseIcon())
		u.engineBtn.Importance = widget.MediumImportance
	default:
		u.engineBtn.Show()
		u.engineLbl.SetText(tr("engine.running"))
		u.engineLbl.Importance = widget.SuccessImportance
		u.engineBtn.SetText(tr("engine.pause"))
		u.engineBtn.SetIcon(theme.MediaPauseIcon())
		u.engineBtn.Importance = widget.MediumImportance
	}
	u.engineLbl.Refresh()
	if u.svc.Engine != nil && !u.can(domain.PermControlEngine) {
		u.engineBtn.Disable()
	}
	u.engineBtn.Refresh()
}

// sentElsewhere is "Transfers are sent by <computer> (since ...)" when
// another engine holds the shop's engine lease, else "".
func (u *UI) sentElsewhere() string {
	h, ok := u.svc.Engine.(EngineHolder)
	if !ok {
		return ""
	}
	host, since, ok := h.SentElsewhere()
	if !ok {
		return ""
	}
	return trf("engine.elsewhere", map[string]any{"Host": host, "Since": dateTime(since, u.svc.Location)})
}

// Lock hides everything behind the lock screen and forgets the keys.
func (u *UI) Lock() {
	if u.svc.Auth == nil || !u.signedIn || u.demo != nil {
		return
	}
	u.svc.Auth.Lock()
	u.signedIn = false
	if u.unsubscribe != nil {
		u.unsubscribe()
		u.unsubscribe = nil
	}
	u.screens = nil
	u.showLogin(true)
}

// resetLockTimer restarts the idle countdown (navigation and actions count
// as activity).
func (u *UI) resetLockTimer() {
	if u.svc.Auth == nil || u.demo != nil {
		return
	}
	if u.lockTimer != nil {
		u.lockTimer.Stop()
	}
	u.lockGen++
	gen := u.lockGen
	u.lockTimer = time.AfterFunc(u.lockAfter, func() {
		runOnUI(func() {
			if gen == u.lockGen {
				u.Lock()
			}
		})
	})
}

// Close stops background work the UI started.
func (u *UI) Close() {
	if u.unsubscribe != nil {
		u.unsubscribe()
	}
	if u.lockTimer != nil {
		u.lockTimer.Stop()
	}
}

// runOnUI hands widget changes from background goroutines to the UI
// goroutine. Tests replace it with a queue they drain on their own goroutine,
// because fyne's test driver runs fyne.Do in place.
var runOnUI = fyne.Do

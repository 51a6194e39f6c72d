package ui

import (
	"time"

	"fyne.io/fyne/v2"
)

// tourStop is one screenshot of the tour.
type tourStop struct {
	file   string
	screen string
	tab    string // transfers tab, if any
}

var tourStops = []tourStop{
	{"dashboard.png", ScreenDashboard, ""},
	{"transfers.png", ScreenTransfers, tabHistory},
	{"transfers-approval.png", ScreenTransfers, tabApproval},
	{"orders.png", ScreenOrders, ""},
	{"payees.png", ScreenPayees, ""},
	{"products.png", ScreenProducts, ""},
	{"reports.png", ScreenReports, ""},
	{"monitoring.png", ScreenMonitoring, ""},
	{"settings.png", ScreenSettings, ""},
}

// Tour waits (letting the demo shop's buyers pay and its transfers run),
// then opens each main screen in turn and calls shoot with the file name the
// screenshot should get once the screen has settled; shoot takes the picture
// (scripts/screenshots.sh uses ImageMagick's import under Xvfb, because
// reading back a software-GL frame gives black images). Then done.
func (u *UI) Tour(wait time.Duration, shoot func(file string), done func(error)) {
	go func() {
		time.Sleep(wait)
		fyne.DoAndWait(func() { u.win.Resize(fyne.NewSize(1366, 768)) }) // the laptop screen the layout must fit
		for _, st := range tourStops {
			var ts *transfersScreen
			fyne.DoAndWait(func() {
				u.Navigate(st.screen)
				if st.tab != "" {
					ts, _ = u.screens[ScreenTransfers].(*transfersScreen)
				}
				if ts != nil {
					ts.selectTab(st.tab)
				}
			})
			if ts != nil {
				time.Sleep(time.Second)
				fyne.DoAndWait(func() {
					if r, ok := ts.tables[st.tab].pager.Row(0); ok {
						ts.showDetail(&r)
					}
				})
			}
			u.tourSettle()
			time.Sleep(1500 * time.Millisecond) // the frame is drawn
			shoot(st.file)
			if st.tab == tabApproval && ts != nil {
				u.tourApprove(ts, shoot)
			}
		}
		done(nil)
	}()
}

// tourApprove shows the approve dialog for every waiting transfer
// (approve-dialog.png), then closes it without approving.
func (u *UI) tourApprove(ts *transfersScreen, shoot func(file string)) {
	fyne.DoAndWait(ts.selectAllWaiting)
	time.Sleep(time.Second)
	fyne.DoAndWait(ts.approveSelected)
	time.Sleep(3 * time.Second) // destinations read, the dialog drawn
	shoot("approve-dialog.png")
	fyne.DoAndWait(func() {
		if ts.approving != nil && !ts.approving.form.closed {
			ts.approving.form.dismiss()
		}
		ts.tables[tabApproval].ClearChecked()
	})
}

// tourSettle waits until the screen on show has its rows: no page or count
// in flight, and the answers applied on the UI goroutine (columns fitted),
// at most 20 s. On a loaded machine a fixed pause was not enough: the
// monitoring screenshot caught the audit log before its columns were fitted
// to the rows, and once the screen before it.
func (u *UI) tourSettle() {
	type loader interface{ busy() bool }
	deadline := time.Now().Add(20 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); {
		var ls []loader
		fyne.DoAndWait(func() {
			switch v := u.screens[u.current].(type) {
			case *transfersScreen:
				for _, t := range v.tables {
					ls = append(ls, t.pager)
				}
			case *ordersScreen:
				ls = append(ls, v.table.pager)
			case *payeesScreen:
				ls = append(ls, v.table.pager)
			case *productsScreen:
				ls = append(ls, v.table.pager)
			case *monitoringScreen:
				ls = append(ls, v.audit.pager)
			}
		})
		busy := false
		for _, l := range ls {
			busy = busy || l.busy()
		}
		if busy {
			quiet = 0
		} else {
			quiet++ // three quiet looks in a row: a count's answer may start a page
		}
		time.Sleep(200 * time.Millisecond)
	}
	fyne.DoAndWait(func() {}) // answers queued for the UI goroutine have run
}

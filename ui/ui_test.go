package ui

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/gateways/midtrans"
)

// markup renders the window to Fyne's markup, for "does it show X" checks.
func markup(u *UI) string { return test.RenderToMarkup(u.win.Canvas()) }

func TestEveryScreenRendersWithShopData(t *testing.T) {
	env := newTestEnv(t, false)
	u := newTestUI(t, env.services(), domain.RoleOwner)
	cases := []struct {
		screen string
		want   []string // texts that must be on screen
	}{
		{ScreenDashboard, []string{"Settled today", "Rp515,000", "Awaiting your approval", "Last 14 days"}},
		{ScreenOrders, []string{"BTK-0001", "Rina Kartika", "Rp515,000", "Paid"}},
		{ScreenTransfers, []string{"RF-20261122-0001", "Bu Ani (Batik Tulis Solo)", "Rp1,250,000", "Awaiting approval"}},
		{ScreenPayees, []string{"Bu Ani (Batik Tulis Solo)", "••••1146", "Name matches"}},
		{ScreenProducts, []string{"BTK-001", "Rp250,000"}},
		{ScreenReports, []string{"Export (Ctrl+E)", "Reconciliation"}},
		{ScreenMonitoring, []string{"Audit log", "transfer.status", "Verify chain"}},
		{ScreenSettings, []string{"Language and display", "Gateways and keys"}},
	}
	for _, c := range cases {
		t.Run(c.screen, func(t *testing.T) {
			u.Navigate(c.screen)
			waitIdle(u)
			if u.Current() != c.screen {
				t.Fatalf("current screen = %q", u.Current())
			}
			m := markup(u)
			for _, w := range c.want {
				if !strings.Contains(m, w) {
					t.Errorf("%s: %q not on screen", c.screen, w)
				}
			}
			if strings.Contains(m, ">…</text>") {
				t.Errorf("%s: rows still loading after wait", c.screen)
			}
		})
	}
}

// approveFlow selects transfers on the Awaiting approval tab, types the code
// into the approval dialog and presses Enter.
func approveFlow(t *testing.T, u *UI, refs []string, code string) *transfersScreen {
	t.Helper()
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	tb := s.tables[tabApproval]
	for i := 0; i < tb.pager.Len(); i++ {
		r, ok := tb.pager.Row(i)
		if !ok {
			t.Fatalf("row %d not loaded", i)
		}
		for _, ref := range refs {
			if r.RefID == ref {
				tb.Check(r)
			}
		}
	}
	if s.approveBtn.Disabled() {
		t.Fatal("approve button disabled with rows selected")
	}
	test.Tap(s.approveBtn)
	waitIdle(u) // the dialog opens once the destinations are read
	code1 := focusedKeyEntry(t, u)
	test.Type(code1, code)
	code1.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	return s
}

func focusedKeyEntry(t *testing.T, u *UI) *keyEntry {
	t.Helper()
	e, ok := u.win.Canvas().Focused().(*keyEntry)
	if !ok {
		t.Fatalf("focused = %T, want the dialog's code entry", u.win.Canvas().Focused())
	}
	return e
}

func statusOf(t *testing.T, st domain.Store, ref string) domain.TransferStatus {
	t.Helper()
	var s domain.TransferStatus
	if err := st.Read(context.Background(), func(tx domain.ReadTx) error {
		tr, err := tx.GetTransfer(ref)
		s = tr.Status
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// loadedWait is how long waitFor waits at most. The engine and sandbox work
// on their own goroutines and the wall clock; on a loaded machine (CI, a
// shared 2-core box under -race) they are slower, not stuck, so no wait here
// fails at the few seconds the same work takes on an idle machine.
const loadedWait = 2 * time.Minute

// waitFor polls cond until it holds. d is what the wait takes at most on an
// idle machine; it fails only after loadedWait (or when the test binary's
// -timeout is near, to say what it waited for).
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(max(d, loadedWait))
	if dl, ok := t.Deadline(); ok && dl.Add(-30*time.Second).Before(end) {
		end = dl.Add(-30 * time.Second)
	}
	for time.Now().Before(end) {
		testQueue.drain()
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s (usually done in %s)", what, d)
}

func TestTransferDetailExplainsAndCopiesREFID(t *testing.T) {
	env := newTestEnv(t, false)
	u := newTestUI(t, env.services(), domain.RoleOwner)
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	s.selectTab(tabAttention)
	tb := s.tables[tabAttention]
	tb.table.Refresh()
	waitIdle(u)
	var row transferRow
	for i := 0; i < tb.pager.Len(); i++ {
		if r, ok := tb.pager.Row(i); ok && r.RefID == env.seed.failed {
			row = r
			tb.table.Select(widget.TableCellID{Row: i, Col: 0})
		}
	}
	if row.RefID == "" {
		t.Fatal("failed transfer not in Needs attention")
	}
	m := markup(u)
	for _, want := range []string{env.seed.failed, "account closed", "Send again (new REFID)", "Check status",
		"Not possible now"} {
		if !strings.Contains(m, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	copyBtn := findButton(s.detail, tr("action.copy"))
	if copyBtn == nil {
		t.Fatal("no copy button for the REFID")
	}
	test.Tap(copyBtn)
	if got := u.app.Clipboard().Content(); got != env.seed.failed {
		t.Errorf("clipboard = %q, want the REFID", got)
	}
}

func TestApproveFlowDrivesEngineAndSandbox(t *testing.T) {
	env := newTestEnv(t, true)
	u := newTestUI(t, env.services(), domain.RoleOwner)
	refs := env.seed.awaiting[:2]

	// A wrong code is refused by the real verifier and nothing moves.
	s := approveFlow(t, u, refs, "000000")
	waitFor(t, 5*time.Second, "the refusal", func() bool { return markupHas(u, "That code is not right") })
	for _, r := range refs {
		if got := statusOf(t, env.store, r); got != domain.TransferAwaitingApproval {
			t.Fatalf("%s after wrong code = %s", r, got)
		}
	}
	// The dialog is still open: Escape closes it without approving.
	focusedKeyEntry(t, u).TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if markupHas(u, "Approve transfers") {
		t.Fatal("Escape did not close the approval dialog")
	}

	code, err := totp.GenerateCode(env.secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s = approveFlow(t, u, refs, code)
	waitFor(t, 5*time.Second, "approval", func() bool {
		return statusOf(t, env.store, refs[0]) != domain.TransferAwaitingApproval &&
			statusOf(t, env.store, refs[1]) != domain.TransferAwaitingApproval
	})
	// The engine sends them to the sandbox, which pays them.
	defer func() {
		if t.Failed() {
			for _, r := range env.seed.awaiting {
				_ = env.store.Read(context.Background(), func(tx domain.ReadTx) error {
					tr, err := tx.GetTransfer(r)
					t.Logf("%s: %s %s %s", r, tr.Status, tr.FailureCode, tr.FailureReason)
					return err
				})
			}
		}
	}()
	waitFor(t, 15*time.Second, "payout at the sandbox", func() bool {
		return statusOf(t, env.store, refs[0]) == domain.TransferSucceeded && statusOf(t, env.store, refs[1]) == domain.TransferSucceeded
	})
	if got := statusOf(t, env.store, env.seed.awaiting[2]); got != domain.TransferAwaitingApproval {
		t.Fatalf("unselected transfer moved to %s", got)
	}
	waitFor(t, 5*time.Second, "the table to refresh", func() bool {
		waitIdle(u)
		return s.tables[tabApproval].pager.Len() == 1
	})
}

func markupHas(u *UI, text string) bool {
	testQueue.drain()
	return strings.Contains(markup(u), text)
}

func TestButtonsFollowRole(t *testing.T) {
	env := newTestEnv(t, false)
	for _, c := range []struct {
		role                        domain.Role
		approve, addPayee, retry    bool
		sendAgain, cancel, settings bool
	}{
		{domain.RoleOwner, true, true, true, true, true, true},
		{domain.RoleStaff, false, true, true, true, false, false},
		{domain.RoleViewer, false, false, false, false, false, false},
	} {
		t.Run(string(c.role), func(t *testing.T) {
			u := newTestUI(t, env.services(), c.role)
			u.Navigate(ScreenTransfers)
			waitIdle(u)
			s := u.screens[ScreenTransfers].(*transfersScreen)
			r, ok := s.tables[tabApproval].pager.Row(0)
			if !ok {
				t.Fatal("no row")
			}
			s.tables[tabApproval].Check(r)
			if got := !s.approveBtn.Disabled(); got != c.approve {
				t.Errorf("approve enabled = %v, want %v", got, c.approve)
			}
			if got := !s.rejectBtn.Disabled(); got != c.approve {
				t.Errorf("reject enabled = %v, want %v", got, c.approve)
			}
			// Needs attention: a definite failure and an unknown outcome.
			enabled := func(ref string) map[string]bool {
				var tr domain.Transfer
				_ = env.store.Read(context.Background(), func(tx domain.ReadTx) error {
					var err error
					tr, err = tx.GetTransfer(ref)
					return err
				})
				out := map[string]bool{}
				for _, a := range s.actionsFor(tr, nil) {
					out[a.label] = a.blocked == ""
				}
				return out
			}
			failed, unknown := enabled(env.seed.failed), enabled(env.seed.unknown)
			if got := unknown[tr("action.retry")]; got != c.retry {
				t.Errorf("retry on unknown = %v, want %v", got, c.retry)
			}
			if failed[tr("action.retry")] {
				t.Error("retry with the same REFID offered for a definite failure")
			}
			if got := failed[tr("action.sendagain")]; got != c.sendAgain {
				t.Errorf("send again on failed = %v, want %v", got, c.sendAgain)
			}
			if unknown[tr("action.sendagain")] {
				t.Error("a new REFID offered while the outcome is unknown")
			}
			if got := unknown[tr("action.cancelpayout")]; got != c.cancel {
				t.Errorf("cancel on unknown = %v, want %v", got, c.cancel)
			}
			if failed[tr("action.cancelpayout")] {
				t.Error("cancel offered for a failed transfer")
			}

			u.Navigate(ScreenPayees)
			p := u.screens[ScreenPayees].(*payeesScreen)
			add := findButton(p.root, tr("payee.add"))
			if add == nil {
				t.Fatal("no add payee button")
			}
			// The test services have no payee editor, so the button is off
			// for every role; the permission decides it otherwise.
			if !add.Disabled() {
				t.Error("add payee enabled without a payee service")
			}
			if got := u.can(domain.PermManagePayees); got != c.addPayee {
				t.Errorf("may manage payees = %v, want %v", got, c.addPayee)
			}

			u.Navigate(ScreenSettings)
			st := u.screens[ScreenSettings].(*settingsScreen)
			save := findButton(st.root, tr("action.save"))
			if save == nil {
				t.Fatal("no save button")
			}
			// Without a settings service every shop setting is read-only,
			// but a role without the permission must never see it enabled.
			if !c.settings && !save.Disabled() {
				t.Error("settings save enabled for a role without change_settings")
			}
		})
	}
}

// findButton finds a button by its text anywhere under o.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch v := o.(type) {
	case *widget.Button:
		if v.Text == text {
			return v
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

func TestShortcutsSearchAndExport(t *testing.T) {
	env := newTestEnv(t, false)
	u := newTestUI(t, env.services(), domain.RoleOwner)
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	sc := u.win.Canvas().(fyne.Shortcutable)
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault})
	s := u.screens[ScreenTransfers].(*transfersScreen)
	if u.win.Canvas().Focused() != s.search {
		t.Fatalf("Ctrl+F focused %T, want the transfers search", u.win.Canvas().Focused())
	}
	// Typing filters by REFID or payee through the store.
	test.Type(s.search, "Wulan")
	waitFor(t, 3*time.Second, "the search", func() bool {
		waitIdle(u)
		tb := s.tables[tabApproval]
		r, ok := tb.pager.Row(0)
		return tb.pager.Len() == 1 && ok && r.Payee == "Mbak Wulan (Ecoprint)"
	})
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyE, Modifier: fyne.KeyModifierShortcutDefault})
	if u.Current() != ScreenReports {
		t.Fatalf("Ctrl+E opened %q, want reports", u.Current())
	}
}

// busEvents adapts the engine's event bus, as app does. When delivered is
// set, it gets each event once fn has handled it.
type busEvents struct {
	b         *engine.Bus
	delivered chan<- Event
}

func (e busEvents) Subscribe(fn func(Event)) func() {
	ch, cancel := e.b.Subscribe(64)
	go func() {
		for ev := range ch {
			k := EventChanged
			if ev.Kind == engine.EventNeedsApproval {
				k = EventApprovalNeeded
			}
			e2 := Event{Kind: k, RefID: ev.RefID, Amount: ev.Amount, Detail: ev.Message}
			fn(e2)
			if e.delivered != nil {
				e.delivered <- e2
			}
		}
	}()
	return cancel
}

// TestEngineEventsRefreshTheScreenAndNotify: news from the engine's bus
// reloads the visible screen and a transfer waiting for the owner raises a
// desktop notification.
func TestEngineEventsRefreshTheScreenAndNotify(t *testing.T) {
	env := newTestEnv(t, false)
	svc := env.services()
	delivered := make(chan Event, 64)
	svc.Events = busEvents{env.eng.Bus(), delivered}
	u := newTestUI(t, svc, domain.RoleOwner)
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	if n := s.tables[tabApproval].pager.Len(); n != 3 {
		t.Fatalf("awaiting = %d, want 3", n)
	}
	// Something else (the engine, another desk) rejects one.
	if err := env.store.Write(context.Background(), func(tx domain.Tx) error {
		return tx.MoveTransfer(env.seed.awaiting[0], domain.TransferAwaitingApproval, domain.TransferRejected, domain.TransferPatch{})
	}); err != nil {
		t.Fatal(err)
	}
	test.AssertNotificationSent(t, fyne.NewNotification(tr("notify.approval.title"),
		trf("notify.approval.body", map[string]any{"RefID": "RF-NEW", "Amount": money(2_000_000)})), func() {
		env.eng.Bus().Publish(engine.Event{Kind: engine.EventNeedsApproval, RefID: "RF-NEW", Amount: 2_000_000})
		for got := false; !got; { // the bus delivers on its own goroutine
			select {
			case ev := <-delivered:
				got = ev.Kind == EventApprovalNeeded && ev.RefID == "RF-NEW"
			case <-time.After(loadedWait):
				t.Fatal("the bus did not deliver the event")
			}
		}
		testQueue.drain()
	})
	waitFor(t, 5*time.Second, "the live refresh", func() bool {
		waitIdle(u)
		return s.tables[tabApproval].pager.Len() == 2
	})
}

// TestCekRekeningShowsHolderName: the payee form asks the sandbox's Iris for
// the account holder and says whether the name matches.
func TestCekRekeningShowsHolderName(t *testing.T) {
	env := newTestEnv(t, false)
	srv := httptest.NewServer(env.sb)
	t.Cleanup(srv.Close)
	c := env.sb.Credentials()
	svc := env.services()
	svc.Accounts = midtrans.NewIris(midtrans.IrisConfig{BaseURL: srv.URL + "/iris", CreatorKey: c.IrisCreatorKey,
		ApproverKey: c.IrisApproverKey, OTP: midtrans.StaticOTP(c.IrisOTP), MerchantKey: c.IrisMerchantKey, Timeout: 5 * time.Second})
	u := newTestUI(t, svc, domain.RoleOwner)
	u.Navigate(ScreenPayees)
	waitIdle(u)
	s := u.screens[ScreenPayees].(*payeesScreen)
	p, ok := s.table.pager.Row(0)
	if !ok {
		t.Fatal("no payee row")
	}
	s.edit(&p)
	check := findButton(u.win.Canvas().Overlays().Top(), tr("payee.check"))
	if check == nil {
		t.Fatal("no Cek rekening button in the payee form")
	}
	test.Tap(check)
	defer func() {
		if t.Failed() {
			t.Log(test.RenderObjectToMarkup(u.win.Canvas().Overlays().Top()))
		}
	}()
	waitFor(t, 5*time.Second, "the holder name", func() bool { return markupHas(u, "SANDBOX BCA") })
	if !markupHas(u, tr("verify.mismatch")) {
		t.Error("a holder name unlike the payee's is not called out")
	}
}

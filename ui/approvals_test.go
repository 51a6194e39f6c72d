package ui

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/engine"
)

// addAwaiting stores n transfers waiting for approval, spread over the
// seeded payees, with amounts from Rp60.000 to over a billion rupiah; each
// is newer than the last (id and time), as arriving transfers are.
func addAwaiting(t *testing.T, st domain.Store, payees []domain.Payee, prefix string, n int, amount func(i int) domain.Rupiah) []string {
	t.Helper()
	return addAwaitingWhy(t, st, payees, prefix, n, amount, func() string {
		return "above the per-transfer limit Rp1.000.000 / melebihi batas per transfer Rp1.000.000"
	})
}

// addAwaitingWhy is addAwaiting with each transfer's hold reason from why.
func addAwaitingWhy(t *testing.T, st domain.Store, payees []domain.Payee, prefix string, n int, amount func(i int) domain.Rupiah, why func() string) []string {
	t.Helper()
	var refs []string
	err := st.Write(context.Background(), func(tx domain.Tx) error {
		var order, payment int64 // the seeded shop's paid order
		if x, err := tx.GetTransfer("RF-20261122-0001"); err == nil {
			if ob, err := tx.GetObligation(x.ObligationID); err == nil {
				order, payment = ob.OrderID, ob.PaymentID
			}
		}
		for i := 0; i < n; i++ {
			p := payees[i%len(payees)]
			ob := domain.Obligation{OrderID: order, PaymentID: payment, PayeeID: p.ID, Role: domain.RoleSeller, Amount: amount(i), Status: domain.ObligationOpen, CreatedAt: fixedNow}
			if err := tx.CreateObligation(&ob); err != nil {
				return err
			}
			ref := fmt.Sprintf("%s-%04d", prefix, i)
			x := domain.Transfer{RefID: ref, ObligationID: ob.ID, PayeeID: p.ID, Channel: "xendit", Amount: amount(i),
				Status: domain.TransferAwaitingApproval, HoldReason: why(),
				CreatedAt: fixedNow.Add(time.Duration(i) * time.Second), CreatedBy: "engine"}
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
			refs = append(refs, ref)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

// spread is a hundred different amounts, the widest over a billion rupiah.
func spread(i int) domain.Rupiah {
	return domain.Rupiah(60_000 + int64(i)*int64(i)*123_457 + int64(i%7)*1_000_000_001*int64(i%2))
}

// openApproveAll selects every waiting transfer and opens the approve dialog.
func openApproveAll(t *testing.T, u *UI) *transfersScreen {
	t.Helper()
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	s.selectTab(tabApproval)
	waitIdle(u)
	s.selectAllWaiting()
	waitIdle(u)
	test.Tap(s.approveBtn)
	waitIdle(u)
	if s.approving == nil || s.approving.form.closed {
		t.Fatal("the approve dialog did not open")
	}
	return s
}

// TestApproveDialogShowsEveryAmountInFull: 100 waiting transfers at
// 1366x768 in both languages: every amount fits its cell (each measured
// with the theme's font against the column, as TestNoCutOffLabels does, and
// nothing drawn is cut), largest first, with REFID, payee, bank and
// masked account and the reason in each row; the sums per payee and in total
// are right; leaving payees out approves one payee's transfers only.
func TestApproveDialogShowsEveryAmountInFull(t *testing.T) {
	defer SetLanguage(LangEnglish)
	for _, lang := range []string{LangIndonesian, LangEnglish} {
		t.Run(lang, func(t *testing.T) {
			env := newTestEnv(t, false)
			svc := env.services()
			u := newTestUI(t, svc, domain.RoleOwner)
			SetLanguage(lang)
			u.ShowMain(u.actor)
			u.win.Resize(screenSize)
			refs := addAwaiting(t, env.store, env.seed.payees, "RF-BIG", 97, spread) // with the 3 seeded: 100
			s := openApproveAll(t, u)
			a := s.approving
			if len(a.shown) != 100 {
				t.Fatalf("dialog lists %d transfers, want 100", len(a.shown))
			}
			var total domain.Rupiah
			perPayee := map[int64]domain.Rupiah{}
			for i, it := range a.shown {
				if i > 0 && it.Amount > a.shown[i-1].Amount {
					t.Fatalf("row %d (%s) larger than the row above: not sorted by amount", i, money(it.Amount))
				}
				if need := textWidth(money(it.Amount), fyne.TextStyle{}); need > a.widths[3]+0.5 {
					t.Errorf("%s needs %.0f, the amount column is %.0f wide", money(it.Amount), need, a.widths[3])
				}
				if need := textWidth(it.RefID, fyne.TextStyle{Monospace: true}); need > a.widths[0]+0.5 {
					t.Errorf("REFID %s needs %.0f, column %.0f", it.RefID, need, a.widths[0])
				}
				if !strings.Contains(it.dest, "••••") {
					t.Errorf("%s: destination %q is not a bank and masked account", it.RefID, it.dest)
				}
				total, _ = total.Add(it.Amount)
				perPayee[it.PayeeID], _ = perPayee[it.PayeeID].Add(it.Amount)
			}
			if !strings.Contains(a.summary.Text, money(total)) {
				t.Errorf("summary %q lacks the total %s", a.summary.Text, money(total))
			}
			for _, p := range a.payees {
				if p.total != perPayee[p.id] {
					t.Errorf("%s: sum %s, want %s", p.name, money(p.total), money(perPayee[p.id]))
				}
			}
			// What is on screen, scrolled through every row, cuts nothing
			// (the dialog's content: fyne never sizes a dialog's title label).
			top := u.win.Canvas().Overlays().Top()
			if sz := top.MinSize(); sz.Width > screenSize.Width || sz.Height > screenSize.Height {
				t.Errorf("dialog needs %v, more than the 1366x768 screen", sz)
			}
			a.table.Refresh()
			test.WidgetRenderer(a.table).Layout(a.table.Size())
			if bad := cutOff(a.content); len(bad) > 0 {
				t.Fatalf("cut off: %q", bad)
			}
			seen := map[string]bool{}
			for _, o := range drawnObjects(a.content, nil) {
				if l, ok := o.(*widget.Label); ok {
					seen[l.Text] = true
				}
			}
			// The rows on screen are the largest, with their reason; every
			// other row has the same cells, measured above.
			for _, want := range []string{money(a.shown[0].Amount), a.shown[0].RefID, a.shown[0].dest, transferReason(a.shown[0].Transfer), money(a.payees[0].total)} {
				if !seen[want] {
					t.Errorf("%q not on screen", want)
				}
			}

			// Approve one payee's transfers only: untick the others.
			keep := a.payees[0]
			for _, p := range a.payees[1:] {
				p.on = false
			}
			a.update()
			if len(a.shown) != keep.n || !strings.Contains(a.summary.Text, money(keep.total)) {
				t.Fatalf("one payee: %d shown (want %d), summary %q", len(a.shown), keep.n, a.summary.Text)
			}
			code, err := totp.GenerateCode(env.secret, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			test.Type(focusedKeyEntry(t, u), code)
			test.Tap(a.form.confirm)
			waitIdle(u)
			if !a.form.closed {
				t.Fatal("dialog still open after a right code")
			}
			for _, ref := range append(refs, env.seed.awaiting...) {
				st := statusOf(t, env.store, ref)
				var payee int64
				for _, it := range a.items {
					if it.RefID == ref {
						payee = it.PayeeID
					}
				}
				want := domain.TransferAwaitingApproval
				if payee == keep.id {
					want = domain.TransferApproved
				}
				if st != want {
					t.Errorf("%s (payee %d) is %s, want %s", ref, payee, st, want)
				}
			}
		})
	}
}

// tableSelectedRow is the row fyne's table highlights (its own state, read
// by reflection: the widget does not export it), -1 for none.
func tableSelectedRow(tb *widget.Table) int {
	v := reflect.ValueOf(tb).Elem().FieldByName("selectedCell")
	if v.IsNil() {
		return -1
	}
	return int(v.Elem().FieldByName("Row").Int())
}

// TestSelectionStaysOnREFIDWhileTransfersArrive: the owner clicks a
// waiting transfer; 50 new ones arrive above it in batches (each batch a
// refresh, as the engine's events cause); the highlighted row, the row the
// table's selection points at and the detail panel stay on that REFID.
func TestSelectionStaysOnREFIDWhileTransfersArrive(t *testing.T) {
	env := newTestEnv(t, false)
	u := newTestUI(t, env.services(), domain.RoleOwner)
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	s.selectTab(tabApproval)
	waitIdle(u)
	tb := s.tables[tabApproval]
	tb.table.Select(widget.TableCellID{Row: 1, Col: 2}) // a click on the second row
	waitIdle(u)
	want, ok := tb.pager.Row(1)
	if !ok || s.selected == nil || s.selected.RefID != want.RefID {
		t.Fatalf("click did not select row 1 (%v)", s.selected)
	}
	for batch := 0; batch < 5; batch++ {
		addAwaiting(t, env.store, env.seed.payees, fmt.Sprintf("RF-NEW%d", batch), 10, func(i int) domain.Rupiah { return domain.Rupiah(70_000 + i) })
		u.reloadCurrent()
		waitIdle(u)
		row := tableSelectedRow(tb.table)
		got, ok := tb.pager.Row(row)
		if row < 0 || !ok || got.RefID != want.RefID {
			t.Fatalf("after %d new transfers the highlight is on row %d (%s), want %s", (batch+1)*10, row, got.RefID, want.RefID)
		}
		if key, _ := tb.SelectedKey(); key != want.RefID || s.selected == nil || s.selected.RefID != want.RefID {
			t.Fatalf("after %d new transfers: selection %s, detail %v, want %s", (batch+1)*10, key, s.selected, want.RefID)
		}
		if !markupHas(u, want.RefID) {
			t.Fatalf("detail panel no longer shows %s", want.RefID)
		}
	}
	if n := tb.pager.Len(); n != 53 {
		t.Fatalf("approval tab has %d rows, want 53", n)
	}
	// The transfer leaves the tab (rejected): no row is highlighted rather
	// than another transfer.
	if err := env.eng.Reject(context.Background(), domain.Actor{Name: "owner", Role: domain.RoleOwner}, want.RefID, "test"); err != nil {
		t.Fatal(err)
	}
	u.reloadCurrent()
	waitIdle(u)
	if row := tableSelectedRow(tb.table); row >= 0 {
		r, _ := tb.pager.Row(row)
		t.Fatalf("after %s left the tab the highlight is on %s", want.RefID, r.RefID)
	}
}

// TestDoubleApproveIsOneCodeUse: with the real security service checking
// codes (replays refused, failures counted towards the lockout), a
// double-click on the detail panel's Approve opens one dialog, and a
// double-click on its Approve button plus Enter approve once: no failure is
// counted, the transfer is approved once, and the same approval sent again
// (a retried request) is accepted as the same approval.
func TestDoubleApproveIsOneCodeUse(t *testing.T) {
	db, sec, owner, seed, secret := securedShopWithSecret(t)
	eng, err := engine.New(engine.Config{Store: db, Channels: map[string]domain.PayoutChannel{"xendit": nil}, DefaultChannel: "xendit", Codes: sec})
	if err != nil {
		t.Fatal(err)
	}
	svc := Services{Store: db, Now: func() time.Time { return fixedNow }, Location: time.UTC, Transfers: engineActor{eng}, Review: engineReview{eng}}
	u := newTestUI(t, svc, domain.RoleOwner)
	u.actor = owner
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	tb := s.tables[tabApproval]
	ref := seed.awaiting[0]
	if !tb.SelectKey(ref) {
		t.Fatalf("%s not in the approval tab", ref)
	}
	waitIdle(u)
	btn := findButton(s.detail, tr("action.approve"))
	if btn == nil || btn.Disabled() {
		t.Fatal("detail panel has no enabled Approve for a waiting transfer")
	}
	if findButton(s.detail, tr("action.reject")) == nil {
		t.Fatal("detail panel has no Reject")
	}
	overlays := len(u.win.Canvas().Overlays().List())
	test.Tap(btn)
	test.Tap(btn)
	waitIdle(u)
	if n := len(u.win.Canvas().Overlays().List()) - overlays; n != 1 {
		t.Fatalf("double-click on Approve opened %d dialogs", n)
	}
	a := s.approving
	if len(a.shown) != 1 || a.shown[0].RefID != ref {
		t.Fatalf("dialog lists %v", refIDs(a.shown))
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	entry := focusedKeyEntry(t, u)
	test.Type(entry, code)
	test.Tap(a.form.confirm)
	test.Tap(a.form.confirm)
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	waitIdle(u)
	if !a.form.closed {
		t.Fatal("dialog still open after the approval")
	}
	if got := statusOf(t, db, ref); got != domain.TransferApproved {
		t.Fatalf("%s is %s, want approved", ref, got)
	}
	// The same approval again (a retried request): the same, accepted.
	if err := eng.Approve(context.Background(), owner, code, ref); err != nil {
		t.Fatalf("the same approval again: %v", err)
	}
	after := userByName(t, sec, owner, "sari")
	if after.Failures != 0 || after.LockedUntil.After(time.Now()) {
		t.Fatalf("double approve counted %d failed code uses (locked until %v)", after.Failures, after.LockedUntil)
	}
	approvals := 0
	if err := db.Read(context.Background(), func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(0, 0)
		for _, e := range es {
			if e.Subject == "transfer:"+ref && strings.Contains(e.Detail, "approved") && e.Actor == owner.Name {
				approvals++
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if approvals != 1 {
		t.Fatalf("%d approvals of %s in the audit log, want 1", approvals, ref)
	}
}

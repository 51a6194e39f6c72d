package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
	"lunas/domain/engine"
)

// conflictEnv makes the real sandbox pay the seeded failed transfer's REFID
// after all (a supplier reprocessed it) and lets the real engine hear it: an
// open conflict, recorded by the engine in the real store.
func conflictEnv(t *testing.T) *testEnv {
	t.Helper()
	env := newTestEnv(t, false)
	ctx := context.Background()
	ref := env.seed.failed
	if _, err := env.x.Send(ctx, domain.PayoutRequest{RefID: ref, Amount: 189000, Channel: "BNI",
		AccountNumber: "0001000012", AccountHolder: "Pak Joko (Batik Cap)", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the sandbox to pay it", func() bool {
		r, err := env.x.Status(ctx, ref)
		return err == nil && r.Outcome == domain.OutcomeSucceeded
	})
	owner := domain.Actor{Name: "sari", Role: domain.RoleOwner}
	if _, err := env.eng.CheckNow(ctx, owner, ref); err != nil {
		t.Fatal(err)
	}
	if got := statusOf(t, env.store, ref); got != domain.TransferFailed {
		t.Fatalf("late news moved the transfer to %s", got)
	}
	cs, err := env.eng.Conflicts(ctx)
	if err != nil || len(cs) != 1 || cs[0].RefID != ref || cs[0].News != domain.OutcomeSucceeded {
		t.Fatalf("conflicts = %+v, %v", cs, err)
	}
	return env
}

// openTransfer selects ref in a tab of the transfers screen.
func openTransfer(t *testing.T, u *UI, tab, ref string) *transfersScreen {
	t.Helper()
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	s.selectTab(tab)
	tb := s.tables[tab]
	tb.table.Refresh()
	waitIdle(u)
	for i := 0; i < tb.pager.Len(); i++ {
		if r, ok := tb.pager.Row(i); ok && r.RefID == ref {
			tb.table.Select(widget.TableCellID{Row: i, Col: 0})
			waitIdle(u)
			return s
		}
	}
	t.Fatalf("%s not in tab %s", ref, tab)
	return nil
}

func TestConflictShownAndActionsFollowRole(t *testing.T) {
	env := conflictEnv(t)
	ref := env.seed.failed
	banner := "The gateway reported this transfer SUCCEEDED although Lunas recorded it failed"
	for _, role := range []domain.Role{domain.RoleStaff, domain.RoleViewer} {
		t.Run(string(role), func(t *testing.T) {
			u := newTestUI(t, env.services(), role)
			s := openTransfer(t, u, tabAttention, ref)
			for _, want := range []string{banner, "Only the owner can settle this conflict"} {
				if !hasText(s.detail, want) {
					t.Errorf("detail lacks %q", want)
				}
			}
			for _, no := range []string{tr("action.paidafterall"), tr("action.resolveconflict")} {
				if findButton(s.detail, no) != nil {
					t.Errorf("%s sees %q", role, no)
				}
			}
			if b := findButton(s.detail, tr("action.sendagain")); b == nil || !b.Disabled() {
				t.Error("send again not disabled")
			}
			// The engine refuses them too, whatever the screen shows.
			actor := domain.Actor{Name: string(role), Role: role}
			rv := engineReview{env.eng}
			if err := rv.ResolveConflict(context.Background(), actor, ref, "checked"); !errors.Is(err, domain.ErrPermission) {
				t.Errorf("%s resolved a conflict: %v", role, err)
			}
			if err := rv.ConfirmPaidAfterAll(context.Background(), actor, ref, "checked"); !errors.Is(err, domain.ErrPermission) {
				t.Errorf("%s confirmed a payment: %v", role, err)
			}
		})
	}

	t.Run("owner", func(t *testing.T) {
		u := newTestUI(t, env.services(), domain.RoleOwner)
		if !strings.Contains(markup(u), "Needs attention") {
			t.Fatal("no dashboard")
		}
		s := openTransfer(t, u, tabAttention, ref)
		for _, want := range []string{banner, "do not send it again", "Sending again could pay twice", tr("action.paidafterall.help")} {
			if !hasText(s.detail, want) {
				t.Errorf("detail lacks %q", want)
			}
		}
		if b := findButton(s.detail, tr("action.sendagain")); b == nil || !b.Disabled() {
			t.Fatal("send again not disabled during a conflict")
		}
		if findButton(s.conflicts, tr("conflict.open")) == nil {
			t.Error("the conflict is not listed above Needs attention")
		}

		// Resolve asks for a note and refuses an empty one.
		test.Tap(findButton(s.detail, tr("action.resolveconflict")))
		note := focusedKeyEntry(t, u)
		note.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if !markupHas(u, tr("conflict.note.missing")) {
			t.Fatal("an empty note was not refused")
		}
		note.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})

		// The money did leave: the owner records it, with a note.
		test.Tap(findButton(s.detail, tr("action.paidafterall")))
		note = focusedKeyEntry(t, u)
		test.Type(note, "BNI statement shows Rp189.000 to Pak Joko on 22/11")
		note.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		waitFor(t, 5*time.Second, "the correction", func() bool {
			return statusOf(t, env.store, ref) == domain.TransferSucceeded
		})
		if cs, err := env.eng.Conflicts(context.Background()); err != nil || len(cs) != 0 {
			t.Fatalf("conflicts after the correction = %+v, %v", cs, err)
		}
		var audited bool
		if err := env.store.Read(context.Background(), func(tx domain.ReadTx) error {
			es, err := tx.ListAudit(0, 0)
			for _, e := range es {
				if e.Action == "transfer.corrected" && e.Subject == "transfer:"+ref && e.Actor == string(domain.RoleOwner) &&
					strings.Contains(e.Detail, "BNI statement") {
					audited = true
				}
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !audited {
			t.Error("the correction is not in the audit log with the owner's note")
		}
		waitFor(t, 5*time.Second, "the detail to refresh", func() bool {
			waitIdle(u)
			return !hasText(s.detail, banner) && hasText(s.detail, tr("status.succeeded"))
		})
		if env.sb.PaidCount("xendit", ref) != 1 {
			t.Errorf("sandbox paid %s %d times", ref, env.sb.PaidCount("xendit", ref))
		}
	})
}

// A conflict on a cancelled transfer is not in Needs attention by status:
// the dashboard still counts it, and the owner resolves it from the list.
func TestDashboardCountsConflictAndResolveWorks(t *testing.T) {
	env := newTestEnv(t, false)
	ctx := context.Background()
	u := newTestUI(t, env.services(), domain.RoleOwner)
	before := u.screens[ScreenDashboard].(*dashboard).data.NeedsAttention
	ref := "RF-20261122-0013" // accepted in the seed
	if err := env.store.Write(ctx, func(tx domain.Tx) error {
		if err := tx.(engine.CorrectionTx).CorrectTransferStatus(ref, domain.TransferAccepted, domain.TransferCancelled, "test: cancelled"); err != nil {
			return err
		}
		return tx.(engine.ConflictTx).RecordConflict(engine.Conflict{RefID: ref, Stored: domain.TransferCancelled,
			News: domain.OutcomeSucceeded, Detail: "stored cancelled, gateway says succeeded", At: fixedNow})
	}); err != nil {
		t.Fatal(err)
	}
	u.Navigate(ScreenDashboard)
	u.screens[ScreenDashboard].reload()
	waitIdle(u)
	if got := u.screens[ScreenDashboard].(*dashboard).data.NeedsAttention; got != before+1 {
		t.Fatalf("needs attention = %d, want %d (with the conflict)", got, before+1)
	}
	u.Navigate(ScreenTransfers)
	waitIdle(u)
	s := u.screens[ScreenTransfers].(*transfersScreen)
	s.selectTab(tabAttention)
	s.reload()
	waitIdle(u)
	open := findButton(s.conflicts, tr("conflict.open"))
	if open == nil {
		t.Fatal("the conflict is not listed")
	}
	test.Tap(open)
	waitIdle(u)
	test.Tap(findButton(s.detail, tr("action.resolveconflict")))
	note := focusedKeyEntry(t, u)
	test.Type(note, "Xendit dashboard: cancelled, nothing paid")
	note.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	waitFor(t, 5*time.Second, "the conflict to close", func() bool {
		cs, err := env.eng.Conflicts(ctx)
		return err == nil && len(cs) == 0
	})
	if got := statusOf(t, env.store, ref); got != domain.TransferCancelled {
		t.Errorf("resolving moved the status to %s", got)
	}
}

// The detail shows the destination fixed at creation, masked, not the
// payee's current data.
func TestDetailShowsFixedMaskedDestination(t *testing.T) {
	env := newTestEnv(t, false)
	ref := env.seed.failed
	if err := env.store.Write(context.Background(), func(tx domain.Tx) error {
		tr, err := tx.GetTransfer(ref)
		if err != nil {
			return err
		}
		return tx.(engine.DestinationTx).SaveDestination(tr.ID, engine.Destination{Bank: "BNI", AccountNumber: "0001009876",
			AccountHolder: "Joko Santoso"}, fixedNow)
	}); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, env.services(), domain.RoleOwner)
	s := openTransfer(t, u, tabAttention, ref)
	m := markup(u)
	if want := "BNI " + domain.MaskAccount("0001009876") + " · Joko Santoso"; !hasText(s.detail, want) {
		t.Errorf("detail lacks the fixed destination %q", want)
	}
	for _, no := range []string{"0001009876", "0001000012"} {
		if strings.Contains(m, no) {
			t.Errorf("detail shows the account number %s unmasked", no)
		}
	}
	if strings.Contains(m, "SUCCEEDED") {
		t.Error("a conflict is shown where there is none")
	}
}

// hasText reports whether a label under o contains text (wrapped labels
// render as several lines, so the markup would split it).
func hasText(o fyne.CanvasObject, text string) bool {
	switch v := o.(type) {
	case *widget.Label:
		return strings.Contains(v.Text, text)
	case *fyne.Container:
		for _, c := range v.Objects {
			if hasText(c, text) {
				return true
			}
		}
	case *widget.Form:
		for _, it := range v.Items {
			if it.Widget != nil && hasText(it.Widget, text) {
				return true
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			if hasText(c, text) {
				return true
			}
		}
	}
	return false
}

// The warning reads as the owner needs it, in both languages.
func TestConflictTextBothLanguages(t *testing.T) {
	c := Conflict{RefID: "RF-1", Stored: domain.TransferFailed, News: domain.OutcomeSucceeded}
	for _, tc := range []struct{ lang, want string }{
		{LangIndonesian, "Gateway melaporkan transfer ini BERHASIL padahal tercatat gagal — jangan kirim ulang; periksa mutasi rekening penerima"},
		{LangEnglish, "The gateway reported this transfer SUCCEEDED although Lunas recorded it failed — do not send it again"},
	} {
		SetLanguage(tc.lang)
		if got := conflictText(c); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q lacks %q", tc.lang, got, tc.want)
		}
	}
	SetLanguage(LangEnglish)
	if n := countExtraAttention([]Conflict{c, {Stored: domain.TransferCancelled}, {Stored: domain.TransferRejected}}); n != 2 {
		t.Errorf("extra attention = %d, want 2 (failed is counted by status)", n)
	}
}

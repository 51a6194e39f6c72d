package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// Conflict is gateway news that contradicts a transfer's final status (for
// example "succeeded" for a transfer Lunas recorded failed): money may have
// moved, so the engine refuses "send again" while it is open.
type Conflict struct {
	RefID  string
	Stored domain.TransferStatus // what Lunas had recorded
	News   domain.PayoutOutcome  // what the gateway said
	Detail string
	At     time.Time
}

// Destination is where a transfer's money goes, fixed when the transfer was
// created; a later payee edit does not change it. The UI masks the account.
type Destination struct {
	Bank          string
	AccountNumber string
	AccountHolder string
}

// TransferReview is what the transfer detail needs beyond the store: open
// conflicts and the owner's two ways out of one, and each transfer's fixed
// destination. Implementations check permissions and audit below the UI.
type TransferReview interface {
	// Conflicts lists every open conflict, oldest first.
	Conflicts(ctx context.Context) ([]Conflict, error)
	// Destination is where the transfer's money goes, as fixed at creation.
	Destination(ctx context.Context, refID string) (Destination, error)
	// ResolveConflict closes a conflict after the owner checked the gateway
	// and found no money left (then "send again" is allowed).
	ResolveConflict(ctx context.Context, actor domain.Actor, refID, note string) error
	// ConfirmPaidAfterAll records that the money did leave: the transfer
	// becomes succeeded, the payout is booked and the conflict closed.
	ConfirmPaidAfterAll(ctx context.Context, actor domain.Actor, refID, note string) error
}

// reviewInfo is what the detail panel loaded for one transfer.
type reviewInfo struct {
	refID    string
	conflict *Conflict
	dest     *Destination
	destErr  error
}

// loadReview fetches the conflict and destination of refID (off the UI goroutine).
func loadReview(ctx context.Context, r TransferReview, refID string) reviewInfo {
	info := reviewInfo{refID: refID}
	if cs, err := r.Conflicts(ctx); err == nil {
		for _, c := range cs {
			if c.RefID == refID {
				c := c
				info.conflict = &c
				break
			}
		}
	}
	d, err := r.Destination(ctx, refID)
	if err != nil {
		info.destErr = err
	} else {
		info.dest = &d
	}
	return info
}

// countExtraAttention counts open conflicts whose transfer is not already
// counted as needing attention by its status (a cancelled or rejected one).
func countExtraAttention(cs []Conflict) int {
	n := 0
	for _, c := range cs {
		switch c.Stored {
		case domain.TransferUnknown, domain.TransferFailed, domain.TransferReversed:
		default:
			n++
		}
	}
	return n
}

// newsText is the gateway's contradicting word, in capitals for emphasis.
func newsText(o domain.PayoutOutcome) string {
	if s := tr("news." + string(o)); s != "news."+string(o) {
		return s
	}
	return strings.ToUpper(string(o))
}

// conflictText is the plain-words warning for an open conflict.
func conflictText(c Conflict) string {
	return trf("conflict.banner", map[string]any{"News": newsText(c.News), "Stored": strings.ToLower(statusText(c.Stored))})
}

// destinationLabel says where the money goes (bank, masked account, holder)
// across the panel's width, under the amount: the two facts an approver
// approves. nil when no engine runs to tell.
func destinationLabel(info reviewInfo) *widget.Label {
	var text string
	switch {
	case errors.Is(info.destErr, ErrNotAvailable):
		return nil
	case info.dest != nil:
		d := info.dest
		text = strings.TrimSpace(d.Bank + " " + domain.MaskAccount(d.AccountNumber) + " · " + d.AccountHolder)
	case info.destErr != nil:
		text = userMessage(info.destErr)
	default:
		text = tr("destination.loading")
	}
	l := widget.NewLabel(tr("col.destination") + ": " + text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// conflictSection is the detail panel's warning and, for the owner, the two
// ways out; staff and viewers see the warning and who may act.
func (s *transfersScreen) conflictSection(c Conflict) []fyne.CanvasObject {
	warn := widget.NewLabelWithStyle(conflictText(c), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.DangerImportance
	detail := widget.NewLabel(trf("conflict.detail", map[string]any{"Detail": c.Detail, "At": dateTime(c.At, s.u.svc.Location)}))
	detail.Wrapping = fyne.TextWrapWord
	detail.Importance = widget.LowImportance
	out := []fyne.CanvasObject{widget.NewSeparator(), container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, warn), detail}
	if !s.u.can(domain.PermApprove) || s.u.svc.Review == nil {
		l := widget.NewLabel(tr("conflict.owneronly"))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.LowImportance
		return append(out, l)
	}
	rv := s.u.svc.Review
	for _, a := range []struct {
		label, help, confirm string
		run                  func(ctx context.Context, actor domain.Actor, refID, note string) error
	}{
		{tr("action.paidafterall"), tr("action.paidafterall.help"), tr("action.paidafterall.confirm"), rv.ConfirmPaidAfterAll},
		{tr("action.resolveconflict"), tr("action.resolveconflict.help"), tr("action.resolveconflict.confirm"), rv.ResolveConflict},
	} {
		a := a
		btn := widget.NewButton(a.label, func() { s.conflictDialog(c.RefID, a.label, a.help, a.confirm, a.run) })
		help := widget.NewLabel(a.help)
		help.Wrapping = fyne.TextWrapWord
		help.Importance = widget.LowImportance
		out = append(out, btn, help)
	}
	return out
}

// conflictDialog asks for the note (required: it goes into the audit log)
// and runs the owner's choice through the engine.
func (s *transfersScreen) conflictDialog(refID, title, help, confirm string,
	run func(ctx context.Context, actor domain.Actor, refID, note string) error) {
	s.u.resetLockTimer()
	explain := widget.NewLabel(help + "\n\n" + confirm)
	explain.Wrapping = fyne.TextWrapWord
	note := newKeyEntry()
	note.SetPlaceHolder(tr("conflict.note.placeholder"))
	status := widget.NewLabel("")
	status.Importance = widget.DangerImportance
	status.Wrapping = fyne.TextWrapWord
	ref := widget.NewLabelWithStyle(refID, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	content := container.NewVBox(ref, container.NewGridWrap(fyne.NewSize(440, 130), explain), note, status)
	var f *formDialog
	f = showForm(s.u.win, title, title, content, []*keyEntry{note}, func() {
		text := strings.TrimSpace(note.Text)
		if text == "" {
			status.SetText(tr("conflict.note.missing"))
			return
		}
		f.confirm.Disable()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, s.u.actor, refID, text)
			runOnUI(func() {
				f.confirm.Enable()
				if err != nil {
					status.SetText(userMessage(err))
					return
				}
				f.Close()
				showToast(s.u.win, tr("action.done"))
				s.reload()
			})
		}()
	})
}

// loadConflicts refreshes the list of open conflicts above the Needs
// attention table (a cancelled transfer with a conflict is not in the table).
func (s *transfersScreen) loadConflicts() {
	rv := s.u.svc.Review
	if rv == nil || s.conflicts == nil {
		return
	}
	s.wg.add()
	go func() {
		defer s.wg.done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cs, err := rv.Conflicts(ctx)
		runOnUI(func() {
			s.conflicts.Objects = nil
			if err == nil {
				for _, c := range cs {
					c := c
					l := widget.NewLabel(c.RefID + " — " + conflictText(c))
					l.Truncation = fyne.TextTruncateEllipsis
					l.Importance = widget.DangerImportance
					open := widget.NewButtonWithIcon(tr("conflict.open"), theme.WarningIcon(), func() { s.openRef(c.RefID) })
					s.conflicts.Add(container.NewBorder(nil, nil, nil, open, l))
				}
			}
			s.conflicts.Refresh()
		})
	}()
}

// openRef shows one transfer's detail by REFID.
func (s *transfersScreen) openRef(refID string) {
	s.selected = &transferRow{Transfer: domain.Transfer{RefID: refID}}
	s.refreshSelected(refID)
}

package ui

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// monitoringScreen shows the flag queue and the audit log with "verify chain".
type monitoringScreen struct {
	u       *UI
	root    fyne.CanvasObject
	flags   *fyne.Container
	audit   *dataTable[domain.AuditEntry]
	result  *widget.Label
	wg      chanWaiter
	lastSeq atomic.Int64
}

func newMonitoringScreen(u *UI) *monitoringScreen {
	s := &monitoringScreen{u: u}
	s.flags = container.NewVBox()
	st := u.svc.Store
	// The audit log is append-only with Seq 1..n, so a page is a Seq range:
	// newest first, fetched with ListAudit(after, limit).
	p := newPager(func(ctx context.Context, off, lim int) ([]domain.AuditEntry, error) {
		var out []domain.AuditEntry
		err := st.Read(ctx, func(tx domain.ReadTx) error {
			hi := s.lastSeq.Load() - int64(off)
			lo := hi - int64(lim)
			if lo < 0 {
				lo = 0
			}
			es, err := tx.ListAudit(lo, int(hi-lo))
			for i := len(es) - 1; i >= 0; i-- {
				out = append(out, es[i])
			}
			return err
		})
		return out, err
	}, func(ctx context.Context) (int, error) {
		var last int64
		err := st.Read(ctx, func(tx domain.ReadTx) error {
			// The newest entry's Seq is the count; read the tail cheaply.
			after := int64(0)
			for {
				es, err := tx.ListAudit(after, 1000)
				if err != nil {
					return err
				}
				if len(es) == 0 {
					break
				}
				after = es[len(es)-1].Seq
				if len(es) < 1000 {
					break
				}
			}
			last = after
			return nil
		})
		s.lastSeq.Store(last)
		return int(last), err
	})
	p.setOnError(func(err error) { showError(u.win, err) })
	loc := u.svc.Location
	s.audit = newDataTable(p, []column[domain.AuditEntry]{
		{"#", 0, func(e domain.AuditEntry) string { return strconv.FormatInt(e.Seq, 10) }},
		{tr("col.time"), dateTimeWidth(), func(e domain.AuditEntry) string { return dateTime(e.At, loc) }},
		{tr("col.actor"), 0, func(e domain.AuditEntry) string { return e.Actor }},
		{tr("col.action"), 0, func(e domain.AuditEntry) string { return e.Action }},
		{tr("col.subject"), 0, func(e domain.AuditEntry) string { return e.Subject }},
		{tr("col.detail"), 0, func(e domain.AuditEntry) string { return e.Detail }},
	}, nil)
	// Every column as wide as its text; the detail (an amount, a payee, a
	// reason in two languages) takes the rest and wraps onto taller rows.
	s.audit.shareWidth(payeesBudget, 5, 260, []colStyle{{fit: true}, {}, {fit: true}, {fit: true}, {fit: true}, {wrap: true}})
	s.result = widget.NewLabel("")
	s.result.Wrapping = fyne.TextWrapWord
	verify := widget.NewButtonWithIcon(tr("audit.verify"), theme.ConfirmIcon(), s.verify)
	u.guard(verify, domain.PermVerifyAudit)
	if u.svc.Audit == nil {
		verify.Disable()
	}
	flagsCard := widget.NewCard(tr("flags.title"), tr("flags.help"), s.flags)
	auditHead := container.NewBorder(nil, nil, widget.NewLabelWithStyle(tr("audit.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), verify, s.result)
	split := container.NewVSplit(container.NewVScroll(flagsCard), container.NewBorder(auditHead, nil, nil, nil, s.audit.table))
	split.SetOffset(0.35)
	s.root = container.NewPadded(split)
	s.reload()
	return s
}

func (s *monitoringScreen) view() fyne.CanvasObject { return s.root }
func (s *monitoringScreen) focusSearch()            {}

func (s *monitoringScreen) reload() {
	s.audit.Reload()
	if s.u.svc.Flags == nil {
		s.flags.Objects = []fyne.CanvasObject{emptyHint(tr("err.notavailable"))}
		s.flags.Refresh()
		return
	}
	s.wg.add()
	go func() {
		defer s.wg.done()
		fl, err := s.u.svc.Flags.OpenFlags(context.Background(), domain.Page{Limit: 200})
		runOnUI(func() {
			s.flags.Objects = nil
			if err != nil {
				s.flags.Add(widget.NewLabel(userMessage(err)))
			} else if len(fl) == 0 {
				s.flags.Add(emptyHint(tr("flags.none")))
			}
			for _, f := range fl {
				s.flags.Add(s.flagRow(f))
			}
			s.flags.Refresh()
		})
	}()
}

func (s *monitoringScreen) flagRow(f Flag) fyne.CanvasObject {
	reason := f.Reason
	if currentLanguage() == LangEnglish && f.ReasonEN != "" {
		reason = f.ReasonEN
	}
	text := widget.NewLabel(dateTime(f.At, s.u.svc.Location) + " · " + f.Rule + " · " + reason)
	text.Wrapping = fyne.TextWrapWord
	ref := widget.NewLabelWithStyle(f.RefID, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	clear := widget.NewButton(tr("flags.clear"), func() {
		note := newKeyEntry()
		note.SetPlaceHolder(tr("flags.note"))
		var d *formDialog
		d = showForm(s.u.win, tr("flags.clear"), tr("flags.clear"), note, []*keyEntry{note}, func() {
			n := strings.TrimSpace(note.Text)
			if n == "" {
				return
			}
			go func() {
				err := s.u.svc.Flags.ClearFlag(context.Background(), s.u.actor, f.ID, n)
				runOnUI(func() {
					if err != nil {
						showError(s.u.win, err)
						return
					}
					d.Close()
					s.reload()
				})
			}()
		})
	})
	s.u.guard(clear, domain.PermApprove)
	copyRef := copyButton(func() fyne.Window { return s.u.win }, func() string { return f.RefID })
	return container.NewBorder(nil, widget.NewSeparator(), nil, container.NewHBox(ref, copyRef, clear), text)
}

func (s *monitoringScreen) verify() {
	s.result.SetText(tr("audit.verifying"))
	go func() {
		n, err := s.u.svc.Audit.VerifyAudit(context.Background(), s.u.actor)
		runOnUI(func() {
			if err != nil {
				s.result.Importance = widget.DangerImportance
				s.result.SetText(tr("audit.broken") + " " + userMessage(err))
				return
			}
			s.result.Importance = widget.SuccessImportance
			s.result.SetText(trf("audit.ok", map[string]any{"N": formatCount(n)}))
		})
	}()
}

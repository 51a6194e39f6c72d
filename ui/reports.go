package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// Report kinds offered on the Reports screen.
var reportKinds = []string{"transfers", "orders", "payments", "ledger", "flags", "audit"}

// reportsScreen exports spreadsheets with progress and cancel, and runs a
// reconciliation.
type reportsScreen struct {
	u        *UI
	root     fyne.CanvasObject
	kind     *widget.Select
	format   *widget.RadioGroup
	from, to *widget.Entry
	status   *widget.Select
	progress *widget.ProgressBar
	progLbl  *widget.Label
	export   *widget.Button
	cancel   *widget.Button
	stop     context.CancelFunc
	recon    *fyne.Container
}

func newReportsScreen(u *UI) *reportsScreen {
	s := &reportsScreen{u: u}
	kinds := make([]string, len(reportKinds))
	for i, k := range reportKinds {
		kinds[i] = tr("report." + k)
	}
	s.kind = widget.NewSelect(kinds, nil)
	s.kind.SetSelected(kinds[0])
	s.format = widget.NewRadioGroup([]string{"xlsx", "csv"}, nil)
	s.format.Horizontal = true
	s.format.SetSelected("xlsx")
	now := u.svc.Now().In(u.svc.Location)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, u.svc.Location)
	s.from, s.to = widget.NewEntry(), widget.NewEntry()
	s.from.SetText(first.Format(time.DateOnly))
	s.to.SetText(now.Format(time.DateOnly))
	statusOpts := []string{tr("filter.all")}
	for _, st := range domain.AllTransferStatuses {
		statusOpts = append(statusOpts, statusText(st))
	}
	s.status = widget.NewSelect(statusOpts, nil)
	s.status.SetSelected(statusOpts[0])
	s.progress = widget.NewProgressBar()
	s.progLbl = widget.NewLabel("")
	s.export = widget.NewButtonWithIcon(tr("report.export"), theme.DownloadIcon(), s.startExport)
	s.export.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon(tr("action.cancel"), theme.CancelIcon(), func() {
		if s.stop != nil {
			s.stop()
		}
	})
	s.cancel.Disable()
	if !u.can(domain.PermExport) || u.svc.Exporter == nil {
		s.export.Disable()
	}
	form := widget.NewForm(
		widget.NewFormItem(tr("report.kind"), s.kind),
		widget.NewFormItem(tr("report.from"), s.from),
		widget.NewFormItem(tr("report.to"), s.to),
		widget.NewFormItem(tr("col.status"), s.status),
		widget.NewFormItem(tr("report.format"), s.format),
	)
	exportCard := widget.NewCard(tr("report.export.title"), tr("report.export.help"),
		container.NewVBox(form, container.NewHBox(s.export, s.cancel), s.progress, s.progLbl))

	s.recon = container.NewVBox()
	run := widget.NewButtonWithIcon(tr("recon.run"), theme.ViewRefreshIcon(), s.reconcile)
	if u.svc.Reconciler == nil || !u.can(domain.PermView) {
		run.Disable()
	}
	reconCard := widget.NewCard(tr("recon.title"), tr("recon.help"), container.NewVBox(run, s.recon))
	s.root = container.NewVScroll(container.NewPadded(container.NewVBox(exportCard, reconCard)))
	return s
}

func (s *reportsScreen) view() fyne.CanvasObject { return s.root }
func (s *reportsScreen) reload()                 {}
func (s *reportsScreen) focusSearch()            { s.u.win.Canvas().Focus(s.from) }

func (s *reportsScreen) period() (time.Time, time.Time, error) {
	loc := s.u.svc.Location
	from, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s.from.Text), loc)
	if err != nil {
		return time.Time{}, time.Time{}, domain.Invalid("from", "%s", tr("report.date.invalid"))
	}
	to, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s.to.Text), loc)
	if err != nil {
		return time.Time{}, time.Time{}, domain.Invalid("to", "%s", tr("report.date.invalid"))
	}
	return from, to.AddDate(0, 0, 1), nil
}

func (s *reportsScreen) kindCode() string {
	for _, k := range reportKinds {
		if s.kind.Selected == tr("report."+k) {
			return k
		}
	}
	return reportKinds[0]
}

// startExport asks where to save and writes the report with progress (Ctrl+E).
func (s *reportsScreen) startExport() {
	if s.export.Disabled() || s.stop != nil {
		return
	}
	from, to, err := s.period()
	if err != nil {
		showError(s.u.win, err)
		return
	}
	f := domain.TransferFilter{From: from, To: to}
	for _, st := range domain.AllTransferStatuses {
		if s.status.Selected == statusText(st) {
			f.Statuses = []domain.TransferStatus{st}
		}
	}
	kind, format := s.kindCode(), s.format.Selected
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			showError(s.u.win, err)
			return
		}
		if w == nil {
			return
		}
		// The exporter writes a temporary file and renames it, so it needs
		// the path, not the open writer.
		uri := w.URI()
		_ = w.Close()
		s.run(kind, f, uri)
	}, s.u.win)
	save.SetFileName("lunas-" + kind + "-" + s.from.Text + "-" + s.to.Text + "." + format)
	save.Show()
}

func (s *reportsScreen) run(kind string, f domain.TransferFilter, uri fyne.URI) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.export.Disable()
	s.cancel.Enable()
	s.progress.SetValue(0)
	s.progLbl.SetText(tr("report.working"))
	var last time.Time
	go func() {
		err := s.u.svc.Exporter.Export(ctx, s.u.actor, kind, f, uri.Path(), func(done, total int) {
			if time.Since(last) < 100*time.Millisecond && done != total {
				return
			}
			last = time.Now()
			runOnUI(func() {
				if total > 0 {
					s.progress.SetValue(float64(done) / float64(total))
				}
				s.progLbl.SetText(trf("report.progress", map[string]any{"Done": formatCount(done), "Total": formatCount(total)}))
			})
		})
		runOnUI(func() {
			cancel()
			s.stop = nil
			s.export.Enable()
			s.cancel.Disable()
			if err != nil {
				s.progLbl.SetText(userMessage(err))
				return
			}
			s.progress.SetValue(1)
			s.progLbl.SetText(trf("report.done", map[string]any{"File": uri.Name()}))
		})
	}()
}

func (s *reportsScreen) reconcile() {
	from, to, err := s.period()
	if err != nil {
		showError(s.u.win, err)
		return
	}
	s.recon.Objects = []fyne.CanvasObject{widget.NewProgressBarInfinite()}
	s.recon.Refresh()
	go func() {
		res, err := s.u.svc.Reconciler.Reconcile(context.Background(), s.u.actor, from, to)
		runOnUI(func() {
			s.recon.Objects = nil
			if err != nil {
				s.recon.Add(widget.NewLabel(userMessage(err)))
				s.recon.Refresh()
				return
			}
			head := widget.NewLabelWithStyle(trf("recon.result", map[string]any{"Matched": res.Matched, "Mismatched": len(res.Mismatches)}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			if len(res.Mismatches) == 0 {
				head.Importance = widget.SuccessImportance
			} else {
				head.Importance = widget.WarningImportance
			}
			s.recon.Add(head)
			for _, m := range res.Mismatches {
				l := widget.NewLabel(m)
				l.Wrapping = fyne.TextWrapWord
				s.recon.Add(l)
			}
			s.recon.Refresh()
		})
	}()
}

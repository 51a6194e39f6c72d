package ui

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// Report sheets offered on the Reports screen, in workbook order.
var reportKinds = []string{"summary", "orders", "payments", "transfers", "ledger", "flags", "audit"}

// reportsScreen exports spreadsheets with progress and cancel, and runs a
// reconciliation.
type reportsScreen struct {
	u        *UI
	root     fyne.CanvasObject
	sheets   *checkGrid
	format   *widget.RadioGroup
	from, to *widget.DateEntry
	status   *widget.Select
	progress *widget.ProgressBar
	progLbl  *widget.Label
	openDir  *widget.Button
	savedDir string
	export   *widget.Button
	cancel   *widget.Button
	stop     context.CancelFunc
	recon    *fyne.Container
	wg       chanWaiter // the running export, for tests
}

func newReportsScreen(u *UI) *reportsScreen {
	s := &reportsScreen{u: u}
	var kinds []string
	for _, k := range reportKinds {
		if k == "audit" && !u.can(domain.PermVerifyAudit) {
			continue // the audit sheet is the owner's
		}
		kinds = append(kinds, tr("report."+k))
	}
	s.sheets = newCheckGrid(kinds, 4) // one row of seven is wider than the screen in Indonesian
	s.sheets.SetSelected([]string{tr("report.transfers")})
	s.format = widget.NewRadioGroup([]string{"xlsx", "csv"}, nil)
	s.format.Horizontal = true
	s.format.SetSelected("xlsx")
	now := u.svc.Now().In(u.svc.Location)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, u.svc.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, u.svc.Location)
	s.from, s.to = widget.NewDateEntry(), widget.NewDateEntry()
	s.from.SetDate(&first)
	s.to.SetDate(&today)
	statusOpts := []string{tr("filter.all")}
	for _, st := range domain.AllTransferStatuses {
		statusOpts = append(statusOpts, statusText(st))
	}
	s.status = widget.NewSelect(statusOpts, nil)
	s.status.SetSelected(statusOpts[0])
	s.progress = widget.NewProgressBar()
	s.progLbl = widget.NewLabel("")
	s.progLbl.Wrapping = fyne.TextWrapWord
	s.openDir = widget.NewButtonWithIcon(tr("report.openfolder"), theme.FolderOpenIcon(), func() { openFolder(s.u, s.savedDir) })
	s.openDir.Hide()
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
		widget.NewFormItem(tr("report.kind"), s.sheets.box),
		widget.NewFormItem(tr("report.from"), s.from),
		widget.NewFormItem(tr("report.to"), s.to),
		widget.NewFormItem(tr("col.status"), s.status),
		widget.NewFormItem(tr("report.format"), s.format),
	)
	exportCard := widget.NewCard(tr("report.export.title"), tr("report.export.help"),
		container.NewVBox(form, container.NewHBox(s.export, s.cancel), s.progress, s.progLbl, container.NewHBox(s.openDir)))

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

// period is the days chosen, from the first day's midnight to the day after
// the last, in the shop's zone.
func (s *reportsScreen) period() (time.Time, time.Time, error) {
	loc := s.u.svc.Location
	day := func(e *widget.DateEntry, label string) (time.Time, error) {
		if e.Date == nil {
			return time.Time{}, invalidField(label, "report.date.invalid", nil)
		}
		d := e.Date.In(loc)
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc), nil
	}
	from, err := day(s.from, tr("report.from"))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := day(s.to, tr("report.to"))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if to.Before(from) {
		return time.Time{}, time.Time{}, invalidField(tr("report.to"), "report.date.order", nil)
	}
	return from, to.AddDate(0, 0, 1), nil
}

// chosenSheets are the sheet codes ticked, in workbook order.
func (s *reportsScreen) chosenSheets() []string {
	var out []string
	for _, k := range reportKinds {
		for _, sel := range s.sheets.Selected() {
			if sel == tr("report."+k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// startExport asks where to save and writes the report with progress (Ctrl+E).
func (s *reportsScreen) startExport() {
	if s.export.Disabled() || s.stop != nil {
		return
	}
	from, to, err := s.period()
	if err == nil && len(s.chosenSheets()) == 0 {
		err = invalidField(tr("report.kind"), "report.sheets.none", nil)
	}
	if err == nil && s.format.Selected == "csv" && len(s.chosenSheets()) > 1 {
		err = invalidField(tr("report.kind"), "report.csv.one", nil)
	}
	if err != nil {
		s.progLbl.Importance = widget.DangerImportance
		s.progLbl.SetText(userMessage(err))
		return
	}
	req := ExportRequest{Sheets: s.chosenSheets(), Lang: currentLanguage(), Filter: domain.TransferFilter{From: from, To: to}}
	for _, st := range domain.AllTransferStatuses {
		if s.status.Selected == statusText(st) {
			req.Filter.Statuses = []domain.TransferStatus{st}
		}
	}
	format := s.format.Selected
	name := "lunas-" + strings.Join(req.Sheets, "-") + "-" + from.Format(time.DateOnly) + "-" + to.AddDate(0, 0, -1).Format(time.DateOnly) + "." + format
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
		s.run(req, uri.Path())
	}, s.u.win)
	save.SetFileName(name)
	save.Show()
}

func (s *reportsScreen) run(req ExportRequest, path string) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.export.Disable()
	s.cancel.Enable()
	s.openDir.Hide()
	s.progress.SetValue(0)
	s.progLbl.Importance = widget.MediumImportance
	s.progLbl.SetText(tr("report.working"))
	var last time.Time
	s.wg.add()
	go func() {
		defer s.wg.done()
		err := s.u.svc.Exporter.Export(ctx, s.u.actor, req, path, func(done, total int) {
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
				s.progLbl.Importance = widget.DangerImportance
				s.progLbl.SetText(userMessage(err))
				return
			}
			s.progress.SetValue(1)
			s.savedDir = filepath.Dir(path)
			s.progLbl.Importance = widget.SuccessImportance
			s.progLbl.SetText(trf("report.saved", map[string]any{"File": filepath.Base(path), "Folder": s.savedDir}))
			s.openDir.Show()
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
			if len(res.Behind) > 0 {
				s.recon.Add(widget.NewLabel(trf("recon.behind", map[string]any{"Count": len(res.Behind)})))
			}
			for _, m := range res.Behind {
				l := widget.NewLabel(m)
				l.Wrapping = fyne.TextWrapWord
				s.recon.Add(l)
			}
			s.recon.Refresh()
		})
	}()
}

// checkGrid is a set of check boxes in rows of a few columns (a check
// group is one row or one column).
type checkGrid struct {
	checks []*widget.Check
	box    *fyne.Container
}

func newCheckGrid(options []string, cols int) *checkGrid {
	g := &checkGrid{box: container.NewGridWithColumns(cols)}
	for _, o := range options {
		c := widget.NewCheck(o, nil)
		g.checks = append(g.checks, c)
		g.box.Add(c)
	}
	return g
}

// SetSelected ticks exactly the options named.
func (g *checkGrid) SetSelected(sel []string) {
	for _, c := range g.checks {
		c.SetChecked(slices.Contains(sel, c.Text))
	}
}

// Selected are the options ticked, in order.
func (g *checkGrid) Selected() []string {
	var out []string
	for _, c := range g.checks {
		if c.Checked {
			out = append(out, c.Text)
		}
	}
	return out
}

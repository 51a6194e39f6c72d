package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// importButton opens a spreadsheet, shows the proposed column mapping for
// the person to correct, imports, and says what happened. done reloads the
// screen. Orders need manage_orders; payees and products manage_payees.
func (u *UI) importButton(kind string, perm domain.Permission, done func()) *widget.Button {
	b := widget.NewButtonWithIcon(tr("import.button"), theme.UploadIcon(), func() {
		open := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil {
				showError(u.win, err)
				return
			}
			if r == nil {
				return
			}
			path := r.URI().Path()
			_ = r.Close()
			u.previewImport(kind, path, done)
		}, u.win)
		open.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx", ".csv"}))
		open.Show()
	})
	if u.svc.Importer == nil || !u.can(perm) {
		b.Disable()
	}
	return b
}

func (u *UI) previewImport(kind, path string, done func()) {
	go func() {
		pv, err := u.svc.Importer.PreviewImport(context.Background(), kind, path)
		runOnUI(func() {
			if err != nil {
				showError(u.win, err)
				return
			}
			u.showMapping(kind, path, pv, done)
		})
	}()
}

// noColumn is the choice "this field is not in the file".
const noColumn = "—"

func (u *UI) showMapping(kind, path string, pv ImportPreview, done func()) {
	opts := append([]string{noColumn}, pv.Headers...)
	selects := map[string]*widget.Select{}
	form := widget.NewForm()
	for _, f := range pv.Fields {
		sel := widget.NewSelect(opts, nil)
		sel.SetSelected(noColumn)
		if h, ok := pv.Proposed[f]; ok {
			sel.SetSelected(h)
		}
		selects[f] = sel
		form.Append(f, sel)
	}
	info := widget.NewLabel(trf("import.rows", map[string]any{"N": formatCount(pv.Rows)}))
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	if len(pv.Missing) > 0 {
		status.SetText(trf("import.missing", map[string]any{"Fields": strings.Join(pv.Missing, ", ")}))
		status.Importance = widget.WarningImportance
	}
	var f *formDialog
	f = showForm(u.win, tr("import.title"), tr("import.run"), container.NewVBox(info, container.NewGridWrap(fyne.NewSize(460, 300), container.NewVScroll(form)), status), nil, func() {
		mapping := map[string]string{}
		for field, sel := range selects {
			if sel.Selected != "" && sel.Selected != noColumn {
				mapping[field] = sel.Selected
			}
		}
		f.confirm.Disable()
		status.SetText(tr("report.working"))
		go func() {
			res, err := u.svc.Importer.Import(context.Background(), u.actor, kind, path, mapping)
			runOnUI(func() {
				f.confirm.Enable()
				lines := []string{trf("import.result", map[string]any{"Created": res.Created, "Unchanged": res.Unchanged})}
				if len(res.Problems) > 0 {
					lines = append(lines, tr("import.problems"))
					lines = append(lines, res.Problems...)
				}
				if err != nil && len(res.Problems) == 0 {
					lines = []string{userMessage(err)}
				}
				status.SetText(strings.Join(lines, "\n"))
				if err == nil {
					status.Importance = widget.SuccessImportance
					done()
				} else {
					status.Importance = widget.DangerImportance
				}
				status.Refresh()
			})
		}()
	})
}

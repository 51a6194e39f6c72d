package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// keyEntry is an Entry that also reports Escape, so that a dialog closes on
// Escape even while the cursor is in a field (fyne passes keys to the
// focused widget only). Enter is the entry's OnSubmitted.
type keyEntry struct {
	widget.Entry
	onEscape func()
}

func newKeyEntry() *keyEntry {
	e := &keyEntry{}
	e.ExtendBaseWidget(e)
	return e
}

func newPasswordKeyEntry() *keyEntry {
	e := newKeyEntry()
	e.Password = true
	return e
}

// TypedKey implements fyne.Focusable.
func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}

// formDialog is a modal with a confirm and a dismiss button where Enter
// confirms (when allowed) and Escape dismisses, from any entry or from the
// window itself.
type formDialog struct {
	d       *dialog.CustomDialog
	win     fyne.Window
	confirm *widget.Button
	prevKey func(*fyne.KeyEvent)
	onOK    func()
	closed  bool
	// onClosed, if set, runs once when the dialog closes (either way).
	onClosed func()
}

// showForm opens a modal. ok runs on confirm; entries get Enter/Escape.
func showForm(win fyne.Window, title, confirmText string, content fyne.CanvasObject, entries []*keyEntry, ok func()) *formDialog {
	f := &formDialog{win: win, onOK: ok}
	f.confirm = widget.NewButton(confirmText, f.submit)
	f.confirm.Importance = widget.HighImportance
	cancel := widget.NewButton(tr("action.cancel"), f.dismiss)
	f.d = dialog.NewCustomWithoutButtons(title, content, win)
	f.d.SetButtons([]fyne.CanvasObject{cancel, f.confirm})
	for _, e := range entries {
		e.onEscape = f.dismiss
		e.OnSubmitted = func(string) { f.submit() }
	}
	f.prevKey = win.Canvas().OnTypedKey()
	win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch k.Name {
		case fyne.KeyEscape:
			f.dismiss()
		case fyne.KeyReturn, fyne.KeyEnter:
			f.submit()
		}
	})
	f.d.SetOnClosed(f.restore)
	f.d.Show()
	if len(entries) > 0 {
		win.Canvas().Focus(entries[0])
	}
	return f
}

func (f *formDialog) submit() {
	if f.closed || f.confirm.Disabled() {
		return
	}
	f.onOK()
}

func (f *formDialog) dismiss() {
	if f.closed {
		return
	}
	f.d.Hide()
	f.restore()
}

// Close hides the dialog after a successful confirm.
func (f *formDialog) Close() { f.dismiss() }

func (f *formDialog) restore() {
	if f.closed {
		return
	}
	f.closed = true
	f.win.Canvas().SetOnTypedKey(f.prevKey)
	if f.onClosed != nil {
		f.onClosed()
	}
}

// showError shows a short actionable message; the detail goes to the log.
func showError(win fyne.Window, err error) {
	if err == nil || win == nil {
		return
	}
	fyne.LogError("ui", err)
	msg := widget.NewLabel(userMessage(err))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(tr("title.error"), tr("action.close"), container.NewPadded(msg), win)
	d.Resize(fyne.NewSize(420, 180))
	d.Show()
}

// showInfo shows a calm message with one button.
func showInfo(win fyne.Window, title, text string) {
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, tr("action.close"), container.NewPadded(msg), win)
	d.Resize(fyne.NewSize(440, 200))
	d.Show()
}

// showToast shows a small message at the bottom of the window for two seconds.
func showToast(win fyne.Window, text string) {
	pop := widget.NewPopUp(widget.NewLabel(text), win.Canvas())
	sz := win.Canvas().Size()
	ms := pop.MinSize()
	pop.ShowAtPosition(fyne.NewPos((sz.Width-ms.Width)/2, sz.Height-ms.Height-24))
	go func() {
		time.Sleep(2 * time.Second)
		runOnUI(pop.Hide)
	}()
}

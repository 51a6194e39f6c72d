package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// showTamperAlarm puts the audit log's tamper alarm, when one is raised,
// in red under the window's top bar (next to, not instead of, the other
// banners): it stays until the owner deals with it.
func (u *UI) showTamperAlarm() {
	ta, ok := u.svc.Audit.(TamperAlarm)
	if !ok {
		return
	}
	done := make(chan struct{})
	u.tamperDone = done
	go func() {
		defer close(done)
		what, at, err := ta.AuditAlarm(context.Background())
		if err != nil || what == "" {
			return
		}
		runOnUI(func() {
			l := widget.NewLabel(trf("audit.tamper", map[string]any{"At": dateTime(at, u.svc.Location), "What": what}))
			l.Wrapping = fyne.TextWrapWord
			l.Importance = widget.DangerImportance
			u.tamper = l
			u.tamperBox.Add(l)
			u.tamperBox.Add(widget.NewSeparator())
		})
	}()
}

// TamperAlarmText is the alarm shown, "" when none (for tests).
func (u *UI) TamperAlarmText() string {
	if u.tamper == nil {
		return ""
	}
	return u.tamper.Text
}

package app

import (
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

// runGUI opens the desktop window. Placeholder until the desktop issue lands.
func runGUI(e *env, args []string) error {
	a := fyneapp.NewWithID("id.lunas.desktop")
	w := a.NewWindow("Lunas")
	w.SetContent(widget.NewLabel("Lunas — " + e.DBPath))
	w.ShowAndRun()
	return nil
}

// Command fynefloor is the footprint benchmark's floor (scripts/footprint-bench.sh):
// the smallest Fyne desktop window, a label and a button in a 1366x768 window,
// built with the same Fyne version and driver as Lunas. What it costs idle, in
// CPU and memory, no window of Lunas can cost less.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("id.lunas.fynefloor")
	w := a.NewWindow("Fyne floor")
	w.SetContent(container.NewVBox(widget.NewLabel("The smallest Fyne window"), widget.NewButton("OK", func() {})))
	w.Resize(fyne.NewSize(1366, 768))
	w.ShowAndRun()
}

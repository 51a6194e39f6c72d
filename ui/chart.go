package ui

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// chanWaiter counts background loads so tests can wait for them.
type chanWaiter struct{ wg sync.WaitGroup }

func (w *chanWaiter) add()  { w.wg.Add(1) }
func (w *chanWaiter) done() { w.wg.Done() }
func (w *chanWaiter) wait() { w.wg.Wait() }

// barChart draws settled (indigo) against paid out (green) per day, with
// the highest amount written above the bars so the scale is never a guess.
type barChart struct {
	widget.BaseWidget
	days []DayTotals
}

func newBarChart() *barChart {
	c := &barChart{}
	c.ExtendBaseWidget(c)
	return c
}

// SetData replaces the days shown.
func (c *barChart) SetData(days []DayTotals) {
	c.days = days
	c.Refresh()
}

func (c *barChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.rebuild()
	return r
}

type chartRenderer struct {
	c       *barChart
	objects []fyne.CanvasObject
	bars    []*canvas.Rectangle // two per day
	labels  []*canvas.Text      // one per day
	maxText *canvas.Text
	axis    *canvas.Line
	n       int
}

func (r *chartRenderer) rebuild() {
	r.n = len(r.c.days)
	r.objects = nil
	r.bars = nil
	r.labels = nil
	r.axis = canvas.NewLine(theme.Color(theme.ColorNameSeparator))
	r.maxText = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.maxText.TextSize = theme.CaptionTextSize()
	r.objects = append(r.objects, r.axis, r.maxText)
	for i := 0; i < r.n; i++ {
		s := canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
		p := canvas.NewRectangle(okGreen)
		t := canvas.NewText(shortDate(r.c.days[i].Day), theme.Color(theme.ColorNameForeground))
		t.TextSize = theme.CaptionTextSize()
		t.Alignment = fyne.TextAlignCenter
		r.bars = append(r.bars, s, p)
		r.labels = append(r.labels, t)
		r.objects = append(r.objects, s, p, t)
	}
}

func (r *chartRenderer) Layout(size fyne.Size) {
	if r.n == 0 {
		return
	}
	var maxV domain.Rupiah
	for _, d := range r.c.days {
		maxV = max(maxV, d.Settled, d.PaidOut)
	}
	// The highest amount is the scale; with nothing yet, say what will
	// appear instead of a scale of "Rp1".
	r.maxText.Text = money(maxV)
	if maxV <= 0 {
		r.maxText.Text = tr("dash.chart.empty")
		maxV = 1
	}
	r.maxText.Move(fyne.NewPos(0, 0))
	r.maxText.Refresh()
	top := float32(20)
	labelH := float32(20)
	h := size.Height - top - labelH
	if h < 10 {
		h = 10
	}
	slot := size.Width / float32(r.n)
	barW := slot * 0.35
	for i, d := range r.c.days {
		x := float32(i) * slot
		for j, v := range []domain.Rupiah{d.Settled, d.PaidOut} {
			bh := float32(float64(h) * float64(v) / float64(maxV))
			b := r.bars[2*i+j]
			b.Resize(fyne.NewSize(barW, bh))
			b.Move(fyne.NewPos(x+slot*0.12+float32(j)*barW, top+h-bh))
		}
		l := r.labels[i]
		l.Resize(fyne.NewSize(slot, labelH))
		l.Move(fyne.NewPos(x, top+h+2))
	}
	r.axis.Position1 = fyne.NewPos(0, top+h)
	r.axis.Position2 = fyne.NewPos(size.Width, top+h)
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(420, 200) }

func (r *chartRenderer) Refresh() {
	if len(r.c.days) != r.n {
		r.rebuild()
	}
	for i, d := range r.c.days {
		r.labels[i].Text = shortDate(d.Day)
		r.labels[i].Color = theme.Color(theme.ColorNameForeground)
		r.bars[2*i].FillColor = theme.Color(theme.ColorNamePrimary)
	}
	r.Layout(r.c.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *chartRenderer) Destroy()                     {}

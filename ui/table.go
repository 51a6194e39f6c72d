package ui

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// pageSize is the number of rows fetched at once. A screen shows about 25.
const pageSize = 100

// maxCachedPages bounds the memory a long table uses: pages far from the
// view are dropped and fetched again if the user scrolls back.
const maxCachedPages = 20

// pager caches pages of a paged query. Rows are asked for on the UI
// goroutine; a missing page is fetched on its own goroutine and the table is
// refreshed through fyne.Do when it arrives, so the window never waits for
// the database.
type pager[T any] struct {
	fetch func(ctx context.Context, offset, limit int) ([]T, error)
	count func(ctx context.Context) (int, error)
	// after, if set, fetches the page that follows a row (keyset paging);
	// it is used when the previous page is cached, which is the case while
	// scrolling, so deep pages cost the same as the first.
	after func(ctx context.Context, last T, limit int) ([]T, error)

	onChange func()      // on the UI goroutine, after new data arrived
	onError  func(error) // on the UI goroutine

	mu      sync.Mutex
	dormant bool // a hidden tab's pager loads nothing until activated
	gen     int  // bumped by reset; answers for an older generation are dropped
	total   int
	counted bool
	pages   map[int][]T
	loading map[int]bool
	order   []int        // page numbers in arrival order, for eviction
	touched map[int]bool // pages the table asked for since the last refresh: what is on screen
	wg      sync.WaitGroup
}

func newPager[T any](fetch func(ctx context.Context, offset, limit int) ([]T, error), count func(ctx context.Context) (int, error)) *pager[T] {
	return &pager[T]{fetch: fetch, count: count, pages: map[int][]T{}, loading: map[int]bool{}}
}

// Len is the number of rows known. Without a count yet it starts one, and
// the first page alongside it, so the first rows show without waiting for a
// count over a big table; until the count arrives Len is the first page's size.
func (p *pager[T]) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dormant {
		return 0
	}
	if !p.counted {
		if !p.loading[-1] {
			p.loading[-1] = true
			p.startLocked(-1)
		}
		if _, ok := p.pages[0]; !ok && !p.loading[0] {
			p.loading[0] = true
			p.startLocked(0)
		}
		return len(p.pages[0])
	}
	return p.total
}

// Row returns row i if its page is cached, and starts fetching it if not.
func (p *pager[T]) Row(i int) (T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var zero T
	if p.dormant {
		return zero, false
	}
	pg := i / pageSize
	if p.touched == nil {
		p.touched = map[int]bool{}
	}
	p.touched[pg] = true
	rows, ok := p.pages[pg]
	if !ok {
		if !p.loading[pg] {
			p.loading[pg] = true
			p.startLocked(pg)
		}
		return zero, false
	}
	if j := i % pageSize; j < len(rows) {
		return rows[j], true
	}
	return zero, false
}

// startLocked fetches page pg (or the count for -1) in the background.
func (p *pager[T]) startLocked(pg int) {
	gen := p.gen
	var last *T
	if prev := p.pages[pg-1]; pg > 0 && p.after != nil && len(prev) == pageSize {
		last = &prev[len(prev)-1]
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx := context.Background()
		var rows []T
		var n int
		var err error
		switch {
		case pg < 0:
			n, err = p.count(ctx)
		case last != nil:
			rows, err = p.after(ctx, *last, pageSize)
		default:
			rows, err = p.fetch(ctx, pg*pageSize, pageSize)
		}
		p.mu.Lock()
		if gen != p.gen {
			p.mu.Unlock()
			return
		}
		delete(p.loading, pg)
		changed := true
		if err == nil {
			if pg < 0 {
				changed = !p.counted || p.total != n
				p.total, p.counted = n, true
			} else {
				old, had := p.pages[pg]
				changed = !had || !reflect.DeepEqual(old, rows)
				p.pages[pg] = rows
				if !had {
					p.order = append(p.order, pg)
				}
				if len(p.order) > maxCachedPages {
					delete(p.pages, p.order[0])
					p.order = p.order[1:]
				}
			}
		} else if pg < 0 {
			p.counted = true // do not loop on a failing count; reset retries
		}
		onChange, onError := p.onChange, p.onError
		p.mu.Unlock()
		if err == nil && !changed {
			return // the same rows: nothing to redraw
		}
		runOnUI(func() {
			if err != nil {
				if onError != nil {
					onError(err)
				}
				return
			}
			if onChange != nil {
				onChange()
			}
		})
	}()
}

// setOnError sets the error handler (under the lock: a fetch may be running).
func (p *pager[T]) setOnError(f func(error)) {
	p.mu.Lock()
	p.onError = f
	p.mu.Unlock()
}

// Reset fetches again what is on screen (after a filter change or an engine
// event): the count and the pages the table asked for since the last
// reset; other pages are dropped and fetched when scrolled to. What is shown
// stays until the answers arrive, and an answer that is the same as what is
// shown redraws nothing, so a busy engine does not repaint a still table.
func (p *pager[T]) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dormant {
		return
	}
	p.gen++
	keep := p.touched
	if len(keep) == 0 {
		keep = map[int]bool{0: true}
	}
	var order []int
	for _, pg := range p.order {
		if keep[pg] {
			order = append(order, pg)
		} else {
			delete(p.pages, pg)
		}
	}
	p.order = order
	p.loading = map[int]bool{-1: true}
	p.startLocked(-1)
	for pg := range keep {
		p.loading[pg] = true
		p.startLocked(pg)
	}
	p.touched = map[int]bool{}
}

// activate lets a dormant pager load (its tab was shown); it reports whether
// it was dormant.
func (p *pager[T]) activate() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dormant {
		return false
	}
	p.dormant = false
	p.resetLocked()
	return true
}

func (p *pager[T]) resetLocked() {
	p.gen++
	p.pages = map[int][]T{}
	p.loading = map[int]bool{-1: true, 0: true}
	p.order = nil
	p.counted = false
	p.startLocked(-1)
	p.startLocked(0)
}

// busy reports whether a fetch is in flight (the screenshot tour polls it:
// Wait may not run while new fetches start).
func (p *pager[T]) busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.loading) > 0
}

// Wait blocks until no fetch is in flight (tests and benchmarks).
func (p *pager[T]) Wait() { p.wg.Wait() }

// column describes one table column.
type column[T any] struct {
	title string
	width float32
	text  func(T) string
}

// colStyle is how a column of a table that shares a width (shareWidth)
// is drawn and sized.
type colStyle struct {
	mono bool // monospace: REFIDs, whose width then depends only on their length
	fit  bool // grows to its widest text among the rows loaded (fitWidths)
	wrap bool // wraps onto more lines; the row grows to fit (up to maxWrapLines)
}

// maxWrapLines bounds how tall a row with a wrapped cell grows.
const maxWrapLines = 4

// dataTable is a virtualised table over a pager, with an optional check
// column for selecting several rows (keyed, so selection survives refreshes).
type dataTable[T any] struct {
	pager    *pager[T]
	cols     []column[T]
	key      func(T) string // non-nil: first column is a check box
	selected map[string]T
	table    *widget.Table
	// OnSelect is called with the row the user clicked.
	onSelect func(T)
	// onChecked is called when the set of checked rows changes.
	onChecked func()
	// empty, if set (withEmpty), says what will appear when there are no rows.
	empty *widget.Label
	// rowKey, if set, names a row for the highlighted selection: the
	// highlight follows the row by key through every refresh (new rows
	// above it, rows leaving), never staying on a row index.
	rowKey   func(T) string
	selKey   string // key of the highlighted row ("" none)
	selRow   int    // its row index as last shown; -1 when not on screen
	selQuiet bool   // moving the highlight: do not call onSelect
	// budget, if set, is the width the columns share: the fit columns
	// grow to their widest loaded text and column flex takes the rest
	// (at least flexMin).
	budget, flexMin float32
	flex            int
	styles          []colStyle         // per column (without the check column)
	heights         map[string]float32 // a wrapped text's height at its column's width
}

// withEmpty is the table with a sentence over it while it has no rows,
// saying what will appear there and why.
func (d *dataTable[T]) withEmpty(text string) fyne.CanvasObject {
	d.empty = emptyHint(text)
	d.empty.Hide()
	d.updateEmpty()
	return container.NewStack(d.table, container.NewCenter(container.NewGridWrap(fyne.NewSize(560, 110), d.empty)))
}

// updateEmpty shows the empty sentence once the count says there is nothing.
func (d *dataTable[T]) updateEmpty() {
	if d.empty == nil {
		return
	}
	d.pager.mu.Lock()
	none := d.pager.counted && d.pager.total == 0 && !d.pager.dormant
	d.pager.mu.Unlock()
	if none {
		d.empty.Show()
	} else {
		d.empty.Hide()
	}
}

func newDataTable[T any](p *pager[T], cols []column[T], key func(T) string) *dataTable[T] {
	d := &dataTable[T]{pager: p, cols: cols, key: key, selected: map[string]T{}}
	offset := 0
	if key != nil {
		offset = 1
	}
	d.table = widget.NewTableWithHeaders(
		func() (int, int) { return p.Len(), len(cols) + offset },
		func() fyne.CanvasObject {
			chk := widget.NewCheck("", nil)
			chk.Hide()
			lbl := widget.NewLabel("")
			lbl.Truncation = fyne.TextTruncateEllipsis
			return container.NewStack(lbl, chk)
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			st := o.(*fyne.Container)
			lbl, chk := st.Objects[0].(*widget.Label), st.Objects[1].(*widget.Check)
			row, ok := p.Row(id.Row)
			if key != nil && id.Col == 0 {
				lbl.Hide()
				chk.Show()
				chk.OnChanged = nil
				if !ok {
					chk.SetChecked(false)
					chk.Disable()
					return
				}
				k := key(row)
				chk.Enable()
				_, on := d.selected[k]
				chk.SetChecked(on)
				chk.OnChanged = func(on bool) {
					if on {
						d.selected[k] = row
					} else {
						delete(d.selected, k)
					}
					if d.onChecked != nil {
						d.onChecked()
					}
				}
				return
			}
			chk.Hide()
			lbl.Show()
			cs := d.style(id.Col - offset)
			if lbl.TextStyle.Monospace != cs.mono || (lbl.Wrapping == fyne.TextWrapWord) != cs.wrap {
				lbl.TextStyle.Monospace = cs.mono
				lbl.Wrapping, lbl.Truncation = fyne.TextWrapOff, fyne.TextTruncateEllipsis
				if cs.wrap {
					lbl.Wrapping, lbl.Truncation = fyne.TextWrapWord, fyne.TextTruncateOff
				}
				lbl.Refresh()
			}
			if !ok {
				lbl.SetText("…")
				return
			}
			lbl.SetText(cols[id.Col-offset].text(row))
		})
	d.table.ShowHeaderColumn = false
	d.table.CreateHeader = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.TextStyle.Bold = true
		return l
	}
	d.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Col < offset {
			l.SetText("")
			return
		}
		l.SetText(cols[id.Col-offset].title)
	}
	if key != nil {
		d.table.SetColumnWidth(0, 40)
	}
	for i, c := range cols {
		d.table.SetColumnWidth(i+offset, c.width)
	}
	d.selRow = -1
	d.table.OnSelected = func(id widget.TableCellID) {
		if d.selQuiet {
			return
		}
		row, ok := p.Row(id.Row)
		if !ok {
			return
		}
		d.selRow = id.Row
		if d.rowKey != nil {
			d.selKey = d.rowKey(row)
		}
		if d.onSelect != nil {
			d.onSelect(row)
		}
	}
	d.table.OnUnselected = func(widget.TableCellID) {
		if !d.selQuiet {
			d.selKey, d.selRow = "", -1
		}
	}
	p.mu.Lock()
	p.onChange = func() { d.fitWidths(); d.table.Refresh(); d.updateEmpty(); d.followSelection() }
	p.mu.Unlock()
	return d
}

// shareWidth makes the columns share budget: fit columns as wide as their
// widest loaded text, column flex the rest (at least flexMin).
func (d *dataTable[T]) shareWidth(budget float32, flex int, flexMin float32, styles []colStyle) {
	d.budget, d.flex, d.flexMin, d.styles = budget, flex, flexMin, styles
	d.fitWidths()
}

func (d *dataTable[T]) style(col int) colStyle {
	if col < len(d.styles) {
		return d.styles[col]
	}
	return colStyle{}
}

// fitWidths widens the fit columns to the widest text among the rows
// loaded (never narrower than set), so a payee's name is not cut because it
// is longer than the names the table was first sized for; the flex column
// gives up the width, down to flexMin.
func (d *dataTable[T]) fitWidths() {
	if d.budget == 0 {
		return
	}
	offset := 0
	if d.key != nil {
		offset = 1
	}
	d.pager.mu.Lock()
	var rows []T
	rowsAt := map[int]T{} // rows of the pages on screen, for their heights
	for _, pg := range d.pager.order {
		rows = append(rows, d.pager.pages[pg]...)
		if pg != 0 && !d.pager.touched[pg] {
			continue
		}
		for j, r := range d.pager.pages[pg] {
			rowsAt[pg*pageSize+j] = r
		}
	}
	d.pager.mu.Unlock()
	used := float32(0)
	if d.key != nil {
		used += 40 + theme.Padding()
	}
	for i := range d.cols {
		c := &d.cols[i]
		if st := d.style(i); st.fit && i != d.flex {
			c.width = max(c.width, textWidth(c.title, fyne.TextStyle{Bold: true}))
			for _, r := range rows {
				c.width = max(c.width, textWidth(c.text(r), fyne.TextStyle{Monospace: st.mono}))
			}
		}
		if i != d.flex {
			used += c.width
		}
		used += theme.Padding()
	}
	quietly(d.table, func() {
		for i, c := range d.cols {
			w := c.width
			if i == d.flex {
				w = max(d.budget-used, d.flexMin)
				d.cols[i].width = w
			}
			d.table.SetColumnWidth(i+offset, w)
		}
		d.fitHeights(rowsAt)
	})
}

// quietly runs fn, which sets a table's column widths or row heights, with
// the table's cell updates off, and leaves the one refresh to the caller:
// Fyne refreshes every visible cell on each SetColumnWidth and SetRowHeight
// that changes a value, so fitting a page of a hundred rows refreshed the
// table a hundred times (0.6 s for the first page of Transfers).
func quietly(t *widget.Table, fn func()) {
	upd := t.UpdateCell
	t.UpdateCell = func(widget.TableCellID, fyne.CanvasObject) {}
	defer func() { t.UpdateCell = upd }()
	fn()
}

// fitHeights makes each loaded row as tall as its wrapped cells need.
func (d *dataTable[T]) fitHeights(rowsAt map[int]T) {
	wrapped := false
	for i := range d.cols {
		wrapped = wrapped || d.style(i).wrap
	}
	if !wrapped {
		return
	}
	if d.heights == nil {
		d.heights = map[string]float32{}
	}
	one := widget.NewLabel("x").MinSize().Height
	for at, r := range rowsAt {
		h := one
		for i, c := range d.cols {
			if d.style(i).wrap {
				h = max(h, d.wrappedHeight(c.text(r), c.width, one))
			}
		}
		d.table.SetRowHeight(at, h)
	}
}

// wrappedHeight is the height a word-wrapped label needs for text at width
// (at most maxWrapLines lines), remembered per text and width.
func (d *dataTable[T]) wrappedHeight(text string, width, one float32) float32 {
	k := fmt.Sprintf("%.0f|%s", width, text)
	if h, ok := d.heights[k]; ok {
		return h
	}
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Resize(fyne.NewSize(width, one))
	h := min(l.MinSize().Height, one+float32(maxWrapLines-1)*(one-2*theme.InnerPadding()))
	if len(d.heights) > 5000 {
		clear(d.heights)
	}
	d.heights[k] = h
	return h
}

// followSelection moves the highlight to the row that has the selected key
// now (rows arrive above it, or it left the list: no highlight), so the
// highlighted row and the detail panel always show the same item.
func (d *dataTable[T]) followSelection() {
	if d.rowKey == nil || d.selKey == "" {
		return
	}
	at := d.indexOf(d.selKey)
	if at == d.selRow {
		return
	}
	d.selQuiet = true
	defer func() { d.selQuiet = false }()
	if at < 0 {
		d.table.UnselectAll()
		d.selRow = -1
		return
	}
	d.selRow = at
	d.table.Select(widget.TableCellID{Row: at, Col: 0})
}

// indexOf finds the row with key among the cached pages (-1: not loaded).
func (d *dataTable[T]) indexOf(key string) int {
	d.pager.mu.Lock()
	defer d.pager.mu.Unlock()
	for pg, rows := range d.pager.pages {
		for j, r := range rows {
			if d.rowKey(r) == key {
				return pg*pageSize + j
			}
		}
	}
	return -1
}

// SelectedKey is the key of the highlighted row and its row index (-1 when
// it is not on screen).
func (d *dataTable[T]) SelectedKey() (string, int) { return d.selKey, d.selRow }

// SelectKey highlights the row with key, as if clicked (tests, notifications).
func (d *dataTable[T]) SelectKey(key string) bool {
	at := d.indexOf(key)
	if at < 0 {
		return false
	}
	d.table.Select(widget.TableCellID{Row: at, Col: 0})
	return true
}

// Checked returns the checked rows, sorted by key.
func (d *dataTable[T]) Checked() []T {
	keys := make([]string, 0, len(d.selected))
	for k := range d.selected {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = d.selected[k]
	}
	return out
}

// Check marks a row as checked (keyboard users and tests).
func (d *dataTable[T]) Check(row T) {
	d.selected[d.key(row)] = row
	d.table.Refresh()
	if d.onChecked != nil {
		d.onChecked()
	}
}

// ClearChecked unchecks every row.
func (d *dataTable[T]) ClearChecked() {
	d.selected = map[string]T{}
	d.table.Refresh()
	if d.onChecked != nil {
		d.onChecked()
	}
}

// Reload drops the cache and fetches again.
func (d *dataTable[T]) Reload() { d.pager.Reset() }

// emptyHint is a quiet line shown under a table or list.
func emptyHint(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	l.Importance = widget.LowImportance
	l.Wrapping = fyne.TextWrapWord
	return l
}

// copyButton copies text to the clipboard and says so.
func copyButton(w func() fyne.Window, text func() string) *widget.Button {
	return widget.NewButtonWithIcon(tr("action.copy"), theme.ContentCopyIcon(), func() {
		s := text()
		if s == "" {
			return
		}
		fyne.CurrentApp().Clipboard().SetContent(s)
		if win := w(); win != nil {
			showToast(win, trf("msg.copied", map[string]any{"Text": s}))
		}
	})
}

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

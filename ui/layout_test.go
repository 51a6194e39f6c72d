package ui

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/assets"
	"lunas/domain"
)

// screenSize is the laptop screen every screen must fit (issue 13).
var screenSize = fyne.NewSize(1366, 768)

// cutOff lists the texts on screen that do not fit their cell: a text
// shortened with "…" (a truncating label or a table cell), and a label whose
// text is wider than the label (it runs into its neighbour or off screen).
// Each text is measured against its own cell with the theme's font. It
// looks at what the canvas drew (the renderers in use, so the rows of
// tables are there: test.LaidOutObjects makes fresh renderers, which have
// no rows) and at a fresh layout of root.
func cutOff(root fyne.CanvasObject) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	pad := theme.InnerPadding()
	for _, o := range append(drawnObjects(root, nil), test.LaidOutObjects(root)...) {
		if !o.Visible() {
			continue
		}
		switch v := o.(type) {
		case *widget.Table:
			if need, have := tableWidth(v); need > have+1 {
				add(fmt.Sprintf("a table's columns need %.0f, it is %.0f wide (the last columns are cut off)", need, have))
			}
		case *canvas.Text:
			if strings.HasSuffix(v.Text, "…") && !endsWithEllipsisOnPurpose(v.Text) {
				add(v.Text)
			}
		case *widget.Label:
			if v.Wrapping != fyne.TextWrapOff || v.Truncation != fyne.TextTruncateOff || v.Text == "" || strings.Contains(v.Text, "\n") {
				continue // wrapping grows; truncation shows as "…" above
			}
			if v.Size().Width == 0 && v.Size().Height == 0 {
				continue // never laid out (a fresh renderer's spare cell)
			}
			size := theme.TextSize()
			if v.SizeName != "" {
				size = fyne.CurrentApp().Settings().Theme().Size(v.SizeName)
			}
			need := fyne.MeasureText(v.Text, size, v.TextStyle).Width + 2*pad
			if need > v.Size().Width+1 {
				add(v.Text)
			}
		}
	}
	return out
}

// tableWidth is the width a table's columns need (with the dividers)
// and the width it has. Fyne keeps column widths to itself: read by reflection.
func tableWidth(t *widget.Table) (need, have float32) {
	if t.Length == nil || t.Size().Width == 0 {
		return 0, 0
	}
	_, cols := t.Length()
	v := reflect.ValueOf(t).Elem()
	widths := v.FieldByName("columnWidths")
	def := float32(v.FieldByName("cellSize").FieldByName("Width").Float())
	for c := 0; c < cols; c++ {
		w := def
		if widths.IsValid() && !widths.IsNil() {
			if x := widths.MapIndex(reflect.ValueOf(c)); x.IsValid() {
				w = float32(x.Float())
			}
		}
		need += w + theme.Padding()
	}
	if t.ShowHeaderColumn {
		need += float32(v.FieldByName("headerSize").FieldByName("Width").Float())
	}
	return need, t.Size().Width
}

// drawnObjects collects the visible objects under o through the renderers
// the canvas uses, without laying anything out again.
func drawnObjects(o fyne.CanvasObject, out []fyne.CanvasObject) []fyne.CanvasObject {
	if o == nil || !o.Visible() {
		return out
	}
	out = append(out, o)
	switch v := o.(type) {
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			out = drawnObjects(c, out)
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			out = drawnObjects(c, out)
		}
	}
	return out
}

// endsWithEllipsisOnPurpose: a message that ends in "…" by itself
// ("Testing…"), and the loading placeholder of a row not fetched yet.
func endsWithEllipsisOnPurpose(s string) bool {
	if s == "…" {
		return true
	}
	for _, lang := range []string{"en", "id"} {
		for _, v := range translationsOf(lang) {
			if v == s {
				return true
			}
		}
	}
	return false
}

var translationCache = map[string]map[string]string{}

func translationsOf(lang string) map[string]string {
	if m, ok := translationCache[lang]; ok {
		return m
	}
	m := map[string]string{}
	if data, err := assets.Translations.ReadFile("translations/" + lang + ".json"); err == nil {
		_ = json.Unmarshal(data, &m)
	}
	translationCache[lang] = m
	return m
}

// TestNoCutOffLabels renders every screen of the README's screenshots
// (scripts/screenshots.sh, docs/screenshots) at 1366x768 in Indonesian and
// English, with the seeded shop, and fails on any text that does not fit
// its cell: the first-run pages, every main screen, each transfers tab with
// a transfer in the detail panel.
func TestNoCutOffLabels(t *testing.T) {
	defer SetLanguage(LangEnglish)
	for _, lang := range []string{LangIndonesian, LangEnglish} {
		env := newTestEnv(t, false)
		svc := env.services()
		svc.Exporter = xlsxExporter{env.store}
		u := newTestUI(t, svc, domain.RoleOwner)
		SetLanguage(lang)
		u.opts.StartScreen = ScreenDashboard
		u.ShowMain(u.actor) // rebuilt in the language
		u.win.Resize(screenSize)
		check := func(name string) {
			t.Helper()
			waitIdle(u)
			u.win.Resize(screenSize)
			_ = test.RenderToMarkup(u.win.Canvas()) // tables draw their rows
			if bad := cutOff(u.win.Canvas().Content()); len(bad) > 0 {
				t.Errorf("%s %s at 1366x768: cut off: %q", lang, name, bad)
			}
		}
		for _, st := range tourStops {
			u.Navigate(st.screen)
			if st.tab != "" {
				ts := u.screens[ScreenTransfers].(*transfersScreen)
				ts.selectTab(st.tab)
				waitIdle(u)
				if r, ok := ts.tables[st.tab].pager.Row(0); ok {
					ts.showDetail(&r)
				}
			}
			check(st.file)
		}
		ts := u.screens[ScreenTransfers].(*transfersScreen)
		for _, tab := range transferTabs {
			u.Navigate(ScreenTransfers)
			ts.selectTab(tab)
			waitIdle(u)
			if r, ok := ts.tables[tab].pager.Row(0); ok {
				ts.showDetail(&r)
			}
			check("transfers tab " + tab)
		}
		// The first-run pages.
		u.signedIn = false
		w := &wizard{u: u, zone: timeZones[0].name}
		for name, page := range map[string]func(){
			"welcome": w.welcome, "shop": w.shopPage, "owner": w.ownerPage, "gateway": w.gatewayPage,
			"authenticator": func() {
				w.totpPage("sari", Enrolment{Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", RecoveryCodes: []string{"abcd-efgh-ijkl", "mnop-qrst-uvwx"}})
			},
		} {
			page()
			check("wizard " + name)
		}
	}
}

package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lunas/assets"
	"lunas/demo"
	"lunas/domain"
	"lunas/domain/engine"
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
			if v.Wrapping != fyne.TextWrapOff && v.Text != "" && v.Size().Height > 0 && v.MinSize().Height > v.Size().Height+1 {
				add(v.Text) // wrapped onto more lines than its cell shows
				continue
			}
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
		seedDemoRows(t, env.store)
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
			if min := u.win.Canvas().Content().MinSize(); min.Width > screenSize.Width {
				t.Errorf("%s %s needs a window %.0f wide: wider than the screen (%.0f)", lang, name, min.Width, screenSize.Width)
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
			if name != "authenticator" && name != "gateway" { // no QR code without a real enrolment; the gateway page: TestGatewayScreens
				shotFile(t, u, lang, "wizard-"+name)
			}
		}
		u.showLogin(false)
		check("sign-in")
		shotFile(t, u, lang, "sign-in")
	}
}

// shotFile writes the window as LUNAS_SHOTS/<lang>/<name>.png when
// LUNAS_SHOTS is set (docs/screenshots: the first-run pages and sign-in,
// which the demo's tour does not pass through; the light theme, as
// scripts/screenshots.sh).
func shotFile(t *testing.T, u *UI, lang, name string) {
	t.Helper()
	dir := os.Getenv("LUNAS_SHOTS")
	if dir == "" {
		return
	}
	u.app.Settings().SetTheme(&lunasTheme{variant: ThemeLight})
	u.win.Resize(screenSize)
	out := filepath.Join(dir, lang, name+".png")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, u.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

// seedDemoRows adds what the demo shop shows after a while: its makers (the
// demo's own names, lunas/demo) with transfers in every tab, at the demo's
// largest amounts, held by the engine's limits and by risk rules whose
// sentences name the payee (the longest texts a reason cell gets).
func seedDemoRows(t *testing.T, st domain.Store) {
	t.Helper()
	at := func(min int) time.Time { return fixedNow.Add(time.Duration(-min) * time.Minute) }
	err := st.Write(context.Background(), func(tx domain.Tx) error {
		have, err := tx.ListPayees(domain.Page{})
		if err != nil {
			return err
		}
		flagged := domain.Order{ExternalID: "BTK-235959-9999", Source: "demo", BuyerName: demo.Buyers[3].Name, BuyerEmail: demo.Buyers[3].Email,
			Items: []domain.OrderItem{{Name: "Kain", Qty: 9, UnitPrice: 1750000}}, Status: domain.OrderFlagged, CreatedAt: at(95)}
		if err := tx.CreateOrder(&flagged); err != nil { // the demo's order numbers, a status of the longest words
			return err
		}
		o := domain.Order{ExternalID: "DEMO-0001", Source: "demo", BuyerName: demo.Buyers[0].Name, BuyerEmail: demo.Buyers[0].Email,
			Items: []domain.OrderItem{{Name: "Kain", Qty: 1, UnitPrice: 1750000}}, Status: domain.OrderPaid, CreatedAt: at(90)}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		pay := domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: "DEMO-0001", GatewayRef: "inv_d1", Amount: 1750000,
			Status: domain.PaymentPending, URL: "https://checkout.sandbox/inv_d1", CreatedAt: at(90)}
		if err := tx.CreatePayment(&pay); err != nil {
			return err
		}
		n := 0
		for i, m := range demo.Makers {
			p := domain.Payee{Name: m.Name, Channel: m.Bank, AccountNumber: m.Account, AccountHolder: m.Name, Verification: domain.VerifyOK, Email: m.Email}
			if j := slices.IndexFunc(have, func(x domain.Payee) bool { return x.Name == m.Name }); j >= 0 {
				p = have[j]
			} else if err := tx.CreatePayee(&p); err != nil {
				return err
			}
			biggest := domain.Rupiah(0)
			for _, pr := range m.Products {
				biggest = max(biggest, pr.Price)
				if err := tx.CreateProduct(&domain.Product{SKU: pr.SKU, Name: pr.Name, Price: pr.Price, PayeeID: p.ID, Active: true}); err != nil {
					return err
				}
			}
			amount := biggest * 2
			daily := fmt.Sprintf("Today's total to %s would be %s, above the daily limit of %s. (flag #%d) / Total transfer hari ini ke %s menjadi %s, melebihi batas harian %s.",
				m.Name, amount*3, domain.Rupiah(5000000), 10+i, m.Name, amount*3, domain.Rupiah(5000000))
			velocity := fmt.Sprintf("6 transfers to %s within 1h0m0s (limit 5). (flag #%d) / 6 transfer ke %s dalam 1h0m0s (batas 5).", m.Name, 20+i, m.Name)
			limit := "above the per-transfer limit Rp1.000.000 / melebihi batas per transfer Rp1.000.000"
			for _, c := range []struct {
				st          domain.TransferStatus
				channel     string
				hold, fail  string
				failureCode string
			}{
				{domain.TransferAwaitingApproval, "iris", limit + "; " + daily, "", ""},
				{domain.TransferAwaitingApproval, "h2h", velocity, "", ""},
				{domain.TransferAccepted, "doku", "", "", ""},
				{domain.TransferFailed, "xendit", "", "The destination account is closed or inactive; ask the payee for another account", "INVALID_DESTINATION"},
				{domain.TransferUnknown, "iris", "", "", ""},
				{domain.TransferSucceeded, "xendit", "", "", ""},
			} {
				n++
				ob := domain.Obligation{PaymentID: pay.ID, OrderID: o.ID, PayeeID: p.ID, Role: domain.RoleSeller, Amount: amount,
					Status: domain.ObligationOpen, CreatedAt: at(80 - n)}
				if err := tx.CreateObligation(&ob); err != nil {
					return err
				}
				x := domain.Transfer{RefID: engine.NewRefID(at(80 - n)), ObligationID: ob.ID, PayeeID: p.ID, Channel: c.channel, Amount: amount,
					Status: c.st, HoldReason: c.hold, FailureCode: c.failureCode, FailureReason: c.fail, CreatedAt: at(80 - n), CreatedBy: "engine"}
				if err := tx.CreateTransfer(&x); err != nil {
					return err
				}
			}
		}
		// The audit entries the demo writes, with their longest details.
		for _, a := range []domain.AuditEntry{
			{Actor: "engine", Action: "transfer.created", Subject: "transfer:" + engine.NewRefID(at(3)),
				Detail: "created awaiting_approval Rp1.059.000 to payee 4 (Mas Dimas (Batik Lasem)): above the per-transfer limit Rp1.000.000 / melebihi batas per transfer Rp1.000.000"},
			{Actor: "engine", Action: "payment.flagged", Subject: "payment:BTK-235959-9999",
				Detail: "paid Rp204.000 but the order total is Rp205.000 / dibayar Rp204.000 padahal total pesanan Rp205.000"},
		} {
			if err := tx.AppendAudit(&a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

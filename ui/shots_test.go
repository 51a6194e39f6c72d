package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// TestGatewayScreens renders the first-run gateway page with DOKU and with
// iPaymu chosen, and Settings with the DOKU and iPaymu section open, at
// 1366x768 in both languages, and checks no text is cut off. With
// LUNAS_SHOTS=DIR it also writes the wizard pages as
// DIR/<lang>/wizard-gateway-doku.png and wizard-gateway-ipaymu.png
// (docs/screenshots; Settings' settings-doku-ipaymu.png is taken from the
// demo under Xvfb, as the other screens, because this test's shop has no
// settings service).
func TestGatewayScreens(t *testing.T) {
	defer SetLanguage(LangEnglish)
	for _, lang := range []string{LangIndonesian, LangEnglish} {
		env := newTestEnv(t, false)
		u := newTestUI(t, env.services(), domain.RoleOwner)
		SetLanguage(lang)
		u.app.Settings().SetTheme(&lunasTheme{variant: ThemeLight}) // as scripts/screenshots.sh (FYNE_THEME=light)
		u.win.Resize(screenSize)
		shot := func(name string) {
			t.Helper()
			if c := cutOff(u.win.Content()); len(c) > 0 {
				t.Errorf("%s %s: cut off: %q", lang, name, c)
			}
			if strings.HasPrefix(name, "wizard") {
				shotFile(t, u, lang, name)
			}
		}
		u.opts.StartScreen = ScreenSettings
		u.ShowMain(u.actor)
		u.Navigate(ScreenSettings)
		s := u.screens[ScreenSettings].(*settingsScreen)
		for i, it := range s.acc.Items {
			if it.Title == tr("settings.gateways.b") {
				s.acc.CloseAll()
				s.acc.Open(i)
			}
		}
		shot("settings-doku-ipaymu")

		u.signedIn = false
		w := &wizard{u: u, zone: timeZones[0].name}
		w.gatewayPage()
		var choice *widget.RadioGroup
		var sel *widget.Select
		for _, o := range test.LaidOutObjects(u.win.Content()) {
			switch v := o.(type) {
			case *widget.RadioGroup:
				choice = v
			case *widget.Select:
				sel = v
			}
		}
		if choice == nil || sel == nil {
			t.Fatal("gateway page without its choice and gateway list")
		}
		choice.SetSelected(tr("wizard.gw.real"))
		for _, g := range []string{"DOKU", "iPaymu"} {
			sel.SetSelected(g)
			if g == "DOKU" {
				shot("wizard-gateway-doku")
			} else {
				shot("wizard-gateway-ipaymu")
			}
		}
	}
}

package ui

import (
	"context"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
)

// mapSettings is a SettingsStore in memory.
type mapSettings struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *mapSettings) Setting(_ context.Context, _ domain.Actor, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

func (s *mapSettings) SaveSetting(_ context.Context, _ domain.Actor, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
	return nil
}

func (s *mapSettings) get(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key]
}

func findSelectEntries(o fyne.CanvasObject) []*widget.SelectEntry {
	var out []*widget.SelectEntry
	switch v := o.(type) {
	case *widget.SelectEntry:
		return []*widget.SelectEntry{v}
	case *fyne.Container:
		for _, c := range v.Objects {
			out = append(out, findSelectEntries(c)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			out = append(out, findSelectEntries(c)...)
		}
	}
	return out
}

// The H2H reply preset is picked in Settings from the presets the app
// offers, is stored with the H2H settings (gateway.h2h.preset), shows what
// is stored, and a value that is no preset is refused with the choices.
func TestSettingsH2HPresetIsPickedFromTheList(t *testing.T) {
	presets := []string{"digiflazz", "otomax", "otomax-report"}
	store := &mapSettings{m: map[string]string{"gateway.h2h.preset": "otomax"}}
	svc := Services{Store: openStore(t, nil), Location: time.UTC, Settings: store,
		Choices: map[string][]string{"gateway.h2h.preset": presets}}
	u := newTestUI(t, svc, domain.RoleOwner)
	u.Navigate(ScreenSettings)
	st := u.screens[ScreenSettings].(*settingsScreen)
	st.acc.OpenAll()
	waitFor(t, 10*time.Second, "the stored preset", func() bool {
		testQueue.drain()
		for _, se := range findSelectEntries(st.root) {
			if se.Text == "otomax" {
				return true
			}
		}
		return false
	})
	ses := findSelectEntries(st.root)
	if len(ses) != 1 || ses[0].Disabled() {
		t.Fatalf("%d pickers, want one enabled for the owner", len(ses))
	}
	pick := ses[0]
	save := findButton(st.root, tr("action.save")) // the gateways section comes first
	if save == nil {
		t.Fatal("no save button")
	}

	pick.SetText("digiflazz")
	test.Tap(save)
	if got := store.get("gateway.h2h.preset"); got != "digiflazz" {
		t.Fatalf("stored %q, want digiflazz", got)
	}
	for _, lang := range []string{LangEnglish, LangIndonesian} {
		SetLanguage(lang)
		pick.SetText("klikoo")
		test.Tap(save)
		if got := store.get("gateway.h2h.preset"); got != "digiflazz" {
			t.Fatalf("%s: a value that is no preset was stored: %q", lang, got)
		}
		if !markupHas(u, trf("settings.choice.invalid", map[string]any{"Choices": "digiflazz, otomax, otomax-report"})) {
			t.Errorf("%s: the refusal does not name the choices", lang)
		}
	}
	SetLanguage(LangEnglish)
	pick.SetText("")
	test.Tap(save)
	if got := store.get("gateway.h2h.preset"); got != "" {
		t.Fatalf("emptied: stored %q, want empty (every style)", got)
	}

	// A viewer sees the choice but cannot change it.
	v := newTestUI(t, svc, domain.RoleViewer)
	v.Navigate(ScreenSettings)
	for _, se := range findSelectEntries(v.screens[ScreenSettings].(*settingsScreen).root) {
		if !se.Disabled() {
			t.Error("the preset picker is enabled for a viewer")
		}
	}
}

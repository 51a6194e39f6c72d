package app

import (
	"errors"
	"testing"

	"lunas/gateways/h2h"
)

// TestH2HConfigs: the supplier settings as the owner may write them.
func TestH2HConfigs(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		want     []string // supplier names
		warn     bool
		err      bool
	}{
		{"nothing configured", nil, nil, false, false},
		{"one object", map[string]string{settingH2HConfig: `{"name":"pulsa","base_url":"http://x","member_id":"M1"}`}, []string{"pulsa"}, false, false},
		{"a list", map[string]string{settingH2HConfig: `[{"name":"a","base_url":"http://x","member_id":"M"},{"name":"b","base_url":"http://y","member_id":"N"}]`}, []string{"a", "b"}, false, false},
		{"desktop url and member id", map[string]string{settingH2HURL: "http://x", settingH2HMember: "M1"}, []string{"h2h"}, false, false},
		{"desktop url without member id", map[string]string{settingH2HURL: "http://x"}, nil, true, false},
		{"PIN in a plain setting", map[string]string{settingH2HConfig: `{"name":"p","base_url":"http://x","member_id":"M","pin":"1234"}`}, nil, false, true},
		{"not JSON", map[string]string{settingH2HConfig: `{name: pulsa`}, nil, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, warn, err := h2hConfigs(func(k string) string { return c.settings[k] })
			if (err != nil) != c.err {
				t.Fatalf("err = %v", err)
			}
			if (len(warn) > 0) != c.warn {
				t.Fatalf("warnings = %v", warn)
			}
			if len(got) != len(c.want) {
				t.Fatalf("suppliers = %+v, want %v", got, c.want)
			}
			for i := range got {
				if got[i].Name != c.want[i] {
					t.Errorf("supplier %d = %q, want %q", i, got[i].Name, c.want[i])
				}
			}
		})
	}
}

// FuzzH2HConfigs: whatever is in the setting, reading it never panics and
// never lets a PIN or password through a plain setting.
func FuzzH2HConfigs(f *testing.F) {
	for _, s := range []string{`{"name":"pulsa","base_url":"http://x","member_id":"M1"}`, `[{"name":"a"},{"pin":"1"}]`, `[]`, `null`, `{"password":"x"}`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, _, err := h2hConfigs(func(k string) string {
			if k == settingH2HConfig {
				return raw
			}
			return ""
		})
		if err != nil {
			return
		}
		for _, c := range got {
			if c.PIN != "" || c.Password != "" {
				t.Fatalf("secret accepted from a plain setting: %+v", c)
			}
		}
	})
}

// The desktop's reply-style setting reaches the supplier, and a style the
// adapter does not know is refused when the channel is built.
func TestH2HDesktopPreset(t *testing.T) {
	for preset, ok := range map[string]bool{"digiflazz": true, "otomax-report": true, "": true, "tidak-ada": false} {
		got, _, err := h2hConfigs(func(k string) string {
			return map[string]string{settingH2HURL: "http://127.0.0.1:1/", settingH2HMember: "M1", settingH2HPreset: preset}[k]
		})
		if err != nil || len(got) != 1 || got[0].Preset != preset {
			t.Fatalf("%q: %+v %v", preset, got, err)
		}
		if _, err := h2h.New(got[0], h2h.Options{}); (err == nil) != ok || (!ok && !errors.Is(err, h2h.ErrConfig)) {
			t.Fatalf("%q: %v", preset, err)
		}
	}
}

package app

import (
	"testing"
	"time"
)

// FuzzParseOpening feeds arbitrary --opening values to the reconcile flag
// parser: a map or a usage error, never a panic or an empty channel.
func FuzzParseOpening(f *testing.F) {
	for _, s := range []string{"", "xendit=1000000", "xendit=Rp1.000.000;iris=500000", "=5", "x=", ";;", "a=1;a=2", "x=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseOpening(s)
		if err != nil {
			return
		}
		for k := range m {
			if k == "" {
				t.Fatalf("empty channel from %q", s)
			}
		}
	})
}

// FuzzPeriod feeds arbitrary --from and --to values to the date parser
// shared by export and reconcile.
func FuzzPeriod(f *testing.F) {
	for _, s := range [][2]string{{"2026-11-01", "2026-11-30"}, {"", ""}, {"2026-13-01", "x"}, {"2026-11-30", "2026-11-01"}, {"9999-12-31", "0001-01-01"}} {
		f.Add(s[0], s[1])
	}
	loc := time.FixedZone("WIB", 7*3600)
	f.Fuzz(func(t *testing.T, from, to string) {
		a, b, err := period(from, to, loc)
		if err == nil && !a.IsZero() && !b.IsZero() && b.Before(a) {
			t.Fatalf("period %q..%q gives %v after %v", from, to, a, b)
		}
	})
}

// FuzzH2HSettings feeds arbitrary JSON read back from the settings table to
// the H2H supplier settings parser.
func FuzzH2HSettings(f *testing.F) {
	for _, s := range []string{"", "{}", "[]", `[{"name":"a","url":"http://127.0.0.1:1/x"}]`, `{"name":"b"}`, "[{", "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, _, _ = h2hConfigs(func(k string) string {
			if k == settingH2HConfig {
				return raw
			}
			return ""
		})
	})
}

package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/security"
)

// TestSettingsCommand: `lunas settings get|set` on both stores: values are
// checked before anything is written, stored as the engine reads them,
// audited with the owner's name; a staff member reads but cannot change,
// a wrong password opens nothing, secrets and unknown keys are refused.
func TestSettingsCommand(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			ctx := context.Background()
			kc := useKeychain(t, nil)
			var s *testShop
			if store == "sqlite" {
				s = newTestShop(t, kc)
			} else {
				s = newPGTestShop(t, kc)
			}
			s.addUser("budi", domain.RoleStaff)
			// Staff can use the commands where the owner chose "remember on
			// this computer" (their password does not open the vault).
			if err := s.Sec.RememberVault(ctx, s.Owner, true); err != nil {
				t.Fatal(err)
			}
			e := &env{DBPath: s.Path, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
			cases := []struct {
				name, user, pw string
				args           []string
				want           error
				out            string // printed on success
			}{
				{name: "velocity per payee per hour", args: []string{"set", "aml.velocity_max", "20"}, out: "aml.velocity_max = 20"},
				{name: "first payout hold off", args: []string{"set", "aml.hold_first_payout", "tidak"}, out: "aml.hold_first_payout = off"},
				{name: "limit in rupiah", args: []string{"set", "limits.per_transfer", "Rp2.500.000"}, out: "limits.per_transfer = Rp2.500.000"},
				{name: "routing JSON normalised", args: []string{"set", "payout.route", ` {"mandiri": "iris"} `}, out: `payout.route = {"MANDIRI":"iris"}`},
				{name: "gateway URL", args: []string{"set", "gateway.xendit.url", "http://127.0.0.1:8089/"}, out: "gateway.xendit.url = http://127.0.0.1:8089"},
				{name: "get one", args: []string{"get", "aml.velocity_max"}, out: "20"},
				{name: "staff reads", user: "budi", args: []string{"get", "limits.per_transfer"}, out: "Rp2.500.000"},
				{name: "staff cannot change", user: "budi", args: []string{"set", "aml.velocity_max", "99"}, want: domain.ErrPermission},
				{name: "negative count", args: []string{"set", "aml.velocity_max", "-1"}, want: domain.ErrInvalid},
				{name: "not an amount", args: []string{"set", "limits.payee_daily", "lima juta"}, want: domain.ErrInvalid},
				{name: "unknown zone", args: []string{"set", "shop.timezone", "Mars/Olympus"}, want: domain.ErrInvalid},
				{name: "bad route", args: []string{"set", "payout.route", `{"BCA":""}`}, want: domain.ErrInvalid},
				{name: "secret is not a setting", args: []string{"set", "gateway.xendit.key1", "xnd_development_x"}, want: errUnknownSetting},
				{name: "unknown key", args: []string{"get", "aml.velocity"}, want: errUnknownSetting},
				{name: "wrong password", pw: "bukan-sandinya-1", args: []string{"get", "aml.velocity_max"}, want: security.ErrBadCredentials},
				{name: "set needs a value", args: []string{"set", "aml.velocity_max"}, want: errUsage},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					pw := c.pw
					if pw == "" {
						pw = testPassword
					}
					t.Setenv("LUNAS_USER", c.user)
					t.Setenv("LUNAS_PASSWORD", pw)
					var out bytes.Buffer
					e.Stdout = &out
					err := runSettings(e, c.args)
					if c.want != nil {
						if !errors.Is(err, c.want) {
							t.Fatalf("err = %v, want %v", err, c.want)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if got := strings.TrimSpace(out.String()); got != c.out {
						t.Fatalf("printed %q, want %q", got, c.out)
					}
				})
			}
			// What the engine and the risk checker read, and who changed it.
			cfg, err := s.Sec.GetRiskConfig(ctx, s.Owner)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.VelocityMax != 20 || cfg.HoldFirstPayout {
				t.Fatalf("risk config after the commands: velocity %d, hold first %v", cfg.VelocityMax, cfg.HoldFirstPayout)
			}
			if v := settingOf(ctx, s.DB, settingLimitPerTransfer); v != "2500000" {
				t.Fatalf("limits.per_transfer stored as %q", v)
			}
			if !auditHas(t, s.DB, "sari", "settings.risk") || !auditHas(t, s.DB, "sari", "settings.change") {
				t.Fatal("settings changes are not in the audit log under the owner's name")
			}
			if auditHas(t, s.DB, "budi", "settings.risk") {
				t.Fatal("the refused change was audited as made")
			}
			// The whole list, through Main.
			t.Setenv("LUNAS_USER", "")
			t.Setenv("LUNAS_PASSWORD", testPassword)
			var out, errb bytes.Buffer
			if code := Main([]string{"--db", s.Path, "settings", "get"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "aml.velocity_window") {
				t.Fatalf("settings get: exit %d\n%s%s", code, out.String(), errb.String())
			}
			errb.Reset()
			if code := Main([]string{"--db", s.Path, "settings", "set", "aml.velocity_max", "x"}, &out, &errb); code != 1 ||
				!strings.Contains(errb.String(), "bilangan bulat") || !strings.Contains(errb.String(), "whole number") {
				t.Fatalf("bad value: exit %d, %q (want id and en)", code, errb.String())
			}
		})
	}
}

// FuzzSettingValue feeds arbitrary keys and values to the settings parser:
// never a panic; what it accepts is stored as it will read back (the
// stored form parses to itself).
func FuzzSettingValue(f *testing.F) {
	for _, s := range [][2]string{{"aml.velocity_max", "5"}, {"limits.per_transfer", "Rp1.000.000"}, {"aml.hold_first_payout", "ya"},
		{"aml.velocity_window", "1h"}, {"shop.timezone", "Asia/Jakarta"}, {"payout.route", `{"mandiri":"iris"}`}, {"gateway.xendit.url", "http://127.0.0.1:8089"},
		{"payout.default", "xendit"}, {"gateway.h2h.config", `[{"name":"a"}]`}, {"ui.language", "EN"}, {"shop.name", "Toko\x00"}, {"x", "y"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		v, err := parseSettingValue(key, value)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) && !errors.Is(err, errUnknownSetting) {
				t.Fatalf("%q=%q: untyped error %v", key, value, err)
			}
			return
		}
		again, err := parseSettingValue(key, v)
		if err != nil || again != v {
			t.Fatalf("%q=%q stored as %q, which reads back as %q, %v", key, value, v, again, err)
		}
	})
}

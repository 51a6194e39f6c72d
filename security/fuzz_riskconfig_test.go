package security

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/risk"
)

// strictRisk makes FuzzRiskConfigReadBack fail on a risk.config that reads
// back although SetRiskConfig would refuse it (a negative limit, a score
// outside 0..1, a band outside 0..10000). RiskConfig does not check these
// today (see /work/review/fuzz15.md), so the default run only checks that
// the write path refuses such a config; with the flag the first one fails:
//
//	go test -tags migrated_fynedo -run '^$' -fuzz '^FuzzRiskConfigReadBack$' ./security/ -riskconfig.strict
var strictRisk = flag.Bool("riskconfig.strict", false, "FuzzRiskConfigReadBack: fail when risk.config reads back a config SetRiskConfig refuses")

// settingsTx is the settings table as RiskConfig reads it: GetSetting
// only (any other ReadTx method panics). A key not in m is absent.
type settingsTx struct {
	domain.ReadTx
	m map[string]string
}

func (s settingsTx) GetSetting(k string) (string, error) {
	if v, ok := s.m[k]; ok {
		return v, nil
	}
	return "", domain.ErrNotFound
}

// FuzzRiskConfigReadBack feeds RiskConfig (the read of the AML thresholds
// for every risk assessment and the settings screens) a risk.config value
// as it may be found in the settings table (written by an older version,
// edited, damaged), with the engine's per-transfer limit
// (risk.SettingApprovalLimit) and the shop's maximum per payout
// (domain.SettingMaxPayout) beside it ("" = absent). It never panics, and:
//
//   - Refused (an error): the error is typed, *json.SyntaxError or
//     *json.UnmarshalTypeError (errors.As), says "risk settings", and is a
//     syntax error whenever the value is not JSON; the config returned is
//     exactly risk.DefaultConfig(), nothing of the value applied.
//   - Accepted: ApprovalLimit is the per-transfer limit setting (whole
//     rupiah, 0 when absent, unreadable or negative) and MaxPayout the
//     maximum setting (domain.DefaultMaxAmount when absent, unreadable or
//     not positive), whatever the JSON says. Every threshold is what the
//     JSON's object gives it when read key by key here (keys matched
//     case-insensitively, in order, null keeping the value), and the
//     default for a field it does not name. What SetRiskConfig stores for
//     that config (json.Marshal, ApprovalLimit 0) reads back as the same
//     config. A config outside the invariants the rules rely on (limits,
//     counts and tolerance non-negative, band 0..10000 bps, scores 0..1:
//     SetRiskConfig's check) is one SetRiskConfig refuses with
//     domain.ErrInvalid; with -riskconfig.strict it fails the target.
func FuzzRiskConfigReadBack(f *testing.F) {
	// More seeds in testdata/fuzz/FuzzRiskConfigReadBack: what SetRiskConfig
	// stores for the defaults and for tests' autoSend shops.
	for _, s := range [][3]string{
		{"", "", ""},
		{"null", "5000000", "1000000000"},
		{`{"VelocityMax":20}`, "0", ""},
		{`{"singlelimit":1000000,"SingleLimit":null,"velocitywindow":60000000000}`, " 7 ", "-1"},
		{`{"SingleLimit":"1"}`, "x", "0"},
		{`{"StructuringBandBPS":10000,"StructuringMin":0,"HolderMinScore":0,"WatchlistMinScore":1}`, "", ""},
		{`{"HoldFirstPayout":false,"AmountTolerance":500`, "", ""},
		{`[]`, "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	owner := domain.Actor{Name: "sari", Role: domain.RoleOwner}
	f.Fuzz(func(t *testing.T, raw, limit, maxPayout string) {
		settings := map[string]string{settingRiskConfig: raw}
		for k, v := range map[string]string{risk.SettingApprovalLimit: limit, domain.SettingMaxPayout: maxPayout} {
			if v != "" {
				settings[k] = v
			}
		}
		cfg, err := RiskConfig(settingsTx{m: settings})
		if err != nil {
			var syn *json.SyntaxError
			var typ *json.UnmarshalTypeError
			switch {
			case !errors.As(err, &syn) && !errors.As(err, &typ):
				t.Fatalf("%q: untyped error %v", raw, err)
			case !json.Valid([]byte(raw)) && syn == nil:
				t.Fatalf("%q is not JSON, error %v", raw, err)
			case !strings.HasPrefix(err.Error(), "risk settings: "):
				t.Fatalf("%q: error %q does not name the setting", raw, err)
			case cfg != risk.DefaultConfig():
				t.Fatalf("%q refused (%v) but the config is %+v, not the defaults", raw, err, cfg)
			}
			return
		}
		if !json.Valid([]byte(raw)) && raw != "" {
			t.Fatalf("%q is not JSON but reads as %+v", raw, cfg)
		}
		if raw == "" {
			delete(settings, settingRiskConfig) // absent reads as empty
			if c2, err := RiskConfig(settingsTx{m: settings}); err != nil || c2 != cfg {
				t.Fatalf("absent %+v %v, empty %+v", c2, err, cfg)
			}
		}

		// The two thresholds that come from their own settings.
		if want := approvalLimitOf(limit); cfg.ApprovalLimit != want {
			t.Fatalf("ApprovalLimit %d from the setting %q, want %d", cfg.ApprovalLimit, limit, want)
		}
		if want := maxPayoutOf(maxPayout); cfg.MaxPayout != want {
			t.Fatalf("MaxPayout %d from the setting %q, want %d", cfg.MaxPayout, maxPayout, want)
		}

		// The JSON's object, read key by key.
		want := riskConfigOf(t, raw)
		want.ApprovalLimit, want.MaxPayout = cfg.ApprovalLimit, cfg.MaxPayout
		if !reflect.DeepEqual(cfg, want) {
			t.Fatalf("%q reads as\n%+v, want\n%+v", raw, cfg, want)
		}

		// What SetRiskConfig stores for it reads back the same.
		stored := cfg
		stored.ApprovalLimit = 0
		b, err := json.Marshal(stored)
		if err != nil {
			t.Fatal(err)
		}
		settings[settingRiskConfig] = string(b)
		if again, err := RiskConfig(settingsTx{m: settings}); err != nil || again != cfg {
			t.Fatalf("stored as %s, read back as %+v %v, want %+v", b, again, err, cfg)
		}

		// The invariants the rules rely on.
		if bad := riskViolations(cfg); len(bad) > 0 {
			err := (&Service{}).SetRiskConfig(context.Background(), owner, cfg) // refused before any store access
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("%q reads back with %v, and SetRiskConfig does not refuse it: %v", raw, bad, err)
			}
			if *strictRisk {
				t.Fatalf("risk.config %q reads back with %v: SetRiskConfig refuses such a config (%v), RiskConfig does not", raw, bad, err)
			}
		}
	})
}

// approvalLimitOf is the engine's per-transfer limit as read from its
// setting: whole rupiah, 0 (no limit) when absent, unreadable or negative.
func approvalLimitOf(v string) domain.Rupiah {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return domain.Rupiah(n)
}

// maxPayoutOf is the shop's maximum per payout as read from its setting:
// the built-in maximum when absent, unreadable or not positive.
func maxPayoutOf(v string) domain.Rupiah {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return domain.DefaultMaxAmount
	}
	return domain.Rupiah(n)
}

// riskConfigOf reads an accepted risk.config without decoding it into a
// risk.Config: the defaults, then each top-level key in order decoded into
// the field whose name it matches case-insensitively (unknown keys
// ignored, null leaving the field as it is).
func riskConfigOf(t *testing.T, raw string) risk.Config {
	t.Helper()
	cfg := risk.DefaultConfig()
	if raw == "" {
		return cfg
	}
	d := json.NewDecoder(strings.NewReader(raw))
	tok, err := d.Token()
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	if tok == nil { // null
		return cfg
	}
	if tok != json.Delim('{') {
		t.Fatalf("%q accepted, but it is not an object", raw)
	}
	v := reflect.ValueOf(&cfg).Elem()
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		var val json.RawMessage
		if err := d.Decode(&val); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		for i := 0; i < v.NumField(); i++ {
			sf := v.Type().Field(i)
			if sf.Tag.Get("json") == "-" || !strings.EqualFold(k.(string), sf.Name) {
				continue
			}
			if err := json.Unmarshal(val, v.Field(i).Addr().Interface()); err != nil {
				t.Fatalf("%q accepted, but its %s %s does not read: %v", raw, k, val, err)
			}
		}
	}
	return cfg
}

// riskViolations lists what of cfg is outside the bounds SetRiskConfig
// enforces and the rules rely on: a negative limit or count switches its
// rule off (risk.singleLimit, dailyTotal, velocity), a score above 1 turns
// the watchlist off and a score below 0 matches every name, a band outside
// 0..10000 basis points moves "just under the limit" above it or below 0.
func riskViolations(cfg risk.Config) []string {
	var bad []string
	for name, v := range map[string]int64{"SingleLimit": int64(cfg.SingleLimit), "DailyPayeeLimit": int64(cfg.DailyPayeeLimit),
		"ApprovalLimit": int64(cfg.ApprovalLimit), "AmountTolerance": int64(cfg.AmountTolerance),
		"VelocityMax": int64(cfg.VelocityMax), "StructuringMin": int64(cfg.StructuringMin)} {
		if v < 0 {
			bad = append(bad, fmt.Sprintf("%s %d < 0", name, v))
		}
	}
	if cfg.StructuringBandBPS < 0 || cfg.StructuringBandBPS > 10000 {
		bad = append(bad, fmt.Sprintf("StructuringBandBPS %d outside 0..10000", cfg.StructuringBandBPS))
	}
	for name, v := range map[string]float64{"HolderMinScore": cfg.HolderMinScore, "WatchlistMinScore": cfg.WatchlistMinScore} {
		if !(v >= 0 && v <= 1) {
			bad = append(bad, fmt.Sprintf("%s %g outside 0..1", name, v))
		}
	}
	return bad
}

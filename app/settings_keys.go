package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"lunas/domain"
	"lunas/domain/risk"
)

// The plain settings `lunas settings get|set` knows: the AML thresholds
// (kept together in the security service's risk configuration), the
// engine's limits, routing, the shop's name and time zone, and the
// gateways' URLs and IDs. Keys, PINs and passwords are not settings: they
// go into the vault (lunas init, or the desktop's Settings).

// settingKind is how a setting's value is written and checked.
type settingKind int

const (
	kindRupiah   settingKind = iota // whole rupiah, "Rp1.000.000" or "1000000"; 0 = no limit
	kindCount                       // a whole number, 0 or more
	kindBool                        // on/off, ya/tidak, true/false
	kindDuration                    // 1m .. 720h
	kindText                        // one line of text
	kindTimeZone                    // an IANA time zone (Asia/Jakarta)
	kindLanguage                    // id or en
	kindURL                         // http(s)://host[/path]
	kindRoute                       // JSON {"MANDIRI":"iris"}
	kindChannel                     // a payout channel name
	kindH2H                         // the H2H suppliers' JSON (no PIN or password)
)

// settingSpec is one known setting. risk fields read and write the
// setting's field of the risk configuration (aml.* keys only).
type settingSpec struct {
	Key  string
	Kind settingKind
	Help string // English; the kind's message says what is accepted in both languages
	get  func(c risk.Config) string
	set  func(c *risk.Config, v string)
}

func rupiahField(f func(c *risk.Config) *domain.Rupiah) (func(risk.Config) string, func(*risk.Config, string)) {
	return func(c risk.Config) string { return f(&c).String() },
		func(c *risk.Config, v string) { n, _ := strconv.ParseInt(v, 10, 64); *f(c) = domain.Rupiah(n) }
}

var settingSpecs = func() map[string]settingSpec {
	single, setSingle := rupiahField(func(c *risk.Config) *domain.Rupiah { return &c.SingleLimit })
	daily, setDaily := rupiahField(func(c *risk.Config) *domain.Rupiah { return &c.DailyPayeeLimit })
	tol, setTol := rupiahField(func(c *risk.Config) *domain.Rupiah { return &c.AmountTolerance })
	list := []settingSpec{
		{Key: "aml.single_limit", Kind: kindRupiah, Help: "AML: hold a single transfer above this amount", get: single, set: setSingle},
		{Key: "aml.daily_payee_limit", Kind: kindRupiah, Help: "AML: hold when a payee's day total would exceed this", get: daily, set: setDaily},
		{Key: "aml.velocity_max", Kind: kindCount, Help: "AML: hold when more than this many transfers go to one payee within aml.velocity_window (default 5 per hour)",
			get: func(c risk.Config) string { return strconv.Itoa(c.VelocityMax) },
			set: func(c *risk.Config, v string) { c.VelocityMax, _ = strconv.Atoi(v) }},
		{Key: "aml.velocity_window", Kind: kindDuration, Help: "AML: the window of aml.velocity_max (default 1h)",
			get: func(c risk.Config) string { return c.VelocityWindow.String() },
			set: func(c *risk.Config, v string) { c.VelocityWindow, _ = time.ParseDuration(v) }},
		{Key: "aml.hold_first_payout", Kind: kindBool, Help: "AML: hold the first payout to a new payee or a changed account",
			get: func(c risk.Config) string { return onOff(c.HoldFirstPayout) },
			set: func(c *risk.Config, v string) { c.HoldFirstPayout = v == "on" }},
		{Key: "aml.structuring_min", Kind: kindCount, Help: "AML: hold when this many transfers just under the approval limit fall within a day",
			get: func(c risk.Config) string { return strconv.Itoa(c.StructuringMin) },
			set: func(c *risk.Config, v string) { c.StructuringMin, _ = strconv.Atoi(v) }},
		{Key: "aml.amount_tolerance", Kind: kindRupiah, Help: "AML: amount difference tolerated between order and payment", get: tol, set: setTol},
		{Key: settingLimitPerTransfer, Kind: kindRupiah, Help: "transfers above this wait for the owner's approval (0 = none)"},
		{Key: settingLimitPayeeDaily, Kind: kindRupiah, Help: "a payee's transfers above this per day wait for approval (0 = none)"},
		{Key: settingLowBalance, Kind: kindRupiah, Help: "warn when a payout balance falls below this (0 = never)"},
		{Key: domain.SettingMaxPayout, Kind: kindRupiah, Help: "the largest payout Lunas will ever make (0 = the built-in maximum)"},
		{Key: settingPayoutRoute, Kind: kindRoute, Help: `routing: bank or wallet code -> channel, JSON {"MANDIRI":"iris"}`},
		{Key: settingPayoutDefault, Kind: kindChannel, Help: "the channel for codes without a route (xendit, iris, doku or an H2H supplier)"},
		{Key: settingShopName, Kind: kindText, Help: "the shop's name"},
		{Key: "shop.timezone", Kind: kindTimeZone, Help: "the shop's time zone (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"},
		{Key: "ui.language", Kind: kindLanguage, Help: "the desktop's language: id or en"},
		{Key: settingXenditURL, Kind: kindURL, Help: "Xendit API base URL (the sandbox's URL for trials)"},
		{Key: settingMidtransCore, Kind: kindURL, Help: "Midtrans Core API URL"},
		{Key: settingMidtransSnap, Kind: kindURL, Help: "Midtrans Snap URL"},
		{Key: settingIrisURL, Kind: kindURL, Help: "Iris API URL"},
		{Key: settingDOKUURL, Kind: kindURL, Help: "DOKU API URL"},
		{Key: settingDOKUClientID, Kind: kindText, Help: "DOKU Client ID"},
		{Key: settingDOKUCustomer, Kind: kindText, Help: "Kirim DOKU customer number"},
		{Key: settingIpaymuURL, Kind: kindURL, Help: "iPaymu API URL"},
		{Key: settingIpaymuVA, Kind: kindText, Help: "iPaymu VA number"},
		{Key: settingH2HURL, Kind: kindURL, Help: "H2H supplier URL (one supplier named h2h)"},
		{Key: settingH2HMember, Kind: kindText, Help: "H2H member ID"},
		{Key: settingH2HPreset, Kind: kindText, Help: "H2H supplier's reply style"},
		{Key: settingH2HConfig, Kind: kindH2H, Help: "H2H suppliers as JSON, without PIN or password"},
	}
	m := make(map[string]settingSpec, len(list))
	for _, s := range list {
		m[s.Key] = s
	}
	return m
}()

// settingKeys lists the known keys, sorted.
func settingKeys() []string {
	keys := make([]string, 0, len(settingSpecs))
	for k := range settingSpecs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errUnknownSetting reports a key `lunas settings` does not know (typos,
// secrets). UnknownSettingError carries the key and matches it.
var errUnknownSetting = errors.New("unknown setting")

// UnknownSettingError names the key; keys that look like secrets say where
// those go instead.
type UnknownSettingError struct{ Key string }

func (e *UnknownSettingError) Error() string {
	if isSecretSetting(e.Key) || looksLikeSecret(e.Key) {
		return fmt.Sprintf("%q adalah rahasia, bukan pengaturan: simpan dengan `lunas init` atau di Pengaturan aplikasi desktop / "+
			"%q is a secret, not a setting: store it with `lunas init` or in the desktop's Settings", e.Key, e.Key)
	}
	return fmt.Sprintf("pengaturan %q tidak dikenal (lihat `lunas settings get`) / unknown setting %q (see `lunas settings get`)", e.Key, e.Key)
}

// Is makes UnknownSettingError match errUnknownSetting.
func (e *UnknownSettingError) Is(t error) bool { return t == errUnknownSetting }

func looksLikeSecret(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"password", "secret", "pin", "key", "token"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// knownChannels are the payout channel names routing may name; H2H
// suppliers add their own names, so any other lower-case name is accepted
// too and serve warns when it is not set up.
var channelName = func(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == ':') {
			return false
		}
	}
	return true
}

// parseSettingValue checks value for key and returns it as stored (rupiah
// as whole numbers, booleans as on/off, JSON compacted). Errors match
// errUnknownSetting or domain.ErrInvalid and say what is accepted, in
// Indonesian and English.
func parseSettingValue(key, value string) (string, error) {
	spec, ok := settingSpecs[key]
	if !ok {
		return "", &UnknownSettingError{Key: key}
	}
	v := strings.TrimSpace(value)
	bad := func(format string, args ...any) error { return domain.Invalid(key, format, args...) }
	switch spec.Kind {
	case kindRupiah:
		r, err := domain.ParseRupiah(v)
		if err != nil || r < 0 {
			return "", bad("tulis jumlah rupiah, 0 atau lebih, mis. Rp1.000.000 / write an amount in rupiah, 0 or more, e.g. Rp1.000.000")
		}
		return strconv.FormatInt(int64(r), 10), nil
	case kindCount:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return "", bad("tulis bilangan bulat 0..1000000 / write a whole number 0..1000000")
		}
		return strconv.Itoa(n), nil
	case kindBool:
		switch strings.ToLower(v) {
		case "on", "ya", "yes", "true", "1", "aktif":
			return "on", nil
		case "off", "tidak", "no", "false", "0", "mati":
			return "off", nil
		}
		return "", bad("tulis on atau off / write on or off")
	case kindDuration:
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 720*time.Hour {
			return "", bad("tulis durasi 1m..720h, mis. 1h / write a duration 1m..720h, e.g. 1h")
		}
		return d.String(), nil
	case kindText:
		if v == "" || len(v) > 200 || strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }) >= 0 {
			return "", bad("tulis satu baris teks, 1-200 karakter / write one line of text, 1-200 characters")
		}
		return v, nil
	case kindTimeZone:
		if v == "" || strings.ContainsAny(v, "\\\x00") || strings.Contains(v, "..") || strings.HasPrefix(v, "/") {
			return "", bad("tulis zona waktu seperti Asia/Jakarta / write a time zone such as Asia/Jakarta")
		}
		if _, err := time.LoadLocation(v); err != nil || v == "Local" {
			return "", bad("zona waktu %q tidak dikenal, mis. Asia/Jakarta / unknown time zone %q, e.g. Asia/Jakarta", v, v)
		}
		return v, nil
	case kindLanguage:
		if l := strings.ToLower(v); l == "id" || l == "en" {
			return l, nil
		}
		return "", bad("tulis id atau en / write id or en")
	case kindURL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return "", bad("tulis URL http(s)://host[/path] / write a URL http(s)://host[/path]")
		}
		return strings.TrimRight(v, "/"), nil
	case kindChannel:
		if !channelName(v) {
			return "", bad("tulis nama saluran, mis. xendit, iris, doku / write a channel name, e.g. xendit, iris, doku")
		}
		return v, nil
	case kindRoute:
		var m map[string]string
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return "", bad(`tulis JSON seperti {"MANDIRI":"iris"} / write JSON like {"MANDIRI":"iris"}`)
		}
		out := make(map[string]string, len(m))
		for code, ch := range m {
			code, ch = strings.ToUpper(strings.TrimSpace(code)), strings.TrimSpace(ch)
			if code == "" || len(code) > 40 || !channelName(ch) {
				return "", bad(`tiap kode bank menuju satu saluran, mis. {"MANDIRI":"iris"} / each bank code goes to one channel, e.g. {"MANDIRI":"iris"}`)
			}
			out[code] = ch
		}
		b, _ := json.Marshal(out) // sorted keys
		return string(b), nil
	case kindH2H:
		if _, _, err := h2hConfigs(func(k string) string {
			if k == settingH2HConfig {
				return v
			}
			return ""
		}); err != nil {
			if errors.Is(err, errH2HSecretInSetting) {
				return "", bad("%s", errH2HSecretInSetting.Error())
			}
			return "", bad("tulis JSON pemasok H2H (satu atau daftar) / write the H2H suppliers' JSON (one or a list)")
		}
		return v, nil
	}
	return "", bad("tidak dapat diubah di sini / cannot be changed here")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// showSetting is a stored value as people read it: rupiah formatted.
func showSetting(key, stored string) string {
	if s, ok := settingSpecs[key]; ok && s.Kind == kindRupiah && stored != "" {
		if n, err := strconv.ParseInt(stored, 10, 64); err == nil {
			return domain.Rupiah(n).String()
		}
	}
	return stored
}

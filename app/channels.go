package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/reconcile"
	"lunas/gateways/h2h"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
	"lunas/security"
)

// Gateway secrets in the vault, under the names the desktop's settings
// screen and first-run wizard store them (app/gui.go, ui/settings.go), plus
// the Iris and H2H keys the desktop has no field for yet.
const (
	secretXenditKey      = "gateway.xendit.key1"   // Xendit secret key
	secretMidtransServer = "gateway.midtrans.key1" // Midtrans server key (Snap and Core API)
	secretIrisApprover   = "gateway.midtrans.key2" // Iris approver key
	secretIrisCreator    = "gateway.iris.key_creator"
	secretIrisOTP        = "gateway.iris.key_otp" // the Iris approver's authenticator (TOTP) secret
	secretIrisMerchant   = "gateway.iris.key_merchant"
	secretH2HPassword    = "gateway.h2h.key1" // the wizard's "secret key" for an H2H supplier
	secretH2HPIN         = "gateway.h2h.key2" // the wizard's "PIN" for an H2H supplier
	settingH2HConfig     = "gateway.h2h.config"
	settingH2HURL        = "gateway.h2h.url"
	settingH2HMember     = "gateway.h2h.member_id"
	settingH2HPreset     = "gateway.h2h.preset" // the supplier's reply style (h2h.Presets); empty reads them all
	settingXenditURL     = "gateway.xendit.url"
	settingMidtransCore  = "gateway.midtrans.core_url"
	settingMidtransSnap  = "gateway.midtrans.snap_url"
	settingIrisURL       = "gateway.iris.url"
	settingPayoutRoute   = "payout.route"   // JSON {"MANDIRI":"iris","GOPAY":"h2h:pulsa"}
	settingPayoutDefault = "payout.default" // channel for unrouted bank codes
	defaultMidtransCore  = "https://api.midtrans.com"
	defaultMidtransSnap  = "https://app.midtrans.com"
	defaultIrisURL       = "https://app.midtrans.com/iris"
	h2hSecretPINSuffix   = ".key_pin"
	h2hSecretPassSuffix  = ".key_password"
	h2hSecretPrefix      = "gateway.h2h."
)

// Errors of the gateway settings, worded for the person at the terminal.
var (
	// errNoGateways reports a shop with no gateway keys in its vault.
	errNoGateways = errors.New("belum ada gateway yang diatur: tambahkan kunci gateway di Pengaturan aplikasi desktop (atau lunas init) / " +
		"no gateway is set up: add gateway keys in the desktop app's Settings (or with lunas init)")
	// errH2HSecretInSetting refuses a PIN or password in the plain settings.
	errH2HSecretInSetting = errors.New("PIN dan kata sandi pemasok H2H adalah rahasia, jangan di " + settingH2HConfig + " / " +
		"an H2H supplier's PIN and password are secrets: keep them out of " + settingH2HConfig)
)

// gatewayURLs points the gateways somewhere other than production.
type gatewayURLs struct {
	Sandbox string // one sandbox for every gateway (trials, tests): Xendit, Midtrans, Iris
	Xendit  string // Xendit base URL (overrides Sandbox for Xendit)
}

// channelSet is every gateway a shop has configured.
type channelSet struct {
	XenditKey, XenditURL string // empty key: no Xendit
	Payments             map[string]domain.PaymentGateway
	Payouts              map[string]domain.PayoutChannel // besides Xendit
	Route                map[string]string               // payee bank or wallet code -> channel
	Default              string
	Warnings             []string
}

// names lists the configured channels for messages.
func (c *channelSet) names() []string {
	var out []string
	if c.XenditKey != "" {
		out = append(out, "xendit")
	}
	for n := range c.Payments {
		out = append(out, n)
	}
	for n := range c.Payouts {
		out = append(out, n)
	}
	return out
}

// settingOf reads a plain setting, "" when absent.
func settingOf(ctx context.Context, st domain.Store, key string) string {
	var v string
	st.Read(ctx, func(tx domain.ReadTx) error {
		v, _ = tx.GetSetting(key)
		return nil
	})
	return v
}

// secretOf reads a vault secret, "" when unset; other errors (a locked
// vault) are returned.
func secretOf(ctx context.Context, sec *security.Service, name string) (string, error) {
	v, err := sec.Secret(ctx, name)
	if errors.Is(err, domain.ErrNotFound) {
		return "", nil
	}
	return v, err
}

// shopChannels builds every gateway the shop has keys for, from the secrets
// in its (unlocked) vault and the plain settings.
func shopChannels(ctx context.Context, sh *shop, urls gatewayURLs, log *slog.Logger) (*channelSet, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := sh.DB
	get := func(k string) string { return settingOf(ctx, st, k) }
	var firstErr error
	secret := func(name string) string {
		v, err := secretOf(ctx, sh.Sec, name)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("secret %s: %w", name, err)
		}
		return v
	}
	or := func(vals ...string) string {
		for _, v := range vals {
			if v != "" {
				return v
			}
		}
		return ""
	}
	sb := strings.TrimRight(urls.Sandbox, "/")
	sbOr := func(path, def string) string {
		if sb != "" {
			return sb + path
		}
		return def
	}
	cs := &channelSet{Payments: map[string]domain.PaymentGateway{}, Payouts: map[string]domain.PayoutChannel{}, Route: map[string]string{}}

	// Xendit: payments and payouts.
	if k := secret(secretXenditKey); k != "" {
		cs.XenditKey = k
		cs.XenditURL = or(urls.Xendit, sbOr("", ""), get(settingXenditURL), xendit.DefaultBaseURL)
	}
	// Midtrans: Snap payment links, verified through the Core API.
	if k := secret(secretMidtransServer); k != "" {
		cs.Payments["midtrans"] = midtrans.New(midtrans.Config{ServerKey: k, Logger: log, Timeout: 20 * time.Second,
			CoreURL: or(sbOr("/midtrans", ""), get(settingMidtransCore), defaultMidtransCore),
			SnapURL: or(sbOr("", ""), get(settingMidtransSnap), defaultMidtransSnap)})
	}
	// Iris payouts; the REFID -> reference_no book lives in the store so a
	// restart can still query what was sent before it.
	if k := secret(secretIrisCreator); k != "" {
		cfg := midtrans.IrisConfig{BaseURL: or(sbOr("/iris", ""), get(settingIrisURL), defaultIrisURL), CreatorKey: k,
			ApproverKey: secret(secretIrisApprover), MerchantKey: secret(secretIrisMerchant),
			Book: midtrans.NewStoreBook(st), Logger: log, Timeout: 20 * time.Second}
		if otp := secret(secretIrisOTP); otp != "" {
			cfg.OTP = midtrans.TOTP(otp, nil)
		} else if sb != "" {
			cfg.OTP = midtrans.StaticOTP(sandbox.DefaultCredentials().IrisOTP)
		} else if cfg.ApproverKey != "" {
			cs.Warnings = append(cs.Warnings, "iris: no approver OTP secret ("+secretIrisOTP+"): payouts wait for approval in the Iris portal")
			cfg.ApproverKey = ""
		}
		cs.Payouts["iris"] = midtrans.NewIris(cfg)
	}
	// H2H suppliers.
	sups, warn, err := h2hConfigs(get)
	if err != nil {
		return nil, err
	}
	cs.Warnings = append(cs.Warnings, warn...)
	for i, c := range sups {
		c.PIN = secret(h2hSecretPrefix + c.Name + h2hSecretPINSuffix)
		c.Password = secret(h2hSecretPrefix + c.Name + h2hSecretPassSuffix)
		if i == 0 { // the desktop's single-supplier keys
			c.PIN, c.Password = or(c.PIN, secret(secretH2HPIN)), or(c.Password, secret(secretH2HPassword))
		}
		ch, err := h2h.New(c, h2h.Options{Logger: log, Timeout: 20 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("H2H supplier %q (%s): %w", c.Name, settingH2HConfig, err)
		}
		cs.Payouts[ch.Name()] = ch
		for code := range c.Products {
			cs.Route[strings.ToUpper(code)] = ch.Name()
		}
	}
	// DOKU (Checkout, Kirim DOKU) and iPaymu: app/channels_doku.go.
	dokuIpaymuChannels(cs, get, secret, sb, log)
	if firstErr != nil {
		return nil, firstErr
	}
	// Routing: explicit routes win over the H2H products.
	if r := get(settingPayoutRoute); r != "" {
		var m map[string]string
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			return nil, fmt.Errorf("setting %s: write JSON like {\"MANDIRI\":\"iris\"}: %w", settingPayoutRoute, err)
		}
		for code, ch := range m {
			cs.Route[strings.ToUpper(strings.TrimSpace(code))] = strings.TrimSpace(ch)
		}
	}
	cs.Default = get(settingPayoutDefault)
	if cs.Default == "" {
		switch {
		case cs.XenditKey != "":
			cs.Default = "xendit"
		case cs.Payouts["iris"] != nil:
			cs.Default = "iris"
		case cs.Payouts["doku"] != nil:
			cs.Default = "doku"
		}
	}
	has := func(ch string) bool { return (ch == "xendit" && cs.XenditKey != "") || cs.Payouts[ch] != nil }
	for code, ch := range cs.Route {
		if !has(ch) {
			cs.Warnings = append(cs.Warnings, fmt.Sprintf("route %s -> %s: that channel is not set up; such transfers wait with a reason", code, ch))
		}
	}
	if cs.Default != "" && !has(cs.Default) {
		cs.Warnings = append(cs.Warnings, fmt.Sprintf("%s %q is not set up", settingPayoutDefault, cs.Default))
	}
	if len(cs.names()) == 0 {
		return nil, errNoGateways
	}
	return cs, nil
}

// h2hConfigs reads the suppliers: gateway.h2h.config holds one h2h.Config or
// a list of them as JSON (secrets excluded); without it the desktop's
// gateway.h2h.url with gateway.h2h.member_id make one supplier named "h2h".
func h2hConfigs(get func(string) string) ([]h2h.Config, []string, error) {
	raw := strings.TrimSpace(get(settingH2HConfig))
	if raw == "" {
		url := get(settingH2HURL)
		if url == "" {
			return nil, nil, nil
		}
		member := get(settingH2HMember)
		if member == "" {
			return nil, []string{"H2H: " + settingH2HURL + " is set but " + settingH2HMember + " is not; the supplier is not used"}, nil
		}
		return []h2h.Config{{Name: "h2h", BaseURL: url, MemberID: member, Preset: get(settingH2HPreset)}}, nil, nil
	}
	var list []h2h.Config
	if strings.HasPrefix(raw, "[") {
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return nil, nil, fmt.Errorf("setting %s: %w", settingH2HConfig, err)
		}
	} else {
		var one h2h.Config
		if err := json.Unmarshal([]byte(raw), &one); err != nil {
			return nil, nil, fmt.Errorf("setting %s: %w", settingH2HConfig, err)
		}
		list = []h2h.Config{one}
	}
	for _, c := range list {
		if c.PIN != "" || c.Password != "" {
			return nil, nil, errH2HSecretInSetting
		}
	}
	return list, nil, nil
}

// reconcileGateways is every configured channel as reconciliation sources.
func (c *channelSet) reconcileGateways(timeout time.Duration) reconcile.Gateways {
	var gw reconcile.Gateways
	if c.XenditKey != "" {
		x := xendit.New(xendit.Config{BaseURL: c.XenditURL, SecretKey: c.XenditKey, Timeout: timeout})
		gw.Payments = append(gw.Payments, x)
		gw.Payouts = append(gw.Payouts, x)
	}
	for _, p := range c.Payments {
		gw.Payments = append(gw.Payments, p)
	}
	for _, ch := range c.Payouts {
		gw.Payouts = append(gw.Payouts, ch)
	}
	return gw
}

package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways/doku"
	"lunas/gateways/ipaymu"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
	"lunas/ui"
)

// DOKU and iPaymu settings. Secrets (".key" names) live in the vault like
// the other gateways'; the wizard writes key1, key2 and member_id.
const (
	secretDOKUKey         = "gateway.doku.key1"      // DOKU Secret Key (non-SNAP HMAC and SNAP clientSecret)
	secretDOKUPrivateKey  = "gateway.doku.key2"      // RSA private key (PEM) for Kirim DOKU's access token
	settingDOKUClientID   = "gateway.doku.member_id" // DOKU Client ID
	settingDOKUCustomer   = "gateway.doku.customer_number"
	settingDOKUURL        = "gateway.doku.url"
	settingDOKUNotifyPath = "gateway.doku.notification_path"
	secretIpaymuKey       = "gateway.ipaymu.key1"      // iPaymu API key
	settingIpaymuVA       = "gateway.ipaymu.member_id" // iPaymu VA number
	settingIpaymuURL      = "gateway.ipaymu.url"
)

// dokuIpaymuChannels adds DOKU (payments; payouts when a private key is
// set) and iPaymu (payments) to cs when their keys are in the vault.
// sandboxURL points both at a sandbox.
func dokuIpaymuChannels(cs *channelSet, get, secret func(string) string, sandboxURL string, log *slog.Logger) {
	if k := secret(secretDOKUKey); k != "" && get(settingDOKUClientID) != "" {
		url := firstOf(sandboxURL, get(settingDOKUURL), doku.ProductionURL)
		d := doku.New(doku.Config{BaseURL: url, ClientID: get(settingDOKUClientID), SecretKey: k,
			PrivateKey: secret(secretDOKUPrivateKey), CustomerNumber: get(settingDOKUCustomer),
			NotificationPath: get(settingDOKUNotifyPath), Logger: log, Timeout: 20 * time.Second})
		cs.Payments["doku"] = d
		if secret(secretDOKUPrivateKey) != "" {
			cs.Payouts["doku"] = d
		} else {
			cs.Warnings = append(cs.Warnings, "doku: no private key ("+secretDOKUPrivateKey+"): DOKU takes payments only, no Kirim DOKU payouts")
		}
	}
	if k := secret(secretIpaymuKey); k != "" && get(settingIpaymuVA) != "" {
		url := firstOf(sandboxURL, get(settingIpaymuURL), ipaymu.ProductionURL)
		cs.Payments["ipaymu"] = ipaymu.New(ipaymu.Config{BaseURL: url, VA: get(settingIpaymuVA), APIKey: k, Logger: log, Timeout: 20 * time.Second})
	}
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// testConnectionB checks DOKU or iPaymu keys as typed with one harmless
// request: DOKU's Checkout status of an invoice that does not exist (a
// right key gets "not found", a wrong one 401) and, with a private key,
// Kirim DOKU's balance; iPaymu's balance. A refusal says which gateway
// refused the key (ui.KeyRefusedError).
func testConnectionB(ctx context.Context, gateway string, keys map[string]string, sb string, log *slog.Logger) error {
	switch gateway {
	case "doku":
		id, secret, pk := strings.TrimSpace(keys["member_id"]), strings.TrimSpace(keys["key1"]), strings.TrimSpace(keys["key2"])
		if id == "" || secret == "" {
			return domain.Invalid("doku", "type DOKU's Client ID and Secret Key")
		}
		url := doku.ProductionURL // DOKU's keys do not say their mode
		if sb != "" {
			url = sb
		}
		c := doku.New(doku.Config{BaseURL: url, ClientID: id, SecretKey: secret, PrivateKey: pk, Logger: log, Timeout: 15 * time.Second})
		_, err := c.PaymentStatus(ctx, fmt.Sprintf("LUNASTEST%d", time.Now().UnixNano()%1_000_000_000))
		if err == nil && pk != "" {
			_, err = c.Balance(ctx)
		}
		return refusedBy("DOKU", err)
	case "ipaymu":
		va, key := strings.TrimSpace(keys["member_id"]), strings.TrimSpace(keys["key1"])
		if va == "" || key == "" {
			return domain.Invalid("ipaymu", "type the iPaymu VA and API key")
		}
		url := ipaymu.ProductionURL
		if sb != "" {
			url = sb
		}
		_, err := ipaymu.New(ipaymu.Config{BaseURL: url, VA: va, APIKey: key, Logger: log, Timeout: 15 * time.Second}).Balance(ctx)
		return refusedBy("iPaymu", err)
	}
	return fmt.Errorf("testing %s from the desktop: %w", gateway, ui.ErrNotAvailable)
}

// refusedBy names the gateway in a key refusal.
func refusedBy(name string, err error) error {
	if errors.Is(err, doku.ErrKeyRefused) || errors.Is(err, ipaymu.ErrKeyRefused) {
		return &ui.KeyRefusedError{Gateway: name, Err: err}
	}
	return err
}

// demoGatewaySandbox returns the payment gateway a demo buyer pays through
// and how the simulated buyer pays it: xendit (default), midtrans, doku or
// ipaymu, all against the in-process sandbox.
func demoGatewaySandbox(name, url string, sb *sandbox.Server, now func() time.Time) (domain.PaymentGateway, func(ext string, amt domain.Rupiah) error, error) {
	c := sb.Credentials()
	switch name {
	case "", "xendit":
		return nil, sb.PayXenditInvoice, nil
	case "midtrans":
		return midtrans.New(midtrans.Config{CoreURL: url + sandbox.MidtransCorePath, SnapURL: url, ServerKey: c.MidtransServerKey, Timeout: 20 * time.Second, Now: now}), func(ext string, amt domain.Rupiah) error { return sb.PayMidtrans(ext, amt, "") }, nil
	case "doku":
		return doku.New(doku.Config{BaseURL: url, ClientID: c.DOKUClientID, SecretKey: c.DOKUSecretKey, PrivateKey: c.DOKUPrivateKey,
			CustomerNumber: c.DOKUCustomerNumber, Timeout: 20 * time.Second, Now: now}), sb.PayDOKU, nil
	case "ipaymu":
		return ipaymu.New(ipaymu.Config{BaseURL: url, VA: c.IpaymuVA, APIKey: c.IpaymuAPIKey, Timeout: 20 * time.Second}), sb.PayIpaymu, nil
	}
	return nil, nil, domain.Invalid("gateway", "the demo speaks xendit, midtrans, doku or ipaymu, not %q", name)
}

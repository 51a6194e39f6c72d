package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/reconcile"
	"lunas/gateways/sandbox"
	"lunas/ui"
)

// TestGUITestConnectionDOKUAndIpaymu: "Test connection" for DOKU and iPaymu
// against the sandbox over loopback; right keys pass, a wrong key is
// refused and says which gateway refused it.
func TestGUITestConnectionDOKUAndIpaymu(t *testing.T) {
	sb, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("LUNAS_SANDBOX_URL", url)
	g, err := newGUIServices(context.Background(), filepath.Join(t.TempDir(), "own.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	c := sb.Credentials()
	for _, tc := range []struct {
		name, gateway string
		keys          map[string]string
		refusedBy     string // "" = connected
		invalid       bool
	}{
		{"doku payments and payouts", "doku", map[string]string{"member_id": c.DOKUClientID, "key1": c.DOKUSecretKey, "key2": c.DOKUPrivateKey}, "", false},
		{"doku payments only", "doku", map[string]string{"member_id": c.DOKUClientID, "key1": c.DOKUSecretKey}, "", false},
		{"doku wrong secret key", "doku", map[string]string{"member_id": c.DOKUClientID, "key1": "SK-wrong"}, "DOKU", false},
		{"doku wrong client id", "doku", map[string]string{"member_id": "BRN-0000-wrong", "key1": c.DOKUSecretKey}, "DOKU", false},
		{"doku wrong private key", "doku", map[string]string{"member_id": c.DOKUClientID, "key1": c.DOKUSecretKey, "key2": otherPrivateKey(t)}, "DOKU", false},
		{"doku no client id", "doku", map[string]string{"key1": c.DOKUSecretKey}, "", true},
		{"ipaymu", "ipaymu", map[string]string{"member_id": c.IpaymuVA, "key1": c.IpaymuAPIKey}, "", false},
		{"ipaymu wrong key", "ipaymu", map[string]string{"member_id": c.IpaymuVA, "key1": "wrong"}, "iPaymu", false},
		{"ipaymu no va", "ipaymu", map[string]string{"key1": c.IpaymuAPIKey}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := g.TestConnection(context.Background(), tc.gateway, tc.keys)
			var kr *ui.KeyRefusedError
			switch {
			case tc.invalid:
				if !errors.Is(err, domain.ErrInvalid) {
					t.Fatalf("%v, want a form error", err)
				}
			case tc.refusedBy == "":
				if err != nil {
					t.Fatalf("%v", err)
				}
			case !errors.Is(err, ui.ErrKeyRefused) || !errors.As(err, &kr) || kr.Gateway != tc.refusedBy:
				t.Fatalf("%v, want key refused by %s", err, tc.refusedBy)
			}
		})
	}
}

// TestShopDOKUAndIpaymuChannels: keys saved in Settings give the shop's
// engine DOKU (payments and Kirim DOKU payouts) and iPaymu payments; a route
// sends a bank to DOKU; reconciliation asks both.
func TestShopDOKUAndIpaymuChannels(t *testing.T) {
	sb, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("LUNAS_SANDBOX_URL", url)
	g, owner := newOwnerShop(t, filepath.Join(t.TempDir(), "own.db"))
	defer g.Close()
	ctx := context.Background()
	c := sb.Credentials()
	for _, kv := range [][2]string{
		{settingDOKUClientID, c.DOKUClientID}, {secretDOKUKey, c.DOKUSecretKey}, {secretDOKUPrivateKey, c.DOKUPrivateKey},
		{settingDOKUCustomer, c.DOKUCustomerNumber}, {settingIpaymuVA, c.IpaymuVA}, {secretIpaymuKey, c.IpaymuAPIKey},
		{settingPayoutRoute, `{"BCA":"doku"}`},
	} {
		if err := g.SaveSetting(ctx, owner, kv[0], kv[1]); err != nil {
			t.Fatalf("%s: %v", kv[0], err)
		}
	}
	sh := &shop{DB: g.own, Sec: g.sec}
	cs, err := shopChannels(ctx, sh, gatewayURLs{Sandbox: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Payments["doku"] == nil || cs.Payments["ipaymu"] == nil || cs.Payouts["doku"] == nil || cs.Route["BCA"] != "doku" || cs.Default != "doku" {
		t.Fatalf("channels: payments %v payouts %v route %v default %q", cs.Payments, cs.Payouts, cs.Route, cs.Default)
	}
	if b, err := cs.Payouts["doku"].Balance(ctx); err != nil || b <= 0 {
		t.Fatalf("doku balance %d %v", b, err)
	}
	// The secrets are in the vault, never in the plain settings.
	for _, k := range []string{secretDOKUKey, secretDOKUPrivateKey, secretIpaymuKey} {
		if v := settingOf(ctx, g.own, k); v != "" {
			t.Fatalf("%s in the plain settings", k)
		}
	}
	rep, err := reconcile.Run(ctx, g.own, cs.reconcileGateways(5*time.Second), time.Now().Add(-time.Hour), time.Now().Add(time.Hour), reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if it.Kind == reconcile.Unchecked || it.Kind == reconcile.NotConfigured {
			t.Errorf("reconcile item %+v", it)
		}
	}
}

// TestDemoWithEveryPaymentGateway: the demo shop runs with buyers paying
// through each payment gateway; payments settle, makers are paid (the BNI
// maker through Kirim DOKU) and reconciliation finds every payment matched.
func TestDemoWithEveryPaymentGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo shop for a few seconds per gateway")
	}
	for _, gw := range []string{"midtrans", "doku", "ipaymu"} {
		t.Run(gw, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rt, shop, err := startDemo(ctx, demoOptions{Gateway: gw, SandboxStep: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Stop()
			bctx, cancel := context.WithCancel(ctx)
			buyers := make(chan struct{})
			go func() { runBuyers(bctx, rt, shop, 100*time.Millisecond, 8, func(string) {}); close(buyers) }()
			defer func() { cancel(); <-buyers }()
			var settled, paid, all int
			state := func() string {
				rt.Store.Read(ctx, func(tx domain.ReadTx) error {
					p, _ := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentSettled}})
					settled = len(p)
					paid, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSucceeded}})
					all, _ = tx.CountTransfers(domain.TransferFilter{})
					return nil
				})
				return fmt.Sprint(settled, paid, all)
			}
			// A loaded machine makes the demo slower: the wait ends when the
			// shop stops moving, not at a fixed time.
			if !waitProgress(t, func() bool { state(); return settled >= 3 && paid >= 1 }, state) {
				t.Fatalf("%s: no progress with %d payments settled, %d transfers succeeded", gw, settled, paid)
			}
			rep, err := reconcile.Run(ctx, rt.Store, reconcile.Gateways{Payments: []reconcile.PaymentChecker{rt.DemoGateway}},
				time.Now().Add(-time.Hour), time.Now().Add(time.Hour), reconcile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Counts[reconcile.Matched] < settled {
				t.Fatalf("%s: reconcile %s", gw, rep.Summary())
			}
			for _, p := range sb(rt).Paid() {
				if p.Count > 1 {
					t.Fatalf("paid %s twice", p.RefID)
				}
			}
		})
	}
}

func sb(rt *runtime) *sandbox.Server { return rt.Sandbox }

// otherPrivateKey is an RSA key DOKU's dashboard does not hold.
func otherPrivateKey(t *testing.T) string {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

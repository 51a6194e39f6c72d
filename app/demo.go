package app

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lunas/demo"
	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/risk"
	"lunas/domain/sqlite"
	"lunas/gateways/doku"
	"lunas/gateways/h2h"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
	"lunas/security"
)

// demoShop is the seeded catalogue: every product with its payout rule.
type demoShop struct {
	products []domain.Product
	ruleOf   map[int64]int64 // product id -> payout rule id
	seeded   bool            // the demo catalogue was just added
}

// seedDemo stores the demo shop: payees (verified), one payout rule per maker
// (maker's share, a gateway fee kept back, commission to the shop) and the
// products, plus limits so that the big sales wait for approval.
func seedDemo(ctx context.Context, st domain.Store) (*demoShop, error) {
	var shop *demoShop
	err := st.Write(ctx, func(tx domain.Tx) error {
		var err error
		if shop, err = seedDemoCatalogue(tx); err != nil {
			return err
		}
		for k, v := range map[string]string{settingLimitPerTransfer: "1000000", settingLimitPayeeDaily: "5000000", settingLowBalance: "2000000"} {
			if err := tx.SetSetting(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	return shop, err
}

// seedDemoCatalogue stores the demo makers (verified payees with the
// sandbox's test accounts), one payout rule each and their products.
func seedDemoCatalogue(tx domain.Tx) (*demoShop, error) {
	shop := &demoShop{ruleOf: map[int64]int64{}}
	err := func() error {
		for _, m := range demo.Makers {
			p := domain.Payee{Name: m.Name, Channel: m.Bank, AccountNumber: m.Account, AccountHolder: m.Name,
				Verification: domain.VerifyOK, Email: m.Email}
			if err := tx.CreatePayee(&p); err != nil {
				return err
			}
			r := domain.PayoutRule{Name: "Konsinyasi " + m.Name, Shares: []domain.Share{
				{Role: domain.RoleSeller, PayeeID: p.ID, BPS: m.ShareBPS},
				{Role: domain.RoleGatewayFee, Fixed: 4500},
			}}
			if err := tx.CreatePayoutRule(&r); err != nil {
				return err
			}
			for _, dp := range m.Products {
				pr := domain.Product{SKU: dp.SKU, Name: dp.Name, Price: dp.Price, PayeeID: p.ID, Active: true}
				if err := tx.CreateProduct(&pr); err != nil {
					return err
				}
				shop.products = append(shop.products, pr)
				shop.ruleOf[pr.ID] = r.ID
			}
		}
		return nil
	}()
	return shop, err
}

// errDemoNotEmpty refuses to seed the demo into a database that already
// holds a shop (users, payout rules, products or orders): the demo's makers
// and buyers must never mix with a real shop's.
var errDemoNotEmpty = errors.New("database ini sudah berisi toko: toko demo hanya dibuat di database kosong (pilih file lain dengan --keep) / " +
	"this database already holds a shop: the demo is only made in an empty database (choose another file with --keep)")

// emptyForDemo returns errDemoNotEmpty when db holds a shop.
func emptyForDemo(ctx context.Context, db domain.Store) error {
	has, err := hasShop(ctx, db)
	if err == nil && has {
		err = errDemoNotEmpty
	}
	return err
}

// hasShop reports whether db holds users, payout rules, products or
// orders (none of which needs the vault to count).
func hasShop(ctx context.Context, db domain.Store) (bool, error) {
	var has bool
	err := db.Read(ctx, func(tx domain.ReadTx) error {
		rules, err := tx.ListPayoutRules()
		if err != nil {
			return err
		}
		products, err := tx.ListProducts(domain.Page{Limit: 1})
		if err != nil {
			return err
		}
		orders, err := tx.CountOrders(domain.OrderFilter{})
		if err != nil {
			return err
		}
		users := 0
		if ut, ok := tx.(interface{ CountUsers() (int, error) }); ok {
			if users, err = ut.CountUsers(); err != nil {
				return err
			}
		}
		has = len(rules) > 0 || len(products) > 0 || orders > 0 || users > 0
		return nil
	})
	return has, err
}

// demoOptions tunes startDemo.
type demoOptions struct {
	DBPath      string        // "" = a new file in a temporary folder; a postgres:// URL keeps it on that server
	BuyerEvery  time.Duration // one simulated buyer per interval (default 2s)
	Log         *slog.Logger
	SandboxStep time.Duration // sandbox status progression step (default 1s)
	// Optional security hooks for the engine (nil: built-in policy only,
	// approval without a code, self-approval allowed as for one user).
	Risk      engine.RiskChecker
	Codes     engine.CodeVerifier
	UserCount func(ctx context.Context) (int, error)
	// Secure gives the demo shop the real security: its database is
	// encrypted by a vault, an owner "sari" exists (runtime.Owner, with
	// runtime.OwnerTOTPSecret for her codes), and the engine uses the
	// security service's risk checker, code verifier and user count unless
	// Risk, Codes or UserCount are given.
	Secure bool
	// Gateway is the payment gateway the buyers pay through: xendit (""),
	// midtrans, doku or ipaymu, all in the sandbox.
	Gateway string
	// Now is the clock of the sandbox, the store, the engine and the
	// adapters (nil: time.Now); Manual opens the engine without starting
	// its loops. Tests on a virtual clock set both and drive the engine.
	Now    func() time.Time
	Manual bool
}

// demoVaultParams keep the throw-away demo vault quick to create; a real
// shop's vault uses security.DefaultVaultParams.
var demoVaultParams = security.Params{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

// secureDemo creates the demo owner and the vault in db and plugs the
// security service into o. The first payout to a maker is not held: the
// demo's makers are known, verified payees.
func secureDemo(ctx context.Context, rt *runtime, db shopDB, vault *security.Vault, o *demoOptions) error {
	sec := security.New(db, vault, security.Options{PasswordParams: demoVaultParams})
	pw := make([]byte, 18)
	if _, err := crand.Read(pw); err != nil {
		return err
	}
	enr, err := sec.CreateOwner(ctx, "sari", base64.RawURLEncoding.EncodeToString(pw))
	if err != nil {
		return err
	}
	owner := domain.Actor{UserID: enr.UserID, Name: enr.Name, Role: domain.RoleOwner}
	cfg := risk.DefaultConfig()
	cfg.HoldFirstPayout = false
	if err := sec.SetRiskConfig(ctx, owner, cfg); err != nil {
		return err
	}
	rt.Security, rt.Owner, rt.OwnerTOTPSecret = sec, owner, enr.Secret
	rt.OwnerPassword, rt.OwnerTOTPURL = base64.RawURLEncoding.EncodeToString(pw), enr.URL
	if o.Risk == nil {
		o.Risk = sec.Checker()
	}
	if o.Codes == nil {
		o.Codes = sec
	}
	if o.UserCount == nil {
		o.UserCount = sec.ActiveUsers
	}
	return nil
}

// startDemo starts the sandbox on loopback, a fresh demo database with the
// batik shop, and the engine at demo speed. The GUI's demo mode and `lunas
// demo` both use it; Stop ends everything. Buyers start with StartBuyers.
func startDemo(ctx context.Context, o demoOptions) (*runtime, *demoShop, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.SandboxStep <= 0 {
		o.SandboxStep = time.Second
	}
	rt := &runtime{}
	if o.Now == nil {
		o.Now = time.Now
	}
	sb, url, stopSB, err := startSandbox(sandbox.Config{Step: o.SandboxStep, Clock: o.Now}, "")
	if err != nil {
		return nil, nil, err
	}
	rt.Sandbox, rt.SandboxURL = sb, url
	rt.stops = append(rt.stops, stopSB)
	path := o.DBPath
	if path == "" {
		dir, err := os.MkdirTemp("", "lunas-demo-")
		if err != nil {
			rt.Stop()
			return nil, nil, err
		}
		path = filepath.Join(dir, "demo.db")
		rt.stops = append(rt.stops, func() { os.RemoveAll(dir) })
	}
	var ciph domain.FieldCipher
	var vault *security.Vault
	if o.Secure {
		vault = security.NewVault(security.VaultOptions{Params: demoVaultParams})
		ciph = vault
	} else if ciph, err = newMemoryCipher(nil); err != nil {
		rt.Stop()
		return nil, nil, err
	}
	db, err := openStore(ctx, &env{DBPath: path}, sqlite.Options{Cipher: ciph, SyncNormal: true, Now: o.Now})
	if err != nil {
		rt.Stop()
		return nil, nil, err
	}
	rt.Store = db
	rt.stops = append(rt.stops, func() { db.Close() })
	if err := emptyForDemo(ctx, db); err != nil {
		rt.Stop()
		return nil, nil, err
	}
	if o.Secure {
		if err := secureDemo(ctx, rt, db, vault, &o); err != nil {
			rt.Stop()
			return nil, nil, fmt.Errorf("demo owner: %w", err)
		}
	}
	shop, err := seedDemo(ctx, db)
	if err != nil {
		rt.Stop()
		return nil, nil, fmt.Errorf("demo shop: %w", err)
	}
	// The engine's channels are the only ones: reconciliation and the
	// desktop ask these same adapters (runtime.Engine.Gateways), so they
	// read the books the engine wrote (Iris's REFID -> reference_no is in
	// the store besides).
	extra, route, err := demoChannels(url, sb.Credentials(), o.Log, db, o.Now)
	if err != nil {
		rt.Stop()
		return nil, nil, err
	}
	gw, pay, err := demoGatewaySandbox(o.Gateway, url, sb, o.Now)
	if err != nil {
		rt.Stop()
		return nil, nil, err
	}
	var payments map[string]domain.PaymentGateway
	if gw != nil {
		payments = map[string]domain.PaymentGateway{gw.Name(): gw}
	}
	rt.DemoGateway, rt.DemoPay = gw, pay
	eng, err := buildEngine(ctx, db, engineOptions{
		XenditURL: url, XenditKey: sb.Credentials().XenditSecretKey, RatePerMinute: -1, Log: o.Log, Extra: extra, Route: route, Payments: payments, Risk: o.Risk, Codes: o.Codes, UserCount: o.UserCount, Now: o.Now,
		Intervals: engine.Intervals{PollFirst: time.Second, List: time.Second, TrackFirst: time.Second, Balance: 10 * time.Second},
	})
	if err != nil {
		rt.Stop()
		return nil, nil, err
	}
	start := eng.Start
	if o.Manual {
		start = eng.Open
	}
	if err := start(ctx); err != nil {
		rt.Stop()
		return nil, nil, err
	}
	rt.Engine = eng
	rt.stops = append(rt.stops, eng.Stop)
	return rt, shop, nil
}

// demoBuyer places one order for random products, creates its payment link
// at the (sandbox) gateway and records both. It returns the order's
// external id and total.
func demoBuyer(ctx context.Context, st domain.Store, gw domain.PaymentGateway, shop *demoShop, rng *rand.Rand, n int) (string, domain.Rupiah, error) {
	return demoBuyerAt(ctx, st, gw, shop, rng, n, time.Now())
}

// demoBuyerAt is demoBuyer at a given time (a virtual clock's).
func demoBuyerAt(ctx context.Context, st domain.Store, gw domain.PaymentGateway, shop *demoShop, rng *rand.Rand, n int, now time.Time) (string, domain.Rupiah, error) {
	p := shop.products[rng.IntN(len(shop.products))]
	qty := int64(1 + rng.IntN(2))
	b := demo.Buyers[rng.IntN(len(demo.Buyers))]
	o := domain.Order{ExternalID: fmt.Sprintf("BTK-%s-%04d", now.Format("150405"), n), Source: "demo", BuyerName: b.Name, BuyerEmail: b.Email,
		Items: []domain.OrderItem{{ProductID: p.ID, Name: p.Name, Qty: qty, UnitPrice: p.Price}}, Shipping: 15000,
		PayoutRuleID: shop.ruleOf[p.ID], Status: domain.OrderOpen, CreatedAt: now}
	total, err := o.Total()
	if err != nil {
		return "", 0, err
	}
	link, err := gw.CreatePayment(ctx, domain.PaymentRequest{ExternalID: o.ExternalID, Amount: total, Description: p.Name,
		BuyerName: b.Name, BuyerEmail: b.Email, Items: o.Items, Expiry: time.Hour})
	if err != nil {
		return "", 0, err
	}
	err = st.Write(ctx, func(tx domain.Tx) error {
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		pay := domain.Payment{OrderID: o.ID, Gateway: gw.Name(), ExternalID: o.ExternalID, GatewayRef: link.GatewayRef, Amount: total,
			Status: domain.PaymentPending, URL: link.URL, CreatedAt: now, ExpiresAt: link.ExpiresAt, NextPollAt: now}
		return tx.CreatePayment(&pay)
	})
	return o.ExternalID, total, err
}

// runBuyers simulates buyers until ctx ends: each places an order, then pays
// it through the sandbox's control API a moment later. Every tenth buyer
// underpays by Rp1.000 so the flagging shows too.
func runBuyers(ctx context.Context, rt *runtime, shop *demoShop, every time.Duration, limit int, report func(string)) {
	if every <= 0 {
		every = 2 * time.Second
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(every)
	defer t.Stop()
	var gw domain.PaymentGateway = xendit.New(xendit.Config{BaseURL: rt.SandboxURL, SecretKey: rt.Sandbox.Credentials().XenditSecretKey})
	pay := rt.Sandbox.PayXenditInvoice
	if rt.DemoGateway != nil {
		gw, pay = rt.DemoGateway, rt.DemoPay
	}
	for n := 1; limit == 0 || n <= limit; n++ {
		ext, total, err := demoBuyer(ctx, rt.Store, gw, shop, rng, n)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			report("buyer: " + err.Error())
		} else {
			report(fmt.Sprintf("order %s placed, %s", ext, total))
			// The rng is not safe for concurrent use: draw the delay here.
			delay := time.Duration(500+rng.IntN(1500)) * time.Millisecond
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case <-ctx.Done():
					return
				case <-time.After(delay):
				}
				amt := domain.Rupiah(0)
				if n%10 == 0 {
					amt = total - 1000
				}
				if err := pay(ext, amt); err != nil {
					report("pay: " + err.Error())
				}
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// demoChannels are the sandbox's Iris, Kirim DOKU and H2H supplier as payout
// channels: Mandiri and BRI makers are paid through Iris, the BNI maker
// through Kirim DOKU, the GoPay maker through the H2H supplier, everyone else
// through Xendit.
func demoChannels(url string, c sandbox.Credentials, log *slog.Logger, st domain.Store, now func() time.Time) (map[string]domain.PayoutChannel, map[string]string, error) {
	iris := midtrans.NewIris(midtrans.IrisConfig{BaseURL: url + "/iris", CreatorKey: c.IrisCreatorKey, ApproverKey: c.IrisApproverKey,
		OTP: midtrans.StaticOTP(c.IrisOTP), MerchantKey: c.IrisMerchantKey, Book: midtrans.NewStoreBook(st), Logger: log, Timeout: 20 * time.Second, Now: now})
	sup, err := h2h.New(h2h.Config{Name: "sandbox", BaseURL: url + sandbox.H2HPath, MemberID: c.H2HMemberID, PIN: c.H2HPin,
		Password: c.H2HPassword, Products: map[string]string{"GOPAY": "GOPAY"}}, h2h.Options{Timeout: 20 * time.Second, Now: now})
	if err != nil {
		return nil, nil, err
	}
	dk := doku.New(doku.Config{BaseURL: url, ClientID: c.DOKUClientID, SecretKey: c.DOKUSecretKey, PrivateKey: c.DOKUPrivateKey,
		CustomerNumber: c.DOKUCustomerNumber, Logger: log, Timeout: 20 * time.Second, Now: now})
	return map[string]domain.PayoutChannel{"iris": iris, sup.Name(): sup, "doku": dk},
		map[string]string{"MANDIRI": "iris", "BRI": "iris", "GOPAY": sup.Name(), "BNI": "doku"}, nil
}

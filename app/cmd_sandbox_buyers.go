package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"lunas/demo"
	"lunas/domain"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// Buyers for trials and load tests: `lunas sandbox --buyers RATE` opens the
// shop (--db, as LUNAS_USER with LUNAS_PASSWORD), creates orders with
// payment links through the shop's own gateway settings, which must point
// at this sandbox, and pays them at the sandbox. `lunas serve` then settles
// the payments and pays the sellers as it would at a real gateway.

// Errors of the buyers a person can act on.
var (
	errRateSyntax = errors.New("tulis laju pembeli seperti 5, 5/s, 30/m atau 100/h (paling banyak 1000/s) / " +
		"write the buyers' rate like 5, 5/s, 30/m or 100/h (at most 1000/s)")
	errNoCatalogue = errors.New("toko belum punya produk dengan aturan bagi hasil: impor produk dan penerima (lunas import) / " +
		"the shop has no products with a payout rule: import products and payees (lunas import)")
	errNoPaymentGateway = errors.New("toko belum punya gateway pembayaran: jalankan lunas init --sandbox URL / " +
		"the shop has no payment gateway: run lunas init --sandbox URL")
)

// NotThisSandboxError refuses buyers when the shop's gateway points
// elsewhere (a real gateway): payment links must be made at this sandbox,
// where they can be paid.
type NotThisSandboxError struct{ Gateway, ShopURL, SandboxURL string }

func (e *NotThisSandboxError) Error() string {
	return fmt.Sprintf("gateway %s toko ini di %q, bukan sandbox ini (%s): pembeli hanya membayar di sandbox / "+
		"the shop's %s gateway is at %q, not this sandbox (%s): buyers only pay at the sandbox; "+
		"lunas settings set gateway.%s.url %s",
		e.Gateway, e.ShopURL, e.SandboxURL, e.Gateway, e.ShopURL, e.SandboxURL, e.Gateway, e.SandboxURL)
}

// parseRate reads --buyers: N per second, or N/s, N/m, N/h (N may have a
// decimal point). It returns the interval between two buyers.
func parseRate(s string) (time.Duration, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	per := time.Second
	switch strings.TrimSpace(unit) {
	case "", "s":
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return 0, errRateSyntax
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || !(n > 0) || n/per.Seconds() > 1000 || strings.ContainsAny(num, "xXpPeEiInN_") {
		return 0, errRateSyntax
	}
	every := time.Duration(float64(per) / n)
	if every < time.Millisecond || every > 24*time.Hour {
		return 0, errRateSyntax
	}
	return every, nil
}

// buyerOptions are the sandbox command's buyer flags.
type buyerOptions struct {
	Every   time.Duration
	Orders  int    // stop after this many (0: until the sandbox stops)
	PayWith string // the shop's payment gateway ("" = xendit if set up, else the only one)
}

// buyerPay is how a buyer pays a link at the sandbox.
type buyerPay func(externalID string, amount domain.Rupiah) error

// runShopBuyers places and pays orders at o.Every until ctx ends or
// o.Orders are placed, reporting each on report.
func runShopBuyers(ctx context.Context, e *env, sb *sandbox.Server, sbURL string, o buyerOptions, report func(string)) error {
	sh, err := unlockShop(ctx, e, true)
	if err != nil {
		return err
	}
	defer sh.Close()
	if err := sh.Actor.Can(domain.PermManageOrders); err != nil {
		return err
	}
	cs, err := shopChannels(ctx, sh, gatewayURLs{}, slog.New(slog.DiscardHandler))
	if err != nil {
		if errors.Is(err, errNoGateways) {
			return errNoPaymentGateway
		}
		return err
	}
	gw, pay, err := shopPaymentAtSandbox(ctx, sh, cs, sb, sbURL, o.PayWith)
	if err != nil {
		return err
	}
	// The shop pays at this sandbox (checked above): a trial shop without
	// products gets the demo makers, whose accounts the sandbox pays.
	cat, err := shopCatalogue(ctx, sh, true)
	if err != nil {
		return err
	}
	if cat.seeded {
		report(fmt.Sprintf("buyers: the shop had no products; added the %d demo makers and their products (sandbox test accounts)", len(demo.Makers)))
	}
	report(fmt.Sprintf("buyers: %s, one every %s, paying through %s as %s", e.dbName(), o.Every, gw.Name(), sh.Actor.Name))
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	prefix := "SBX-" + time.Now().UTC().Format("060102150405")
	t := time.NewTicker(o.Every)
	defer t.Stop()
	for n := 1; o.Orders == 0 || n <= o.Orders; n++ {
		ext, total, err := shopBuyer(ctx, sh, gw, cat, rng, fmt.Sprintf("%s-%05d", prefix, n))
		if err == nil {
			err = pay(ext, 0)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			report(fmt.Sprintf("buyer %d: %v", n, err))
		default:
			report(fmt.Sprintf("buyer %d: order %s %s paid at the sandbox", n, ext, total))
		}
		if o.Orders != 0 && n == o.Orders {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
	report(fmt.Sprintf("buyers: %d orders placed", o.Orders))
	return nil
}

// shopPaymentAtSandbox is the shop's payment gateway named payWith, as
// its settings build it, after checking that those settings point at this
// sandbox; and how a buyer pays it there.
func shopPaymentAtSandbox(ctx context.Context, sh *shop, cs *channelSet, sb *sandbox.Server, sbURL, payWith string) (domain.PaymentGateway, buyerPay, error) {
	if payWith == "" {
		switch {
		case cs.XenditKey != "":
			payWith = "xendit"
		case len(cs.Payments) == 1:
			for n := range cs.Payments {
				payWith = n
			}
		default:
			return nil, nil, errNoPaymentGateway
		}
	}
	var gw domain.PaymentGateway
	var shopURL string
	var pay buyerPay
	switch payWith {
	case "xendit":
		if cs.XenditKey == "" {
			return nil, nil, errNoPaymentGateway
		}
		gw, shopURL, pay = xendit.New(xendit.Config{BaseURL: cs.XenditURL, SecretKey: cs.XenditKey, Timeout: 20 * time.Second}), cs.XenditURL, sb.PayXenditInvoice
	case "midtrans":
		shopURL, pay = settingOf(ctx, sh.DB, settingMidtransSnap), func(ext string, a domain.Rupiah) error { return sb.PayMidtrans(ext, a, "") }
	case "doku":
		shopURL, pay = settingOf(ctx, sh.DB, settingDOKUURL), sb.PayDOKU
	case "ipaymu":
		shopURL, pay = settingOf(ctx, sh.DB, settingIpaymuURL), sb.PayIpaymu
	default:
		return nil, nil, domain.Invalid("pay-with", "tulis xendit, midtrans, doku atau ipaymu / write xendit, midtrans, doku or ipaymu")
	}
	if gw == nil {
		if gw = cs.Payments[payWith]; gw == nil {
			return nil, nil, errNoPaymentGateway
		}
	}
	if !sameServer(shopURL, sbURL) {
		return nil, nil, &NotThisSandboxError{Gateway: payWith, ShopURL: shopURL, SandboxURL: sbURL}
	}
	return gw, pay, nil
}

// sameServer compares two base URLs' scheme, host and port, taking
// localhost and 127.0.0.1 as the same.
func sameServer(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" {
		return false
	}
	host := func(u *url.URL) string {
		h := u.Hostname()
		if h == "localhost" || h == "::1" {
			h = "127.0.0.1"
		}
		return h + ":" + u.Port()
	}
	return ua.Scheme == ub.Scheme && host(ua) == host(ub)
}

// shopCatalogue is what buyers can buy: every product whose maker is a
// seller in a payout rule. With addDemo it adds the demo makers and products
// to a shop that has no products at all, audited as the signed-in person.
func shopCatalogue(ctx context.Context, sh *shop, addDemo bool) (*demoShop, error) {
	cat := &demoShop{ruleOf: map[int64]int64{}}
	read := func() error {
		return sh.DB.Read(ctx, func(tx domain.ReadTx) error {
			rules, err := tx.ListPayoutRules()
			if err != nil {
				return err
			}
			ruleOfPayee := map[int64]int64{}
			for _, r := range rules {
				for _, s := range r.Shares {
					if s.Role == domain.RoleSeller && s.PayeeID != 0 && ruleOfPayee[s.PayeeID] == 0 {
						ruleOfPayee[s.PayeeID] = r.ID
					}
				}
			}
			ps, err := tx.ListProducts(domain.Page{Limit: 1000})
			if err != nil {
				return err
			}
			for _, p := range ps {
				if r := ruleOfPayee[p.PayeeID]; p.Active && r != 0 && p.Price > 0 {
					cat.products = append(cat.products, p)
					cat.ruleOf[p.ID] = r
				}
			}
			return nil
		})
	}
	if err := read(); err != nil {
		return nil, err
	}
	var nProducts int
	sh.DB.Read(ctx, func(tx domain.ReadTx) error {
		ps, err := tx.ListProducts(domain.Page{Limit: 1})
		nProducts = len(ps)
		return err
	})
	if len(cat.products) > 0 || !addDemo || nProducts > 0 {
		if len(cat.products) == 0 {
			return nil, errNoCatalogue
		}
		return cat, nil
	}
	if err := sh.Actor.Can(domain.PermManagePayees); err != nil {
		return nil, err
	}
	err := sh.DB.Write(ctx, func(tx domain.Tx) error {
		if _, err := seedDemoCatalogue(tx); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{At: time.Now().UTC(), Actor: sh.Actor.Name, Action: "catalogue.demo",
			Subject: "products", Detail: fmt.Sprintf("%d demo makers with their products (sandbox test accounts)", len(demo.Makers))})
	})
	if err != nil {
		return nil, err
	}
	cat.seeded = true
	return cat, read()
}

// shopBuyer places one order for a random product of cat, creates its
// payment link at gw first (the same external id twice gives one link),
// then stores the order and payment together, audited as the signed-in
// person, as the desktop's New order does.
func shopBuyer(ctx context.Context, sh *shop, gw domain.PaymentGateway, cat *demoShop, rng *rand.Rand, ext string) (string, domain.Rupiah, error) {
	p := cat.products[rng.IntN(len(cat.products))]
	b := demo.Buyers[rng.IntN(len(demo.Buyers))]
	now := time.Now()
	o := domain.Order{ExternalID: ext, Source: "sandbox-buyers", BuyerName: b.Name, BuyerEmail: b.Email,
		Items: []domain.OrderItem{{ProductID: p.ID, Name: p.Name, Qty: int64(1 + rng.IntN(2)), UnitPrice: p.Price}}, Shipping: 15000,
		PayoutRuleID: cat.ruleOf[p.ID], Status: domain.OrderOpen, CreatedAt: now}
	total, err := o.Total()
	if err != nil {
		return "", 0, err
	}
	link, err := gw.CreatePayment(ctx, domain.PaymentRequest{ExternalID: ext, Amount: total, Description: p.Name,
		BuyerName: b.Name, BuyerEmail: b.Email, Items: o.Items, Expiry: time.Hour})
	if err != nil {
		return "", 0, err
	}
	err = sh.DB.Write(ctx, func(tx domain.Tx) error {
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		pay := domain.Payment{OrderID: o.ID, Gateway: gw.Name(), ExternalID: ext, GatewayRef: link.GatewayRef, Amount: total,
			Status: domain.PaymentPending, URL: link.URL, CreatedAt: now, ExpiresAt: link.ExpiresAt, NextPollAt: now}
		if err := tx.CreatePayment(&pay); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{At: now.UTC(), Actor: sh.Actor.Name, Action: "order.create",
			Subject: "order:" + ext, Detail: "sandbox buyer, total " + total.String() + ", payment link at " + gw.Name()})
	})
	return ext, total, err
}

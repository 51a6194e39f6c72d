package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/h2h"
	"lunas/security"
	"lunas/ui"
)

// The desktop's shop services: accounts, balances, payees and products,
// settings, flags, reconciliation and orders.

// ValidateAccount implements ui.AccountValidator ("Cek rekening").
// Xendit Payouts v2 has no account check, so Iris answers when configured.
func (g *guiServices) ValidateAccount(ctx context.Context, channel, account string) (domain.AccountInfo, error) {
	g.mu.Lock()
	iris := g.channels["iris"]
	g.mu.Unlock()
	if iris == nil {
		return domain.AccountInfo{}, fmt.Errorf("no gateway that checks accounts: %w", ui.ErrNotAvailable)
	}
	info, err := iris.ValidateAccount(ctx, channel, account)
	if errors.Is(err, gateways.ErrUnsupported) {
		err = fmt.Errorf("%w: %w", ui.ErrNotAvailable, err)
	}
	return info, err
}

// Balances implements ui.BalanceSource: every payout channel's balance; a
// channel that does not answer is left out (the engine raises gateway-down).
func (g *guiServices) Balances(ctx context.Context) (map[string]domain.Rupiah, error) {
	g.mu.Lock()
	x := g.xendit
	chans := make(map[string]domain.PayoutChannel, len(g.channels))
	for n, c := range g.channels {
		chans[n] = c
	}
	g.mu.Unlock()
	out := map[string]domain.Rupiah{}
	if x != nil {
		b, err := x.Balance(ctx)
		if err != nil {
			return nil, err
		}
		out["Xendit"] = b
	}
	for n, c := range chans {
		b, err := c.Balance(ctx)
		if err != nil {
			g.log.Warn("balance", "channel", n, "err", err)
			continue
		}
		out[channelLabel(n)] = b
	}
	if len(out) == 0 {
		return nil, nil // nothing configured: nothing to show, no alert
	}
	return out, nil
}

// channelLabel is how the dashboard names a channel ("iris" -> "Midtrans Iris").
func channelLabel(name string) string { return domain.ChannelName(name) }

// SavePayee implements ui.PayeeEditor, with the permission check and an
// audit entry in the same transaction.
func (g *guiServices) SavePayee(ctx context.Context, actor domain.Actor, p *domain.Payee) error {
	if err := actor.Can(domain.PermManagePayees); err != nil {
		return err
	}
	return g.store.Write(ctx, func(tx domain.Tx) error {
		action := "payee.update"
		if p.ID == 0 {
			action = "payee.create"
			if err := tx.CreatePayee(p); err != nil {
				return err
			}
		} else if err := tx.UpdatePayee(p); err != nil {
			return err
		}
		// No name in the entry: the audit log is append-only, and an
		// erasure of the payee's personal data must leave no copy of it.
		return tx.AppendAudit(&domain.AuditEntry{At: time.Now().UTC(), Actor: actor.Name, Action: action,
			Subject: fmt.Sprintf("payee:%d", p.ID), Detail: p.Channel + " " + domain.MaskAccount(p.AccountNumber)})
	})
}

// SaveProduct implements ui.ProductEditor.
func (g *guiServices) SaveProduct(ctx context.Context, actor domain.Actor, p *domain.Product) error {
	if err := actor.Can(domain.PermManagePayees); err != nil {
		return err
	}
	return g.store.Write(ctx, func(tx domain.Tx) error {
		if p.ID == 0 {
			return tx.CreateProduct(p)
		}
		return tx.UpdateProduct(p)
	})
}

// Setting implements ui.SettingsStore: plain settings from the store, AML
// thresholds from the risk configuration, amounts formatted for people.
func (g *guiServices) Setting(ctx context.Context, actor domain.Actor, key string) (string, error) {
	if err := actor.Can(domain.PermView); err != nil {
		return "", err
	}
	if strings.HasPrefix(key, "aml.") {
		if g.inDemo() {
			return "", nil
		}
		cfg, err := g.sec.GetRiskConfig(ctx, actor)
		if err != nil {
			return "", err
		}
		switch key {
		case "aml.single_limit":
			return cfg.SingleLimit.String(), nil
		case "aml.daily_payee_limit":
			return cfg.DailyPayeeLimit.String(), nil
		case "aml.velocity_max":
			return strconv.Itoa(cfg.VelocityMax), nil
		}
		return "", nil
	}
	var v string
	err := g.store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		v, err = tx.GetSetting(key)
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		return err
	})
	if n, perr := strconv.ParseInt(v, 10, 64); perr == nil && strings.HasPrefix(key, "limits.") {
		v = domain.Rupiah(n).String()
	}
	return v, err
}

// SaveSetting implements ui.SettingsStore. Secrets (gateway keys, the SMTP
// password) are sealed by the vault through the security service; AML
// thresholds go into the risk configuration; limits are whole rupiah.
func (g *guiServices) SaveSetting(ctx context.Context, actor domain.Actor, key, value string) error {
	perm := domain.PermChangeSettings
	if strings.HasPrefix(key, "gateway.") {
		perm = domain.PermManageKeys
	}
	if err := actor.Can(perm); err != nil {
		return err
	}
	if isSecretSetting(key) {
		g.redact.Add(value)
		if g.inDemo() {
			return fmt.Errorf("the demo shop keeps no keys: %w", ui.ErrNotAvailable)
		}
		if err := g.sec.SetSecret(ctx, actor, key, value); err != nil { // sealed by the vault
			return err
		}
		if strings.HasPrefix(key, "gateway.") {
			err := g.gatewaysChanged(ctx)
			if errors.Is(err, errEngineHeld) {
				g.log.Warn("key stored, engine not started", "err", err) // the window already shows why
				return nil
			}
			return err
		}
		return nil
	}
	if strings.HasPrefix(key, "aml.") {
		if g.inDemo() {
			return fmt.Errorf("the demo shop uses the built-in rules: %w", ui.ErrNotAvailable)
		}
		cfg, err := g.sec.GetRiskConfig(ctx, actor)
		if err != nil {
			return err
		}
		switch key {
		case "aml.single_limit", "aml.daily_payee_limit":
			r, err := domain.ParseRupiah(value)
			if err != nil {
				return err
			}
			if key == "aml.single_limit" {
				cfg.SingleLimit = r
			} else {
				cfg.DailyPayeeLimit = r
			}
		case "aml.velocity_max":
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 {
				return domain.Invalid("velocity", "a whole number, 0 or more")
			}
			cfg.VelocityMax = n
		default:
			return domain.Invalid("key", "unknown setting %s", key)
		}
		return g.sec.SetRiskConfig(ctx, actor, cfg)
	}
	if key == settingH2HPreset && value != "" && !slices.Contains(h2h.PresetNames(), value) {
		return domain.Invalid("preset", "H2H reply style must be one of %s (or empty)", strings.Join(h2h.PresetNames(), ", "))
	}
	if strings.HasPrefix(key, "limits.") {
		r, err := domain.ParseRupiah(value)
		if err != nil {
			return err
		}
		value = strconv.FormatInt(int64(r), 10) // what the engine reads
	}
	err := g.store.Write(ctx, func(tx domain.Tx) error {
		if err := tx.SetSetting(key, value); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{At: time.Now().UTC(), Actor: actor.Name, Action: "settings.change", Subject: "setting:" + key, Detail: value})
	})
	if err == nil && strings.HasPrefix(key, "gateway.") && !g.inDemo() {
		if serr := g.gatewaysChanged(ctx); serr != nil {
			g.log.Warn("setting stored, engine not started", "err", serr)
		}
	}
	return err
}

// isSecretSetting: gateway keys and PINs and the SMTP password never go
// into the plain settings table.
func isSecretSetting(key string) bool {
	if key == security.SecretSMTPPassword {
		return true
	}
	return strings.HasPrefix(key, "gateway.") && strings.Contains(key, ".key")
}

func (g *guiServices) inDemo() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rt != nil
}

// VerifyAudit implements ui.AuditVerifier over the database on screen.
func (g *guiServices) VerifyAudit(ctx context.Context, actor domain.Actor) (int, error) {
	if err := actor.Can(domain.PermVerifyAudit); err != nil {
		return 0, err
	}
	// The shop's own log is checked against its signed anchor whenever the
	// vault is open; the demo's throw-away log only by its hash chain.
	var signer domain.AuditKeyer
	if g.sec != nil && !g.inDemo() {
		if v := g.sec.Vault(); v != nil {
			signer = v
		}
	}
	c, err := security.CheckAuditLog(ctx, g.store, signer)
	if err != nil {
		return c.Entries, err
	}
	if c.Break != nil {
		return c.Entries, fmt.Errorf("audit chain broken: %v: %w", c.Break, domain.ErrDamaged)
	}
	return c.Entries, nil
}

// flagReader is the store's flag query (domain/sqlite has it).
type flagReader interface {
	ListFlags(status domain.FlagStatus, refID string, pg domain.Page) ([]domain.Flag, error)
}

// OpenFlags implements ui.FlagQueue over the database on screen.
func (g *guiServices) OpenFlags(ctx context.Context, p domain.Page) ([]ui.Flag, error) {
	var out []ui.Flag
	err := g.store.Read(ctx, func(tx domain.ReadTx) error {
		fr, ok := tx.(flagReader)
		if !ok {
			return nil
		}
		fl, err := fr.ListFlags(domain.FlagOpen, "", p)
		for _, f := range fl {
			out = append(out, ui.Flag{ID: f.ID, RefID: f.RefID, PayeeID: f.PayeeID, Rule: f.Rule, Reason: f.ReasonID, ReasonEN: f.ReasonEN, At: f.CreatedAt})
		}
		return err
	})
	return out, err
}

// ClearFlag implements ui.FlagQueue through the security service.
func (g *guiServices) ClearFlag(ctx context.Context, actor domain.Actor, id int64, note string) error {
	if g.inDemo() {
		return fmt.Errorf("the demo shop has no flags to clear: %w", ui.ErrNotAvailable)
	}
	return g.sec.ClearFlag(ctx, actor, id, note)
}

// CreateOrder implements ui.OrderCreator: the payment link is created at the
// gateway first (same external id twice gives one link), then the order and
// payment are stored together; the engine polls it from there.
func (g *guiServices) CreateOrder(ctx context.Context, actor domain.Actor, o *domain.Order, gateway string) (domain.Payment, error) {
	if err := actor.Can(domain.PermManageOrders); err != nil {
		return domain.Payment{}, err
	}
	x, err := g.paymentGateway(gateway)
	if err != nil {
		return domain.Payment{}, err
	}
	total, err := o.Total()
	if err != nil {
		return domain.Payment{}, err
	}
	if err := o.Validate(); err != nil {
		return domain.Payment{}, err
	}
	link, err := x.CreatePayment(ctx, domain.PaymentRequest{ExternalID: o.ExternalID, Amount: total, Description: o.ExternalID,
		BuyerName: o.BuyerName, BuyerEmail: o.BuyerEmail, Items: o.Items, Expiry: 24 * time.Hour})
	if err != nil {
		return domain.Payment{}, err
	}
	now := time.Now()
	pay := domain.Payment{Gateway: x.Name(), ExternalID: o.ExternalID, GatewayRef: link.GatewayRef, Amount: total,
		Status: domain.PaymentPending, URL: link.URL, CreatedAt: now, ExpiresAt: link.ExpiresAt, NextPollAt: now}
	err = g.store.Write(ctx, func(tx domain.Tx) error {
		o.CreatedAt = now
		if err := tx.CreateOrder(o); err != nil {
			return err
		}
		pay.OrderID = o.ID
		if err := tx.CreatePayment(&pay); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{At: now.UTC(), Actor: actor.Name, Action: "order.create",
			Subject: "order:" + o.ExternalID, Detail: "total " + total.String() + ", payment link at " + x.Name()})
	})
	return pay, err
}

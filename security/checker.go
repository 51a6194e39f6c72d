package security

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/risk"
)

// settingRiskConfig keeps the AML thresholds (JSON of risk.Config) in settings.
const settingRiskConfig = "risk.config"

// RiskConfig returns the stored AML thresholds, or the documented defaults,
// with ApprovalLimit always taken from the engine's per-transfer limit
// (risk.SettingApprovalLimit): structuring is about staying under the limit
// the engine really applies, and with no limit (absent or 0) there is
// nothing to stay under, so the rule is off.
func RiskConfig(tx domain.ReadTx) (risk.Config, error) {
	cfg := risk.DefaultConfig()
	v, err := tx.GetSetting(settingRiskConfig)
	switch {
	case errors.Is(err, domain.ErrNotFound) || (err == nil && v == ""):
	case err != nil:
		return cfg, err
	default:
		if err := json.Unmarshal([]byte(v), &cfg); err != nil {
			return risk.DefaultConfig(), fmt.Errorf("risk settings: %w", err)
		}
	}
	limit, err := approvalLimit(tx)
	if err != nil {
		return cfg, err
	}
	cfg.ApprovalLimit = limit
	if cfg.MaxPayout, err = domain.MaxAmount(tx, domain.SettingMaxPayout); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// approvalLimit reads the engine's per-transfer limit as the engine does:
// whole rupiah, 0 when absent or unreadable (no limit).
func approvalLimit(tx domain.ReadTx) (domain.Rupiah, error) {
	v, err := tx.GetSetting(risk.SettingApprovalLimit)
	if errors.Is(err, domain.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, nil
	}
	return domain.Rupiah(n), nil
}

// GetRiskConfig returns the AML thresholds for the settings screen.
func (s *Service) GetRiskConfig(ctx context.Context, actor domain.Actor) (risk.Config, error) {
	if err := actor.Can(domain.PermView); err != nil {
		return risk.Config{}, err
	}
	var cfg risk.Config
	err := s.store.Read(ctx, func(tx domain.ReadTx) (err error) {
		cfg, err = RiskConfig(tx)
		return err
	})
	return cfg, err
}

// SetRiskConfig stores new AML thresholds (owner only), audited with the
// values. cfg.ApprovalLimit is ignored: it is the engine's per-transfer
// limit, changed in its own setting.
func (s *Service) SetRiskConfig(ctx context.Context, actor domain.Actor, cfg risk.Config) error {
	if err := actor.Can(domain.PermChangeSettings); err != nil {
		return err
	}
	if cfg.SingleLimit < 0 || cfg.DailyPayeeLimit < 0 || cfg.ApprovalLimit < 0 || cfg.AmountTolerance < 0 ||
		cfg.VelocityMax < 0 || cfg.StructuringMin < 0 || cfg.StructuringBandBPS < 0 || cfg.StructuringBandBPS > 10000 ||
		cfg.HolderMinScore < 0 || cfg.HolderMinScore > 1 || cfg.WatchlistMinScore < 0 || cfg.WatchlistMinScore > 1 {
		return domain.Invalid("risk", "batas tidak boleh negatif; skor 0..1 / limits cannot be negative; scores are 0..1")
	}
	cfg.ApprovalLimit = 0
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx domain.Tx) error {
		if err := tx.SetSetting(settingRiskConfig, string(b)); err != nil {
			return err
		}
		return Audit(tx, actor, "settings.risk", "settings:risk", string(b))
	})
}

// Checker implements the engine's RiskChecker with the rules of
// domain/risk: it gathers the facts from the store, evaluates, records one
// flag per hit (with both reasons and the evidence) and tells the engine to
// hold or block.
type Checker struct {
	svc *Service
}

var _ engine.RiskChecker = (*Checker)(nil)

// Checker returns the service's risk checker for engine.Config.Risk.
func (s *Service) Checker() *Checker { return &Checker{svc: s} }

// Assess implements engine.RiskChecker. It runs inside the engine's write
// transaction, before the transfer row exists.
func (c *Checker) Assess(ctx context.Context, tx domain.Tx, t domain.Transfer) (engine.Assessment, error) {
	st, err := wtx(tx)
	if err != nil {
		return engine.Assessment{}, err
	}
	cfg, err := RiskConfig(tx)
	if err != nil {
		return engine.Assessment{}, err
	}
	in, err := c.gather(st, t, max(cfg.VelocityWindow, cfg.StructuringWindow, 24*time.Hour))
	if err != nil {
		return engine.Assessment{}, err
	}
	hits := risk.Evaluate(cfg, in)
	var a engine.Assessment
	for _, h := range hits {
		f := domain.Flag{RefID: t.RefID, PayeeID: t.PayeeID, Rule: string(h.Rule), Block: h.Block,
			ReasonID: h.ReasonID, ReasonEN: h.ReasonEN, Evidence: h.EvidenceString()}
		if err := st.CreateFlag(&f); err != nil {
			return engine.Assessment{}, err
		}
		a.Hold = true
		a.Block = a.Block || h.Block
		// The hold reason and the engine's audit entry outlive an erasure of
		// personal data, so they carry the rule's name-free title and the
		// flag number; names and evidence stay in the flag.
		tid, ten := risk.Title(h.Rule)
		a.Reasons = append(a.Reasons, fmt.Sprintf("%s (flag #%d) / %s", ten, f.ID, tid))
		if err := Audit(tx, domain.EngineActor, "risk.flag", "transfer:"+t.RefID,
			fmt.Sprintf("rule=%s block=%v flag=%d", h.Rule, h.Block, f.ID)); err != nil {
			return engine.Assessment{}, err
		}
	}
	return a, nil
}

// gather reads every fact the rules look at.
// window is how far back the rules look at earlier transfers.
func (c *Checker) gather(st secWriter, t domain.Transfer, window time.Duration) (risk.Input, error) {
	now := c.svc.now()
	if !t.CreatedAt.IsZero() {
		now = t.CreatedAt.UTC()
	}
	in := risk.Input{Now: now, Transfer: t}
	var err error
	if in.Payee, err = st.GetPayee(t.PayeeID); err != nil {
		return in, err
	}
	local := now.In(c.svc.opts.Location)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, c.svc.opts.Location)
	recent, err := st.PayeeRecentTransfers(t.PayeeID, now.Add(-window), t.RefID)
	if err != nil {
		return in, err
	}
	in.Recent = recent
	all, err := st.PayeeRecentTransfers(t.PayeeID, day, t.RefID)
	if err != nil {
		return in, err
	}
	for _, r := range all {
		if in.PayeeTotalToday, err = in.PayeeTotalToday.Add(r.Amount); err != nil {
			return in, fmt.Errorf("payee's total today: %w", err)
		}
	}
	if in.PriorPayouts, err = st.PayeeSucceededPayouts(t.PayeeID); err != nil {
		return in, err
	}
	if in.PriorPayouts == 0 {
		if in.LookAlikes, err = lookAlikes(st, in.Payee); err != nil {
			return in, err
		}
	}
	fp, err := c.svc.vault.Fingerprint(in.Payee.Channel + "\x00" + in.Payee.AccountNumber)
	if err != nil {
		return in, err
	}
	if in.AccountKnown, err = st.AccountPaidBefore(t.PayeeID, fp); err != nil {
		return in, err
	}
	if err := st.RecordAccountUse(t.RefID, t.PayeeID, fp); err != nil {
		return in, err
	}
	if t.ObligationID != 0 {
		ob, err := st.GetObligation(t.ObligationID)
		if err != nil {
			return in, err
		}
		in.ObligationAmount = ob.Amount
		if ob.PaymentID != 0 {
			p, err := st.GetPayment(ob.PaymentID)
			if err != nil {
				return in, err
			}
			in.Requested, in.Paid = p.Amount, p.PaidAmount
			if p.Status == domain.PaymentSettled {
				in.Settled = p.PaidAmount
			}
		}
		if in.PaidForOrder, err = st.OrderPayoutTotal(ob.OrderID, t.RefID); err != nil {
			return in, err
		}
	}
	if in.Watchlist, err = st.Watchlist(); err != nil {
		return in, err
	}
	return in, nil
}

// lookAlikes lists the other payees whose names look like p's (Unicode
// TR39 skeletons, case folded) but who are paid to another account: before
// p's first payout, someone may be posing as a known maker.
func lookAlikes(st secReader, p domain.Payee) ([]risk.LookAlike, error) {
	all, err := st.ListPayees(domain.Page{})
	if err != nil {
		return nil, err
	}
	skel := risk.Skeleton(p.Name)
	var out []risk.LookAlike
	for _, o := range all {
		if o.ID == p.ID || o.Erased || risk.Skeleton(o.Name) != skel {
			continue
		}
		if o.Channel == p.Channel && o.AccountNumber == p.AccountNumber {
			continue // the same account: a duplicate, not someone posing
		}
		out = append(out, risk.LookAlike{PayeeID: o.ID, Name: o.Name})
	}
	return out, nil
}

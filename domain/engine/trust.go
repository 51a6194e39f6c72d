package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lunas/domain"
)

// TrustTx is the store's part for per-payee trust rules (domain.TrustRule).
// A store without it has no trust rules: every transfer over a limit waits.
type TrustTx interface {
	GetTrustRule(payeeID int64) (domain.TrustRule, error)
	ListTrustRules() ([]domain.TrustRule, error)
	SaveTrustRule(r *domain.TrustRule) error
	SwitchOffTrustRule(payeeID int64, why domain.TrustOff, at time.Time) (bool, error)
	// SucceededPayoutsTo counts the payee's succeeded transfers whose fixed
	// destination is bank and account, stopping at upTo.
	SucceededPayoutsTo(payeeID int64, bank, account string, upTo int) (int, error)
}

// errNoTrust: the store keeps no trust rules.
var errNoTrust = errors.New("engine: the store keeps no trust rules")

func trustTx(tx domain.ReadTx) (TrustTx, error) {
	if t, ok := tx.(TrustTx); ok {
		return t, nil
	}
	return nil, errNoTrust
}

// trustLifts decides, inside newTransfer's transaction, whether the payee's
// trust rule lets t go without approval although the shop's approval limits
// hold it. flagged: a risk rule flagged t, which switches the rule off (and
// t waits). It returns the rule that lifted the limits, if one did.
func (e *Engine) trustLifts(tx domain.Tx, payee domain.Payee, t domain.Transfer, flagged bool, now time.Time) (*domain.TrustRule, error) {
	tt, ok := tx.(TrustTx)
	if !ok {
		return nil, nil
	}
	r, err := tt.GetTrustRule(payee.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil || !r.Active {
		return nil, err
	}
	if flagged {
		if _, err := tt.SwitchOffTrustRule(payee.ID, domain.TrustOffRiskFlag, now); err != nil {
			return nil, err
		}
		return nil, audit(tx, now, "engine", "trust.off", fmt.Sprintf("payee:%d", payee.ID),
			fmt.Sprintf("%s: a risk rule flagged %s", domain.TrustOffRiskFlag, t.RefID))
	}
	if t.Amount > r.MaxAmount {
		return nil, nil
	}
	d := destinationOf(payee)
	n, err := tt.SucceededPayoutsTo(payee.ID, d.Bank, d.AccountNumber, r.MinPayouts)
	if err != nil || n < r.MinPayouts {
		return nil, err
	}
	return &r, nil
}

// TrustRules lists every trust rule, on and off.
func (e *Engine) TrustRules(ctx context.Context, actor domain.Actor) ([]domain.TrustRule, error) {
	if err := actor.Can(domain.PermView); err != nil {
		return nil, err
	}
	var out []domain.TrustRule
	err := e.store.Read(ctx, func(tx domain.ReadTx) error {
		tt, err := trustTx(tx)
		if err != nil {
			return err
		}
		out, err = tt.ListTrustRules()
		return err
	})
	return out, err
}

// SetTrustRule sets (or replaces and switches on) a payee's trust rule:
// transfers to the payee up to maxAmount go without approval once the
// payee's current account has received minPayouts successful payouts.
// Owner only (it changes what waits for approval); audited.
func (e *Engine) SetTrustRule(ctx context.Context, actor domain.Actor, payeeID int64, maxAmount domain.Rupiah, minPayouts int) (domain.TrustRule, error) {
	r := domain.TrustRule{PayeeID: payeeID, MaxAmount: maxAmount, MinPayouts: minPayouts, SetBy: actor.Name}
	if err := actor.Can(domain.PermChangeSettings); err != nil {
		return r, err
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	err := e.store.Write(ctx, func(tx domain.Tx) error {
		tt, err := trustTx(tx)
		if err != nil {
			return err
		}
		if _, err := tx.GetPayee(payeeID); err != nil {
			return err
		}
		if err := tt.SaveTrustRule(&r); err != nil {
			return err
		}
		return audit(tx, e.now(), actor.Name, "trust.set", fmt.Sprintf("payee:%d", payeeID),
			fmt.Sprintf("auto-send up to %s after %d successful payouts to the same account", maxAmount, minPayouts))
	})
	return r, err
}

// SwitchOffTrustRule switches a payee's trust rule off (owner); audited.
func (e *Engine) SwitchOffTrustRule(ctx context.Context, actor domain.Actor, payeeID int64) error {
	if err := actor.Can(domain.PermChangeSettings); err != nil {
		return err
	}
	return e.store.Write(ctx, func(tx domain.Tx) error {
		tt, err := trustTx(tx)
		if err != nil {
			return err
		}
		now := e.now()
		off, err := tt.SwitchOffTrustRule(payeeID, domain.TrustOffByOwner, now)
		if err != nil || !off {
			return err
		}
		return audit(tx, now, actor.Name, "trust.off", fmt.Sprintf("payee:%d", payeeID), string(domain.TrustOffByOwner))
	})
}

package app

import (
	"context"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/ui"
)

// The desktop's transfer actions and review (ui.TransferActor,
// ui.TransferReview) and trust rules (ui.TrustRules) over the running engine.

// checkDemoCode verifies the demo owner's code. With a real shop the engine's
// CodeVerifier (the security service) does this.
func (g *guiServices) checkDemoCode(code string) error {
	g.mu.Lock()
	secret := g.demoSecret
	g.mu.Unlock()
	if secret == "" {
		return nil
	}
	if !totp.Validate(code, secret) {
		return ui.ErrBadCode
	}
	return nil
}

// Approve implements ui.TransferActor.
func (g *guiServices) Approve(ctx context.Context, actor domain.Actor, refIDs []string, code string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	if err := actor.Can(domain.PermApprove); err != nil {
		return err
	}
	if err := g.checkDemoCode(code); err != nil {
		return err
	}
	return e.Approve(ctx, actor, code, refIDs...)
}

// Reject implements ui.TransferActor.
func (g *guiServices) Reject(ctx context.Context, actor domain.Actor, refIDs []string, reason string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	for _, r := range refIDs {
		if err := e.Reject(ctx, actor, r, reason); err != nil {
			return err
		}
	}
	return nil
}

// CheckStatus implements ui.TransferActor.
func (g *guiServices) CheckStatus(ctx context.Context, actor domain.Actor, refID string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	_, err = e.CheckNow(ctx, actor, refID)
	return err
}

// Retry implements ui.TransferActor.
func (g *guiServices) Retry(ctx context.Context, actor domain.Actor, refID string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	_, err = e.Retry(ctx, actor, refID)
	return err
}

// SendAgain implements ui.TransferActor.
func (g *guiServices) SendAgain(ctx context.Context, actor domain.Actor, refID, channel string) (string, error) {
	e, err := g.engine()
	if err != nil {
		return "", err
	}
	t, err := e.SendAgain(ctx, actor, refID, channel)
	return t.RefID, err
}

// Conflicts implements ui.TransferReview.
func (g *guiServices) Conflicts(ctx context.Context) ([]ui.Conflict, error) {
	e, err := g.engine()
	if err != nil {
		return nil, err
	}
	cs, err := e.Conflicts(ctx)
	out := make([]ui.Conflict, len(cs))
	for i, c := range cs {
		out[i] = ui.Conflict{RefID: c.RefID, Stored: c.Stored, News: c.News, Detail: c.Detail, At: c.At}
	}
	return out, err
}

// Destination implements ui.TransferReview: the destination fixed when the
// transfer was created (the desktop masks the account number).
func (g *guiServices) Destination(ctx context.Context, refID string) (ui.Destination, error) {
	e, err := g.engine()
	if err != nil {
		return ui.Destination{}, err
	}
	d, err := e.Destination(ctx, refID)
	return ui.Destination{Bank: d.Bank, AccountNumber: d.AccountNumber, AccountHolder: d.AccountHolder}, err
}

// ResolveConflict implements ui.TransferReview (owner only, audited by the engine).
func (g *guiServices) ResolveConflict(ctx context.Context, actor domain.Actor, refID, note string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	return e.ResolveConflict(ctx, actor, refID, note)
}

// ConfirmPaidAfterAll implements ui.TransferReview (owner only, audited by the engine).
func (g *guiServices) ConfirmPaidAfterAll(ctx context.Context, actor domain.Actor, refID, note string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	return e.ConfirmPaidAfterAll(ctx, actor, refID, note)
}

// Cancel implements ui.TransferActor.
func (g *guiServices) Cancel(ctx context.Context, actor domain.Actor, refID string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	_, err = e.Cancel(ctx, actor, refID)
	return err
}

// TrustRules implements ui.TrustRules.
func (g *guiServices) TrustRules(ctx context.Context, actor domain.Actor) ([]domain.TrustRule, error) {
	e, err := g.engine()
	if err != nil {
		return nil, err
	}
	return e.TrustRules(ctx, actor)
}

// SetTrustRule implements ui.TrustRules (owner only, audited by the engine).
func (g *guiServices) SetTrustRule(ctx context.Context, actor domain.Actor, payeeID int64, maxAmount domain.Rupiah, minPayouts int) (domain.TrustRule, error) {
	e, err := g.engine()
	if err != nil {
		return domain.TrustRule{}, err
	}
	return e.SetTrustRule(ctx, actor, payeeID, maxAmount, minPayouts)
}

// SwitchOffTrustRule implements ui.TrustRules (owner only, audited by the engine).
func (g *guiServices) SwitchOffTrustRule(ctx context.Context, actor domain.Actor, payeeID int64) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	return e.SwitchOffTrustRule(ctx, actor, payeeID)
}

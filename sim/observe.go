package sim

import (
	"context"

	"lunas/domain"
	"lunas/gateways"
)

// Bug is a deliberate defect the simulator can plant, to prove that it
// finds what it is meant to find. Runs in production never have one: the
// only way to switch one on is Options.Bug, and only tests do.
type Bug int

const (
	// NoBug is the real code.
	NoBug Bug = iota
	// BugTimeoutIsFailure treats a payout create that got no clear answer
	// (a timeout, a broken connection, a 5xx) as a definite failure, the
	// mistake the REFID rules forbid ("unknown is not failed"): the owner
	// then sends again while the first payout may have been made.
	BugTimeoutIsFailure
	// BugResendAnytime lets the engine resend a REFID whatever its channel's
	// key window says (engine Config.ResendAllowed), so a resend after the
	// gateway forgot the key can create a second payout.
	BugResendAnytime
)

func (b Bug) String() string {
	return [...]string{"none", "timeout-is-failure", "resend-anytime"}[b]
}

// observed wraps a payout channel to see what the engine asks of it (for the
// "every open transfer is checked" invariant) and to plant a Bug. It passes
// everything else through unchanged; the optional interfaces the inner
// channel has are kept by the wrappers built in observe.
type observed struct {
	inner domain.PayoutChannel
	w     *world
	name  string
}

func (o *observed) Name() string { return o.inner.Name() }

func (o *observed) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	o.w.asked(req.RefID)
	res, err := o.inner.Send(ctx, req)
	if o.w.opt.plant == BugTimeoutIsFailure && res.Outcome == domain.OutcomeUnknown && gateways.IsUnknown(err) {
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeFailed, Code: "TIMEOUT", Reason: "no answer in time"}, nil
	}
	return res, err
}

func (o *observed) Status(ctx context.Context, refID string) (domain.PayoutResult, error) {
	o.w.asked(refID)
	return o.inner.Status(ctx, refID)
}

func (o *observed) Balance(ctx context.Context) (domain.Rupiah, error) { return o.inner.Balance(ctx) }

func (o *observed) ValidateAccount(ctx context.Context, channel, account string) (domain.AccountInfo, error) {
	return o.inner.ValidateAccount(ctx, channel, account)
}

// keyWindow is the channel's own key window.
func (o *observed) keyWindow() domain.KeyWindow {
	return o.inner.(domain.ResendWindow).KeyWindow()
}

type withWindow struct{ *observed }

func (o withWindow) KeyWindow() domain.KeyWindow { return o.keyWindow() }

type withCancel struct{ *observed }

func (o withCancel) Cancel(ctx context.Context, refID string) (domain.PayoutResult, error) {
	o.w.asked(refID)
	return o.inner.(domain.PayoutCanceller).Cancel(ctx, refID)
}

type withBoth struct{ *observed }

func (o withBoth) KeyWindow() domain.KeyWindow { return o.keyWindow() }
func (o withBoth) Cancel(ctx context.Context, refID string) (domain.PayoutResult, error) {
	return withCancel(o).Cancel(ctx, refID)
}

// observe wraps ch keeping its optional interfaces.
func observe(w *world, ch domain.PayoutChannel) domain.PayoutChannel {
	o := &observed{inner: ch, w: w, name: ch.Name()}
	_, window := ch.(domain.ResendWindow)
	_, cancel := ch.(domain.PayoutCanceller)
	switch {
	case window && cancel:
		return withBoth{o}
	case window:
		return withWindow{o}
	case cancel:
		return withCancel{o}
	}
	return o
}

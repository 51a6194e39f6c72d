package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/reconcile"
	"lunas/ui"
)

// engineGateways are the adapters eng settles payments and sends transfers
// through, as reconciliation sources, in name order. Reconciling against
// these very adapters is what keeps reconciliation honest: an adapter built
// apart (another base URL, other keys, or its own in-memory book, as the
// desktop's demo once had for Iris) asks a different book and reports
// transfers the engine paid as missing at the gateway.
func engineGateways(eng *engine.Engine) reconcile.Gateways {
	payments, payouts := eng.Gateways()
	var gw reconcile.Gateways
	for _, n := range slices.Sorted(maps.Keys(payments)) {
		gw.Payments = append(gw.Payments, payments[n])
	}
	for _, n := range slices.Sorted(maps.Keys(payouts)) {
		gw.Payouts = append(gw.Payouts, payouts[n])
	}
	return gw
}

// Reconcile implements ui.Reconciler: the engine's own adapters when an
// engine runs (the demo's, or the shop's), else every channel in the shop's
// settings; each difference is a sentence in the desktop's language.
func (g *guiServices) Reconcile(ctx context.Context, actor domain.Actor, from, to time.Time) (ui.ReconcileResult, error) {
	if err := actor.Can(domain.PermView); err != nil {
		return ui.ReconcileResult{}, err
	}
	g.mu.Lock()
	eng, cs := g.eng, g.shopChannels
	g.mu.Unlock()
	var gw reconcile.Gateways
	switch {
	case eng != nil:
		gw = engineGateways(eng)
	case cs != nil:
		gw = cs.reconcileGateways(20 * time.Second)
	default:
		return ui.ReconcileResult{}, fmt.Errorf("no gateway is connected: %w", ui.ErrNotAvailable)
	}
	rep, err := reconcile.Run(ctx, g.store, gw, from, to, reconcile.Options{})
	if err != nil {
		return ui.ReconcileResult{}, err
	}
	return reconcileResult(rep, ui.Language()), nil
}

// reconcileResult is what the desktop shows of a report: the matched count,
// one plain sentence per difference and per record Lunas is behind on, in lang.
func reconcileResult(rep reconcile.Report, lang string) ui.ReconcileResult {
	res := ui.ReconcileResult{Matched: rep.Counts[reconcile.Matched]}
	for _, it := range rep.Items {
		switch {
		case it.Difference():
			res.Mismatches = append(res.Mismatches, it.Sentence(lang))
		case it.Kind == reconcile.Behind:
			res.Behind = append(res.Behind, it.Sentence(lang))
		}
	}
	return res
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lunas/domain"
)

// finalCheckFor is how long after a payment's expiry Lunas keeps looking at
// the gateway for a payment it closed locally, and finalCheckEvery how often
// while the gateway still calls the link open.
const (
	finalCheckFor   = 7 * 24 * time.Hour
	finalCheckEvery = 6 * time.Hour
)

// latePaid flags a payment the gateway reports paid after Lunas closed it
// (expired or failed): money arrived, so it is never dropped; it pays
// nothing automatically (the order was closed) and waits for a person.
func (e *Engine) latePaid(tx domain.Tx, p domain.Payment, r domain.PaymentResult, now time.Time) ([]Event, error) {
	reason := fmt.Sprintf("paid %s at the gateway after Lunas closed it as %s; check and settle or refund by hand / dibayar setelah ditutup (%s); periksa lalu selesaikan manual",
		r.Amount, p.Status, p.Status)
	if err := tx.SetPaymentStatus(p.ID, p.Status, domain.PaymentFlagged, r.Amount, reason, now); err != nil {
		return nil, err
	}
	if err := tx.SchedulePoll(p.ID, now, time.Time{}); err != nil {
		return nil, err
	}
	from := domain.OrderExpired
	if p.Status == domain.PaymentFailed {
		from = domain.OrderFailed
	}
	if err := tx.SetOrderStatus(p.OrderID, from, domain.OrderFlagged); err != nil && !errors.Is(err, domain.ErrConflict) {
		return nil, err
	}
	if err := audit(tx, now, "engine", "payment.late_paid", "payment:"+p.ExternalID, reason); err != nil {
		return nil, err
	}
	return []Event{
		{Kind: EventPaymentFlagged, Payment: p.ExternalID, Channel: p.Gateway, Amount: r.Amount, Message: reason, At: now},
		{Kind: EventNeedsAttention, Payment: p.ExternalID, Channel: p.Gateway, Amount: r.Amount, Message: reason, At: now},
	}, nil
}

// finalChecks asks the gateway once more about payments Lunas closed as
// expired by itself (the gateway never said so), so that a buyer who paid at
// the last moment is flagged for a person instead of lost. While the gateway
// still calls the link open it looks again every finalCheckEvery, until
// finalCheckFor past the expiry.
func (e *Engine) finalChecks(ctx context.Context) error {
	now := e.now()
	var due []domain.Payment
	err := e.store.Read(ctx, func(tx domain.ReadTx) error {
		r, ok := tx.(FinalCheckReader)
		if !ok {
			return nil
		}
		var err error
		due, err = r.ListPaymentsFinalCheck(domain.PaymentExpired, now, e.cfg.Batch)
		return err
	})
	if err != nil || len(due) == 0 {
		return err
	}
	answers := make([]domain.PaymentResult, len(due))
	forEach(e.cfg.Concurrency, due, func(i int, p domain.Payment) {
		answers[i] = domain.PaymentResult{ExternalID: p.ExternalID, State: domain.PaymentStateUnknown}
		gw, ok := e.cfg.Payments[p.Gateway]
		if !ok {
			return
		}
		if err := e.limit(ctx, p.Gateway, OpPaymentStatus); err != nil {
			return
		}
		cctx, cancel := e.withTimeout(ctx, e.iv.CallTimeout)
		defer cancel()
		r, err := gw.PaymentStatus(cctx, p.ExternalID)
		e.gatewayHealth(p.Gateway, err)
		if err == nil {
			r.ExternalID = p.ExternalID
			answers[i] = r
		}
	})
	wctx, cancel := e.work(ctx)
	defer cancel()
	var events []Event
	err = e.store.Write(wctx, func(tx domain.Tx) error {
		events = events[:0]
		for i, p := range due {
			r := answers[i]
			if r.State == domain.PaymentStatePaid {
				ev, err := e.applyPayment(wctx, tx, r)
				if err != nil {
					return fmt.Errorf("payment %s: %w", p.ExternalID, err)
				}
				events = append(events, ev...)
				continue
			}
			var next time.Time // done: the gateway closed it too
			switch r.State {
			case domain.PaymentStateUnknown:
				next = now.Add(e.iv.PollMax) // no answer: ask again
			case domain.PaymentStatePending:
				next = now.Add(finalCheckEvery) // the link is still open at the gateway
			}
			if !next.IsZero() && !p.ExpiresAt.IsZero() && next.After(p.ExpiresAt.Add(finalCheckFor)) {
				next = time.Time{}
			}
			if err := tx.SchedulePoll(p.ID, now, next); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.publishAll(events)
	return nil
}

package engine

import (
	"context"
	"errors"
	"slices"
	"time"

	"lunas/domain"
)

func (e *Engine) trackLoop(ctx context.Context) {
	tick(ctx, e.trackEvery(), e.wakeTrack, func(ctx context.Context) {
		if err := e.trackOpen(ctx, false); err != nil && ctx.Err() == nil {
			e.warn("tracker", err)
		}
	})
}

// watchLoop runs the reversal watch apart from the tracker: a round of
// watch checks waiting for their budget must never hold up the status
// queries of transfers still in progress.
func (e *Engine) watchLoop(ctx context.Context) {
	if e.iv.ReversalWatch < 0 {
		return
	}
	tick(ctx, e.watchEvery(), nil, func(ctx context.Context) {
		if err := e.watchRounds(ctx); err != nil && ctx.Err() == nil {
			e.warn("reversal watch", err)
		}
	})
}

// TrackNow asks the gateway about every accepted or unknown transfer whose
// next check is due (all of them when all is true) and records the answers.
// An unknown transfer the gateway has never heard of is resent with the SAME
// REFID, but only while the channel still deduplicates that REFID
// (domain.ResendAllowed); past the window it waits for a person, because a resend
// could pay twice. A transfer in sending with no call of this process in
// flight for SendingAfter is made unknown and asked about the same way. Then
// recent successes whose reversal check is due are asked about (watch.go).
func (e *Engine) TrackNow(ctx context.Context, all bool) error {
	if err := e.trackOpen(ctx, all); err != nil {
		return err
	}
	return e.watchReversals(ctx)
}

// trackOpen is TrackNow for transfers in sending, accepted or unknown.
func (e *Engine) trackOpen(ctx context.Context, all bool) error {
	var open []domain.Transfer
	err := e.store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		open, err = oldestFirst(tx, []domain.TransferStatus{domain.TransferSending, domain.TransferAccepted, domain.TransferUnknown}, 0)
		return err
	})
	if err != nil {
		return err
	}
	if err := e.resolveSending(ctx, open); err != nil {
		return err
	}
	if len(open) == 0 {
		return nil
	}
	now := e.now()
	var jobs []*sendJob
	var stuck []Event
	e.mu.Lock()
	for _, t := range open {
		if !t.SentAt.IsZero() && now.Sub(t.SentAt) > e.iv.StuckAfter && !e.stuckTold[t.RefID] {
			e.stuckTold[t.RefID] = true
			stuck = append(stuck, Event{Kind: EventNeedsAttention, RefID: t.RefID, Channel: t.Channel, Status: t.Status, Amount: t.Amount,
				Message: "no final answer from the gateway since " + t.SentAt.Format(time.RFC3339) + "; Lunas keeps asking, check the gateway's dashboard / belum ada jawaban final dari gateway; periksa dashboard gateway"})
		}
		if t.Status == domain.TransferSending {
			continue // its own call may still answer; resolveSending takes it past the bound
		}
		ti, ok := e.trackAfter[t.RefID]
		if all || !ok || !now.Before(ti.next) {
			jobs = append(jobs, &sendJob{t: t, actor: "engine"})
		}
		if len(jobs) >= e.cfg.Batch*4 {
			break
		}
	}
	e.mu.Unlock()
	e.publishAll(stuck)
	if len(jobs) == 0 {
		return nil
	}
	e.call(ctx, jobs, true)
	var resend []*sendJob
	for _, j := range jobs {
		if j.res.Outcome == domain.OutcomeNotFound && j.t.Status == domain.TransferUnknown {
			resend = append(resend, j)
		}
	}
	if err := e.recordOutcomes(ctx, jobs); err != nil {
		return err
	}
	if len(resend) > 0 {
		return e.resend(ctx, resend, "engine")
	}
	return nil
}

// resendAllowed is the engine's one decision on a same-REFID resend: the
// channel's key window (domain.KeyWindowOf; none declared means no resend)
// from the transfer's first send, judged at now from the engine's clock by
// domain.ResendAllowed (or Config.ResendAllowed when a test plants a rule).
func (e *Engine) resendAllowed(t domain.Transfer, now time.Time) bool {
	ch, ok := e.cfg.Channels[t.Channel]
	if !ok {
		return false
	}
	first := t.SentAt
	if first.IsZero() {
		first = t.CreatedAt // earlier than any send: the safe side
	}
	rule := e.cfg.ResendAllowed
	if rule == nil {
		rule = domain.ResendAllowed
	}
	return rule(domain.KeyWindowOf(ch), first, now)
}

// windowClosedReason is what an unknown transfer says once the gateway has
// no record of it and its key window has closed, in both languages.
func windowClosedReason(channel string) string {
	return "no payout with this REFID was found at " + channel + " and the time in which " + channel +
		" recognises a resend has passed: Lunas will not send it again by itself (that could pay twice); look the REFID up in " + channel +
		"'s dashboard / payout dengan REFID ini tidak ditemukan di " + channel + " dan masa perlindungan duplikatnya sudah lewat: Lunas tidak mengirim ulang sendiri (bisa membayar dua kali); cari REFID ini di dashboard " + channel

}

// resend sends unknown transfers the gateway said it never saw, with the
// same REFID, committing the new attempt first.
func (e *Engine) resend(ctx context.Context, jobs []*sendJob, actor string) error {
	if e.Paused() {
		return nil // a paused engine sends nothing, not even the same REFID
	}
	wctx, cancel := e.work(ctx)
	defer cancel()
	e.markInflight(jobs, 1)
	defer e.markInflight(jobs, -1)
	var started []*sendJob
	var events []Event
	var notify []Event
	err := e.store.Write(wctx, func(tx domain.Tx) error {
		started, events, notify = started[:0], events[:0], notify[:0]
		now := e.now()
		// The fence: only the lease holder records send attempts (lease.go).
		if err := e.fence(tx, now); err != nil {
			return err
		}
		if err := prefetchTransfers(tx, jobRefs(jobs)); err != nil {
			return err
		}
		for _, j := range jobs {
			t, err := tx.GetTransfer(j.t.RefID)
			if err != nil {
				return err
			}
			if t.Status != domain.TransferUnknown {
				continue
			}
			if !e.resendAllowed(t, now) {
				// Raised once: the reason is kept with the transfer, so the
				// tracker's later rounds (it keeps asking) stay quiet.
				reason := windowClosedReason(t.Channel)
				if t.FailureReason == reason {
					continue
				}
				if nt, ok := tx.(NoteTx); ok {
					if err := nt.NoteTransfer(t.RefID, t.Status, reason); err != nil && !errors.Is(err, domain.ErrConflict) {
						return err
					}
				}
				if err := audit(tx, now, actor, "transfer.resend_refused", "transfer:"+t.RefID, "key window closed; not resent"); err != nil {
					return err
				}
				notify = append(notify, Event{Kind: EventNeedsAttention, RefID: t.RefID, Channel: t.Channel, Status: t.Status, Amount: t.Amount, Message: reason, At: now})
				continue
			}
			if err := e.move(tx, &t, domain.TransferSending, domain.TransferPatch{IncAttempts: true, MarkSent: true}, actor, "gateway has no record; resending the same REFID"+e.sentBy(), now, &events); err != nil {
				if errors.Is(err, domain.ErrConflict) {
					continue
				}
				return err
			}
			d, err := destinationFor(tx, t)
			if err != nil {
				return err
			}
			started = append(started, &sendJob{t: t, req: payoutRequest(t, d), actor: actor})
		}
		return nil
	})
	if errors.Is(err, errPausedElsewhere) {
		return nil
	}
	if err != nil {
		return err
	}
	e.publishAll(events)
	e.publishAll(notify)
	e.call(ctx, started, false)
	return e.recordOutcomes(ctx, started)
}

// resolveSending turns a transfer left in "sending" longer than
// SendingAfter, with no call of this process in flight (its answer was lost,
// or recording it failed), into "unknown", so that the tracker resolves it
// by a status query without waiting for a restart; never by a blind resend.
// open is updated in place.
func (e *Engine) resolveSending(ctx context.Context, open []domain.Transfer) error {
	now := e.now()
	var idx []int
	e.mu.Lock()
	for i, t := range open {
		if t.Status == domain.TransferSending && e.inflight[t.RefID] == 0 && now.Sub(t.UpdatedAt) >= e.iv.SendingAfter {
			idx = append(idx, i)
		}
	}
	e.mu.Unlock()
	if len(idx) == 0 {
		return nil
	}
	wctx, cancel := e.work(ctx)
	defer cancel()
	var events []Event
	err := e.store.Write(wctx, func(tx domain.Tx) error {
		events = events[:0]
		refs := make([]string, len(idx))
		for k, i := range idx {
			refs[k] = open[i].RefID
		}
		if err := prefetchTransfers(tx, refs); err != nil {
			return err
		}
		for _, i := range idx {
			t, err := tx.GetTransfer(open[i].RefID)
			if err != nil {
				return err
			}
			if t.Status != domain.TransferSending {
				open[i] = t
				continue
			}
			err = e.move(tx, &t, domain.TransferUnknown, domain.TransferPatch{FailureReason: "no answer recorded while sending; asking the gateway"}, "engine",
				"in sending since "+t.UpdatedAt.Format(time.RFC3339)+" with no call in flight", now, &events)
			if err != nil && !errors.Is(err, domain.ErrConflict) {
				return err
			}
			open[i] = t
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.publishAll(events)
	return nil
}

// Recover runs before the loops start: every transfer left in sending by a
// crash becomes unknown (the call may or may not have reached the gateway)
// and is resolved by the tracker's status query, never by a blind new send.
func (e *Engine) Recover(ctx context.Context) error {
	var events []Event
	err := e.store.Write(ctx, func(tx domain.Tx) error {
		events = events[:0]
		stuck, err := tx.ListTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSending}})
		if err != nil {
			return err
		}
		now := e.now()
		for _, t := range stuck {
			if err := e.move(tx, &t, domain.TransferUnknown, domain.TransferPatch{FailureReason: "interrupted while sending; asking the gateway"}, "engine", "recovered after restart", now, &events); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.publishAll(events)
	e.refreshBalances(ctx)
	return nil
}

func (e *Engine) balanceLoop(ctx context.Context) {
	t := time.NewTicker(e.iv.Balance)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := e.BalanceNow(ctx); err != nil && ctx.Err() == nil {
			e.warn("balance queue", err)
		}
	}
}

// BalanceNow is one round of the balance loop: it asks every channel for its
// balance, then releases the transfers waiting for balance that now fit.
func (e *Engine) BalanceNow(ctx context.Context) error {
	e.refreshBalances(ctx)
	return e.ReleaseQueued(ctx)
}

// refreshBalances asks every channel for its balance; a channel that does not
// answer is treated as unknown balance (sends go ahead; the gateway refuses
// what it cannot pay).
func (e *Engine) refreshBalances(ctx context.Context) {
	names := make([]string, 0, len(e.cfg.Channels))
	for n := range e.cfg.Channels {
		names = append(names, n)
	}
	slices.Sort(names) // a fixed order, so a simulated run replays exactly
	forEach(min(len(names), e.cfg.Concurrency), names, func(_ int, name string) {
		cctx, cancel := e.withTimeout(ctx, min(e.iv.CallTimeout, 10*time.Second))
		defer cancel()
		if err := e.limit(cctx, name, OpBalance); err != nil {
			return
		}
		bal, err := e.cfg.Channels[name].Balance(cctx)
		e.mu.Lock()
		prev := e.balances[name]
		if err != nil {
			e.balances[name] = balanceInfo{}
			e.mu.Unlock()
			return
		}
		e.balances[name] = balanceInfo{known: true, amount: bal, at: e.now()}
		e.mu.Unlock()
		if low := e.cfg.Limits.LowBalance; low > 0 && bal < low && (!prev.known || prev.amount >= low) {
			e.publish(Event{Kind: EventLowBalance, Channel: name, Balance: bal,
				Message: "balance at " + name + " is low: " + bal.String() + " / saldo " + name + " menipis"})
		}
	})
	e.recordOpenings(ctx, names)
}

// SetBalance records a channel balance learned elsewhere (tests, a top-up screen).
func (e *Engine) SetBalance(channel string, amount domain.Rupiah) {
	e.mu.Lock()
	e.balances[channel] = balanceInfo{known: true, amount: amount, at: e.now()}
	e.mu.Unlock()
}

// ReleaseQueued moves transfers waiting for balance back to approved when
// the known balance covers them, oldest first.
func (e *Engine) ReleaseQueued(ctx context.Context) error {
	wctx, cancel := e.work(ctx)
	defer cancel()
	var events []Event
	err := e.store.Write(wctx, func(tx domain.Tx) error {
		events = events[:0]
		q, err := oldestFirst(tx, []domain.TransferStatus{domain.TransferQueuedBalance}, 0)
		if err != nil || len(q) == 0 {
			return err
		}
		e.mu.Lock()
		avail := map[string]balanceInfo{}
		for k, v := range e.balances {
			avail[k] = v
		}
		e.mu.Unlock()
		now := e.now()
		for _, t := range q {
			b := avail[t.Channel]
			if b.known && t.Amount > b.amount {
				continue
			}
			b.amount -= t.Amount
			avail[t.Channel] = b
			if err := e.move(tx, &t, domain.TransferApproved, domain.TransferPatch{}, "engine", "balance available", now, &events); err != nil && !errors.Is(err, domain.ErrConflict) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.publishAll(events)
	if len(events) > 0 {
		e.wake(e.wakeSend)
	}
	return nil
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
)

// settingListCursor remembers, per gateway, the last successful list request.
func settingListCursor(gw string) string { return "engine.listed." + gw }

func (e *Engine) pollLoop(ctx context.Context) {
	tick(ctx, e.listEvery0(), nil, func(ctx context.Context) {
		if err := e.listRound(ctx); err != nil && ctx.Err() == nil {
			e.warn("payment list", err)
		}
	})
}

// askLoop asks about payments one by one, apart from the list loop: asks
// waiting for their share of a rate limit must never delay the next list,
// which is what settles most payments.
func (e *Engine) askLoop(ctx context.Context) {
	tick(ctx, e.askEvery(), nil, func(ctx context.Context) {
		if err := e.askRound(ctx); err != nil && ctx.Err() == nil {
			e.warn("payment poll", err)
		}
	})
}

// PollNow does one round of payment polling: a list request for each gateway
// that can list (when its interval has passed and a payment of it is
// pending) and a status request for each due payment at the others, then
// records every answer.
func (e *Engine) PollNow(ctx context.Context) error {
	if err := e.listRound(ctx); err != nil {
		return err
	}
	return e.askRound(ctx)
}

// listRound sends the list request of every lister gateway whose interval
// has passed and records the answers. The list asks only for payments paid
// since the later of the cursor (the newest payment time the gateway
// reported before) and the oldest pending payment's creation: a payment
// cannot be paid before it exists, so after a quiet spell the first list
// is one page, not everything paid on the account since.
func (e *Engine) listRound(ctx context.Context) error {
	now := e.now()
	cursors := map[string]time.Time{}
	oldest, newest := map[string]time.Time{}, map[string]time.Time{} // of each gateway's pending payments
	err := e.store.Read(ctx, func(tx domain.ReadTx) error {
		ps, ok := tx.(PendingSpanReader)
		if !ok {
			return errors.New("engine: the store cannot tell which payments are pending")
		}
		for name, gw := range e.cfg.Payments {
			if _, ok := gw.(domain.PaymentLister); !ok {
				continue
			}
			o, nw, n, err := ps.PendingSpan(name)
			if err != nil {
				return err
			}
			if n == 0 {
				continue // nothing pending: nothing to list for
			}
			oldest[name], newest[name] = o, nw
			v, err := tx.GetSetting(settingListCursor(name))
			if errors.Is(err, domain.ErrNotFound) {
				cursors[name] = time.Time{}
				continue
			} else if err != nil {
				return err
			}
			t, _ := time.Parse(time.RFC3339Nano, v)
			cursors[name] = t
		}
		return nil
	})
	if err != nil {
		return err
	}

	var results []domain.PaymentResult
	listedOK := map[string]time.Time{}
	e.mu.Lock()
	if e.listAt == nil {
		e.listAt = map[string]time.Time{}
	}
	var toList []string
	for name := range cursors {
		if now.Sub(e.listAt[name]) >= e.listEvery(now.Sub(newest[name])) {
			e.listAt[name] = now
			toList = append(toList, name)
		}
	}
	e.mu.Unlock()
	slices.Sort(toList) // a fixed order, so a simulated run replays exactly
	for _, name := range toList {
		since := cursors[name].Add(-time.Second) // overlap: answers are idempotent, gaps are not
		// Clocks differ: allow the gateway's to be a few minutes behind ours.
		if floor := oldest[name].Add(-5 * time.Minute); since.Before(floor) {
			since = floor
		}
		if err := e.limit(ctx, name, OpPaymentList); err != nil {
			return err
		}
		if pp, ok := e.cfg.Payments[name].(PaidPager); ok {
			paidLast, err := e.listInParts(ctx, name, pp, since)
			if err != nil {
				return err
			}
			if paidLast.After(cursors[name]) {
				listedOK[name] = paidLast
			}
			continue
		}
		cctx, cancel := e.withTimeout(ctx, e.iv.CallTimeout)
		var rs []domain.PaymentResult
		if pl, ok := e.cfg.Payments[name].(PaidLister); ok {
			rs, err = pl.RecentPaid(cctx, since)
		} else {
			rs, err = e.cfg.Payments[name].(domain.PaymentLister).RecentPayments(cctx, since)
		}
		cancel()
		if err != nil {
			e.gatewayHealth(name, err)
			continue
		}
		e.gatewayHealth(name, nil)
		// The cursor follows the gateway's own clock (the newest payment
		// time it reported), so skew between the clocks opens no gap.
		var paidLast time.Time
		for _, r := range rs {
			if r.PaidAt.After(paidLast) {
				paidLast = r.PaidAt
			}
		}
		if paidLast.After(cursors[name]) {
			listedOK[name] = paidLast
		}
		results = append(results, rs...)
	}
	if err := e.recordPayments(ctx, results); err != nil {
		return err
	}
	if len(listedOK) > 0 {
		wctx, cancel := e.work(ctx)
		defer cancel()
		return e.store.Write(wctx, func(tx domain.Tx) error {
			for name, at := range listedOK {
				if err := tx.SetSetting(settingListCursor(name), at.UTC().Format(time.RFC3339Nano)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return nil
}

// listInParts reads a PaidPager's list since the given time part by part,
// settling each part as it arrives, and returns the newest payment time of
// the whole list; zero when a part could not be read (the gateway's failure
// is noted, and the cursor stays for the next round to read the list
// again). Only the store's failure is returned. With Concurrency above 1
// the next part is read while this one is settled (the simulator's runs,
// with Concurrency 1, read and settle in turn). A part that brings no
// payment the parts before did not ends the reading: a server that repeats
// itself cannot keep the lister here.
func (e *Engine) listInParts(ctx context.Context, name string, pp PaidPager, since time.Time) (time.Time, error) {
	type part struct {
		rs   []domain.PaymentResult
		next string
		err  error
	}
	read := func(from string) part {
		cctx, cancel := e.withTimeout(ctx, e.iv.CallTimeout)
		defer cancel()
		rs, next, err := pp.RecentPaidFrom(cctx, since, from)
		return part{rs, next, err}
	}
	var paidLast time.Time
	seen := map[string]bool{}
	p := read("")
	for {
		e.gatewayHealth(name, p.err)
		if p.err != nil {
			return time.Time{}, nil
		}
		fresh := 0
		for _, r := range p.rs {
			if !seen[r.ExternalID] {
				seen[r.ExternalID] = true
				fresh++
			}
			if r.PaidAt.After(paidLast) {
				paidLast = r.PaidAt
			}
		}
		more := p.next != "" && fresh > 0
		var ahead chan part
		if more {
			if err := e.limit(ctx, name, OpPaymentList); err != nil {
				return time.Time{}, err
			}
			if e.cfg.Concurrency > 1 {
				ahead = make(chan part, 1)
				go func(from string) { ahead <- read(from) }(p.next)
			}
		}
		err := e.recordPayments(ctx, p.rs)
		switch {
		case ahead != nil:
			next := <-ahead // also when recording failed: no reader is left behind
			if err != nil {
				return time.Time{}, err
			}
			p = next
		case err != nil:
			return time.Time{}, err
		case more:
			p = read(p.next)
		default:
			return paidLast, nil
		}
	}
}

// askRound asks about each due payment by itself: every due payment of a
// gateway that cannot list, and of a lister gateway those past their expiry
// (one last look before closing them) or older than PollMax (a safety net
// for a list answer cut short); then the final checks of payments closed
// locally.
func (e *Engine) askRound(ctx context.Context) error {
	now := e.now()
	var due []domain.Payment
	err := e.store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		due, err = tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentPending}, DuePoll: now, Page: domain.Page{Limit: 1000}})
		return err
	})
	if err != nil {
		return err
	}
	var ask []domain.Payment
	var results []domain.PaymentResult
	for _, p := range due {
		gw, ok := e.cfg.Payments[p.Gateway]
		if !ok {
			continue
		}
		if _, lists := gw.(domain.PaymentLister); lists && !e.pastExpiry(p, now) && now.Sub(p.CreatedAt) < e.iv.PollMax {
			results = append(results, domain.PaymentResult{ExternalID: p.ExternalID, State: domain.PaymentStateUnknown, RawStatus: "not listed"})
			continue
		}
		ask = append(ask, p)
	}
	if err := e.recordPayments(ctx, results); err != nil {
		return err
	}
	// Ask one batch at a time and record each batch at once, so settlement
	// (and sending) starts while later payments are still being asked about.
	for len(ask) > 0 {
		chunk := ask[:min(len(ask), e.cfg.Batch)]
		ask = ask[len(chunk):]
		answers := make([]domain.PaymentResult, len(chunk))
		forEach(e.cfg.Concurrency, chunk, func(i int, p domain.Payment) {
			if err := e.limit(ctx, p.Gateway, OpPaymentStatus); err != nil {
				answers[i] = domain.PaymentResult{ExternalID: p.ExternalID, State: domain.PaymentStateUnknown}
				return
			}
			cctx, cancel := e.withTimeout(ctx, e.iv.CallTimeout)
			defer cancel()
			r, err := e.cfg.Payments[p.Gateway].PaymentStatus(cctx, p.ExternalID)
			e.gatewayHealth(p.Gateway, err)
			if err != nil {
				r.State = domain.PaymentStateUnknown
			}
			r.ExternalID = p.ExternalID
			answers[i] = r
		})
		if err := e.recordPayments(ctx, answers); err != nil {
			return err
		}
	}
	return e.finalChecks(ctx)
}

// listEvery is the wait between two list requests to a gateway whose newest
// pending payment is age old: List while it is younger than ListFast (a
// buyer who is going to pay usually does so within minutes, and settlement
// should follow at once), then growing with the age, at most PollMax.
func (e *Engine) listEvery(age time.Duration) time.Duration {
	if age <= e.iv.ListFast {
		return e.iv.List
	}
	d := time.Duration(float64(e.iv.List) * float64(age) / float64(e.iv.ListFast))
	return max(e.iv.List, min(d, e.iv.PollMax))
}

func (e *Engine) pastExpiry(p domain.Payment, now time.Time) bool {
	return !p.ExpiresAt.IsZero() && now.After(p.ExpiresAt.Add(e.iv.ExpiryGrace))
}

func (e *Engine) gatewayHealth(name string, err error) {
	e.mu.Lock()
	was := e.gwDown[name]
	down := err != nil
	e.gwDown[name] = down
	e.mu.Unlock()
	switch {
	case down && !was:
		e.log.Warn("gateway not answering", "gateway", name, "err", err)
		e.publish(Event{Kind: EventGatewayDown, Channel: name, Message: name + " is not answering; Lunas keeps trying"})
	case !down && was:
		e.publish(Event{Kind: EventGatewayUp, Channel: name, Message: name + " answers again"})
	}
}

// recordPayments applies payment answers in batches, one write transaction each.
func (e *Engine) recordPayments(ctx context.Context, results []domain.PaymentResult) error {
	wctx, cancel := e.work(ctx)
	defer cancel()
	for len(results) > 0 {
		n := min(len(results), e.cfg.Batch)
		batch := results[:n]
		results = results[n:]
		var events []Event
		err := e.store.Write(wctx, func(tx domain.Tx) error {
			events = events[:0]
			ids := make([]string, len(batch))
			for i, r := range batch {
				ids[i] = r.ExternalID
			}
			if err := prefetchPayments(tx, ids); err != nil {
				return err
			}
			bctx := batchContext(wctx)
			for _, r := range batch {
				ev, err := e.applyPayment(bctx, tx, r)
				if err != nil {
					return fmt.Errorf("payment %s: %w", r.ExternalID, err)
				}
				events = append(events, ev...)
			}
			return nil
		})
		if err != nil {
			if wctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
				domain.IsStoreUnavailable(err) { // the database is away: nothing is wrong with the payments
				return err
			}
			// One bad payment must not hold back the rest forever: apply
			// each alone, and flag the one that still fails for a person.
			e.log.Warn("settlement batch failed; isolating", "err", err)
			if err := e.recordOneByOne(wctx, batch); err != nil {
				return err
			}
			continue
		}
		e.publishAll(events)
	}
	return nil
}

// recordOneByOne applies each answer in its own transaction; a payment whose
// answer cannot be applied is flagged (it pays nothing) in another.
func (e *Engine) recordOneByOne(ctx context.Context, batch []domain.PaymentResult) error {
	for _, r := range batch {
		var events []Event
		err := e.store.Write(ctx, func(tx domain.Tx) error {
			var err error
			events, err = e.applyPayment(ctx, tx, r)
			return err
		})
		if err == nil {
			e.publishAll(events)
			continue
		}
		if ctx.Err() != nil || domain.IsStoreUnavailable(err) {
			return err
		}
		applyErr := err
		e.log.Warn("payment cannot be applied; flagging it", "payment", r.ExternalID, "err", applyErr)
		ferr := e.store.Write(ctx, func(tx domain.Tx) error {
			events = events[:0]
			p, err := tx.GetPaymentByExternalID(r.ExternalID)
			if err != nil || p.Status != domain.PaymentPending {
				return err
			}
			events, err = e.flagPayment(tx, p, r.Amount, "could not be settled, check it: "+applyErr.Error()+" / gagal diproses, periksa", e.now())
			return err
		})
		if ferr != nil {
			return fmt.Errorf("payment %s: %w (and flagging it failed: %v)", r.ExternalID, applyErr, ferr)
		}
		e.publishAll(events)
	}
	return nil
}

func (e *Engine) publishAll(events []Event) {
	send := false
	for _, ev := range events {
		e.publish(ev)
		if ev.Kind == EventTransferCreated && ev.Status == domain.TransferApproved {
			send = true
		}
	}
	if send {
		e.wake(e.wakeSend)
	}
}

// pollBackoff is the wait before poll number n+1: first, doubling, at most max.
func pollBackoff(n int, first, max time.Duration) time.Duration {
	d := first
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// applyPayment records one gateway answer about a payment inside tx.
func (e *Engine) applyPayment(ctx context.Context, tx domain.Tx, r domain.PaymentResult) ([]Event, error) {
	p, err := tx.GetPaymentByExternalID(r.ExternalID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil // listed by the gateway but not ours
	}
	if err != nil {
		return nil, err
	}
	now := e.now()
	if p.Status != domain.PaymentPending {
		if r.State == domain.PaymentStatePaid && (p.Status == domain.PaymentExpired || p.Status == domain.PaymentFailed) {
			return e.latePaid(tx, p, r, now) // money arrived after Lunas closed it: a person decides
		}
		return nil, nil // late or duplicated news: settlement happens once
	}
	switch r.State {
	case domain.PaymentStatePaid:
		return e.settle(ctx, tx, p, r, now)
	case domain.PaymentStateFailed, domain.PaymentStateExpired:
		to, ord := domain.PaymentFailed, domain.OrderFailed
		if r.State == domain.PaymentStateExpired {
			to, ord = domain.PaymentExpired, domain.OrderExpired
		}
		return e.closePayment(tx, p, to, ord, "gateway: "+r.RawStatus, now, time.Time{})
	default:
		if r.State == domain.PaymentStatePending && e.pastExpiry(p, now) {
			// Closed here, not at the gateway: one more look later (finalChecks).
			return e.closePayment(tx, p, domain.PaymentExpired, domain.OrderExpired, "still unpaid after the link expired", now, now.Add(e.iv.ExpiryGrace))
		}
		next := now.Add(pollBackoff(p.PollCount, e.iv.PollFirst, e.iv.PollMax))
		if _, lists := e.cfg.Payments[p.Gateway].(domain.PaymentLister); lists {
			// A lister gateway covers it each List interval. Asking about
			// it by itself is only a safety net for a list answer cut
			// short in a burst: first once it is older than PollMax, then
			// every 5 x PollMax.
			next = now.Add(5 * e.iv.PollMax)
			if r.RawStatus == "not listed" {
				next = p.CreatedAt.Add(e.iv.PollMax)
			}
			// The list asks only for paid ones: an expiry at the gateway
			// is learnt by this ask, so make one just after the link expires.
			if exp := p.ExpiresAt.Add(5 * time.Second); !p.ExpiresAt.IsZero() && exp.After(now) && next.After(exp) {
				next = exp
			}
		}
		return nil, tx.SchedulePoll(p.ID, now, next)
	}
}

// closePayment closes a pending payment. finalCheck is when to ask the
// gateway once more (a payment closed locally, not by the gateway), or zero.
func (e *Engine) closePayment(tx domain.Tx, p domain.Payment, to domain.PaymentStatus, ord domain.OrderStatus, why string, now, finalCheck time.Time) ([]Event, error) {
	if err := tx.SetPaymentStatus(p.ID, domain.PaymentPending, to, 0, "", now); err != nil {
		return nil, err
	}
	if err := tx.SchedulePoll(p.ID, now, finalCheck); err != nil {
		return nil, err
	}
	if err := tx.SetOrderStatus(p.OrderID, domain.OrderOpen, ord); err != nil && !errors.Is(err, domain.ErrConflict) {
		return nil, err
	}
	if err := audit(tx, now, "engine", "payment."+string(to), "payment:"+p.ExternalID, why); err != nil {
		return nil, err
	}
	return []Event{{Kind: EventPaymentClosed, Payment: p.ExternalID, Channel: p.Gateway, Amount: p.Amount, Message: "payment " + p.ExternalID + " " + string(to)}}, nil
}

func (e *Engine) flagPayment(tx domain.Tx, p domain.Payment, paid domain.Rupiah, reason string, now time.Time) ([]Event, error) {
	if err := tx.SetPaymentStatus(p.ID, domain.PaymentPending, domain.PaymentFlagged, paid, reason, now); err != nil {
		return nil, err
	}
	if err := tx.SetOrderStatus(p.OrderID, domain.OrderOpen, domain.OrderFlagged); err != nil && !errors.Is(err, domain.ErrConflict) {
		return nil, err
	}
	if err := audit(tx, now, "engine", "payment.flagged", "payment:"+p.ExternalID, reason); err != nil {
		return nil, err
	}
	return []Event{{Kind: EventPaymentFlagged, Payment: p.ExternalID, Channel: p.Gateway, Amount: paid, Message: reason}}, nil
}

// settle turns a paid answer into a settled payment, a ledger posting,
// obligations and transfers, all inside tx. Anything that does not check
// out exactly flags the payment and pays nothing.
func (e *Engine) settle(ctx context.Context, tx domain.Tx, p domain.Payment, r domain.PaymentResult, now time.Time) ([]Event, error) {
	order, err := tx.GetOrder(p.OrderID)
	if err != nil {
		return nil, err
	}
	total, err := order.Total()
	if err != nil {
		return e.flagPayment(tx, p, r.Amount, "order total cannot be computed: "+err.Error(), now)
	}
	var why string
	switch {
	case !r.Verified:
		why = "status signature did not verify / tanda tangan status tidak valid"
	case r.Challenge:
		why = "gateway fraud review pending / pembayaran masih ditinjau gateway"
	case r.Amount != total || p.Amount != total:
		why = fmt.Sprintf("paid %s but the order total is %s / dibayar %s, total pesanan %s", r.Amount, total, r.Amount, total)
	case order.Status != domain.OrderOpen:
		why = "order is " + string(order.Status) + ", not open / pesanan tidak terbuka"
	}
	if why != "" {
		return e.flagPayment(tx, p, r.Amount, why, now)
	}
	rule, err := tx.GetPayoutRule(order.PayoutRuleID)
	if err != nil {
		return e.flagPayment(tx, p, r.Amount, "no payout rule for this order / aturan bagi hasil tidak ditemukan", now)
	}
	portions, err := rule.Split(total)
	if err != nil {
		return e.flagPayment(tx, p, r.Amount, "payout rule does not fit: "+err.Error(), now)
	}
	settledAt := r.PaidAt
	if settledAt.IsZero() {
		settledAt = now
	}
	if err := tx.SetPaymentStatus(p.ID, domain.PaymentPending, domain.PaymentSettled, r.Amount, "", settledAt); err != nil {
		return nil, err
	}
	if err := tx.SetOrderStatus(order.ID, domain.OrderOpen, domain.OrderPaid); err != nil {
		return nil, err
	}
	post := domain.SettlementPosting(p.Gateway, "payment:"+p.ExternalID, total, portions)
	post.CreatedAt = now
	if err := tx.Post(&post); err != nil {
		return nil, err
	}
	if err := audit(tx, now, "engine", "payment.settled", "payment:"+p.ExternalID, "amount "+total.String()); err != nil {
		return nil, err
	}
	events := []Event{{Kind: EventPaymentSettled, Payment: p.ExternalID, Channel: p.Gateway, Amount: total, Message: "payment " + p.ExternalID + " settled " + total.String()}}
	for _, pt := range portions {
		if !pt.Role.PaidOut() {
			continue
		}
		ob := domain.Obligation{PaymentID: p.ID, OrderID: order.ID, PayeeID: pt.PayeeID, Role: pt.Role, Amount: pt.Amount, Status: domain.ObligationOpen, CreatedAt: now}
		if err := tx.CreateObligation(&ob); err != nil {
			return nil, err
		}
		payee, err := tx.GetPayee(pt.PayeeID)
		if err != nil {
			return nil, err
		}
		_, ev, err := e.newTransfer(ctx, tx, ob, payee, e.route(payee), "", "engine", nil, now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev...)
	}
	if err := e.enqueueMail(tx, Mail{Kind: MailBuyerPaid, To: order.BuyerEmail, Name: order.BuyerName, Key: "buyer.paid:" + p.ExternalID,
		Data: map[string]string{"order": order.ExternalID, "amount": total.String(), "buyer": order.BuyerName, "gateway": p.Gateway}}); err != nil {
		return nil, err
	}
	return events, nil
}

func (e *Engine) route(p domain.Payee) string {
	if e.cfg.Route != nil {
		if c := e.cfg.Route(p); c != "" {
			return c
		}
	}
	return e.cfg.DefaultChannel
}

// newTransfer creates the transfer for an obligation with a fresh REFID and
// chooses its first status: approved when the policy and the risk checker
// allow, otherwise awaiting_approval with readable reasons. extraHold forces
// approval (send again).
func (e *Engine) newTransfer(ctx context.Context, tx domain.Tx, ob domain.Obligation, payee domain.Payee, channel, parent, createdBy string, extraHold []string, now time.Time) (domain.Transfer, []Event, error) {
	t := domain.Transfer{
		RefID: e.cfg.NewRefID(now), ParentRefID: parent, ObligationID: ob.ID, PayeeID: payee.ID,
		Channel: channel, Amount: ob.Amount, CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now,
	}
	holds := append([]string(nil), extraHold...)
	if _, ok := e.cfg.Channels[channel]; !ok {
		holds = append(holds, "no payout channel "+strconv.Quote(channel)+" is set up / saluran pembayaran belum diatur")
	}
	limitFrom := len(holds) // the shop's approval limits: a trust rule may lift these
	if l := e.cfg.Limits.PerTransfer; l > 0 && t.Amount > l {
		holds = append(holds, fmt.Sprintf("above the per-transfer limit %s / melebihi batas per transfer %s", l, l))
	}
	daily := payee.DailyLimit
	if daily == 0 {
		daily = e.cfg.Limits.PayeeDaily
	}
	if daily > 0 {
		sofar, err := tx.PayeeTotalSince(payee.ID, e.startOfDay(now))
		if err != nil {
			return t, nil, err
		}
		if sofar+t.Amount > daily {
			holds = append(holds, fmt.Sprintf("payee's daily total would reach %s, limit %s / total harian penerima melebihi batas %s", sofar+t.Amount, daily, daily))
		}
	}
	limitTo := len(holds)
	if payee.Verification != domain.VerifyOK {
		holds = append(holds, "payee account not verified / rekening penerima belum diverifikasi")
	}
	blocked, flagged := false, false
	if e.cfg.Risk != nil {
		a, err := e.cfg.Risk.Assess(ctx, tx, t)
		if err != nil {
			return t, nil, fmt.Errorf("risk check: %w", err)
		}
		if a.Block {
			blocked = true
		}
		if a.Hold || a.Block {
			flagged = true
			if len(a.Reasons) == 0 {
				a.Reasons = []string{"held by a risk rule / ditahan aturan risiko"}
			}
			holds = append(holds, a.Reasons...)
		}
	}
	// A trust rule lifts the approval limits only when nothing else holds
	// the transfer; a risk flag switches the rule off.
	var trusted *domain.TrustRule
	if limitTo > limitFrom || flagged {
		r, err := e.trustLifts(tx, payee, t, flagged, now)
		if err != nil {
			return t, nil, err
		}
		if r != nil && len(holds) == limitTo-limitFrom {
			trusted = r
			holds = nil
		}
	}
	t.Status = domain.TransferApproved
	if len(holds) > 0 {
		t.Status = domain.TransferAwaitingApproval
		t.HoldReason = strings.Join(holds, "; ")
	}
	if blocked {
		t.FailureCode = codeBlocked
	}
	create := tx.CreateTransfer
	if q, ok := tx.(TransferQueuer); ok && inBatch(ctx) {
		create = q.QueueTransfer
	}
	for try := 0; ; try++ {
		err := create(&t)
		if err == nil {
			break
		}
		if errors.Is(err, domain.ErrDuplicateRefID) && try < 5 {
			t.RefID = e.cfg.NewRefID(now)
			continue
		}
		return t, nil, err
	}
	// The destination is fixed now: approval approves it, and the sender
	// and every resend of this REFID use it, whatever the payee becomes.
	dt, ok := tx.(DestinationTx)
	if !ok {
		return t, nil, errors.New("engine: the store cannot fix transfer destinations")
	}
	if err := dt.SaveDestination(t.ID, destinationOf(payee), now); err != nil {
		return t, nil, err
	}
	detail := fmt.Sprintf("created %s %s to payee %d via %s", t.Status, t.Amount, t.PayeeID, t.Channel)
	if parent != "" {
		detail += " (send again after " + parent + ")"
	}
	if t.HoldReason != "" {
		detail += "; hold: " + t.HoldReason
	}
	if trusted != nil {
		detail += fmt.Sprintf("; sent without approval by trust rule #%d (payee %d: up to %s after %d successful payouts to the same account)",
			trusted.ID, trusted.PayeeID, trusted.MaxAmount, trusted.MinPayouts)
	}
	if err := audit(tx, now, createdBy, "transfer.created", "transfer:"+t.RefID, detail); err != nil {
		return t, nil, err
	}
	ev := []Event{{Kind: EventTransferCreated, RefID: t.RefID, Channel: t.Channel, Status: t.Status, Amount: t.Amount}}
	if t.Status == domain.TransferAwaitingApproval {
		ev = append(ev, Event{Kind: EventNeedsApproval, RefID: t.RefID, Channel: t.Channel, Status: t.Status, Amount: t.Amount, Message: t.HoldReason})
	}
	return t, ev, nil
}

// codeBlocked marks a transfer the risk checker blocked: it can only be rejected.
const codeBlocked = "blocked"

package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"lunas/domain"
)

// sendJob is one transfer whose sending intent is committed.
type sendJob struct {
	t     domain.Transfer
	req   domain.PayoutRequest
	res   domain.PayoutResult
	err   error
	actor string
	watch bool // a reversal-watch check: paced by OpPayoutWatch as well
	made  bool // the call was made (not refused by a rate limit at Stop)
	// notMine: the lease ended before the call left (mayCall); nothing is
	// recorded, the transfer stays in sending for the lease holder.
	notMine bool
}

func (e *Engine) sendLoop(ctx context.Context) {
	tick(ctx, e.iv.Send, e.wakeSend, func(ctx context.Context) {
		if err := e.sendRounds(ctx); err != nil && ctx.Err() == nil {
			e.warn("sender", err)
		}
	})
}

// SendNow sends up to one batch of approved transfers and returns how many it
// picked up. For each, the move to sending (with the attempt counted) is
// committed before the gateway is called, and the answer is recorded after.
func (e *Engine) SendNow(ctx context.Context) (int, error) {
	b, err := e.claimSends(ctx)
	if err != nil || b == nil {
		return 0, err
	}
	return b.picked, e.finishSends(ctx, b)
}

// sendBatch is one batch of sends whose intents are committed: the calls
// and the recording of their answers are still to come (finishSends).
type sendBatch struct {
	picked  int        // approved transfers read, sent or not
	jobs    []*sendJob // marked in flight until finishSends
	started []*sendJob // moved to sending: to be called
}

// claimSends reads up to one batch of approved transfers and commits the
// move to sending of those that fit the known balance. It returns nil when
// there is nothing to send (or the engine is paused, or another engine
// holds the lease).
func (e *Engine) claimSends(ctx context.Context) (*sendBatch, error) {
	if e.Paused() {
		return nil, nil
	}
	var approved []domain.Transfer
	var dests map[string]Destination
	err := e.store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		approved, err = oldestFirst(tx, []domain.TransferStatus{domain.TransferApproved}, e.cfg.Batch)
		if err != nil {
			return err
		}
		dests, err = destinationsFor(tx, approved)
		return err
	})
	if err != nil || len(approved) == 0 {
		return nil, err
	}
	// Balance: what fits in the known balance goes; the rest waits.
	var jobs []*sendJob
	var queued []domain.Transfer
	e.mu.Lock()
	for _, t := range approved {
		b := e.balances[t.Channel]
		if b.known && t.Amount > b.amount {
			queued = append(queued, t)
			continue
		}
		if b.known {
			b.amount -= t.Amount
			e.balances[t.Channel] = b
		}
		jobs = append(jobs, &sendJob{t: t, actor: "engine", req: payoutRequest(t, dests[t.RefID])})
	}
	e.mu.Unlock()

	wctx, cancel := e.work(ctx)
	defer cancel()
	var events []Event
	var started []*sendJob
	e.markInflight(jobs, 1) // from before the intent is committed until the answer is recorded
	err = e.store.Write(wctx, func(tx domain.Tx) error {
		events, started = events[:0], started[:0]
		now := e.now()
		// The fence: only the lease holder records send attempts (lease.go).
		if err := e.fence(tx, now); err != nil {
			return err
		}
		refs := make([]string, 0, len(queued)+len(jobs))
		for _, t := range queued {
			refs = append(refs, t.RefID)
		}
		for _, j := range jobs {
			refs = append(refs, j.t.RefID)
		}
		if err := prefetchTransfers(tx, refs); err != nil {
			return err
		}
		for _, t := range queued {
			err := e.move(tx, &t, domain.TransferQueuedBalance, domain.TransferPatch{}, "engine", "channel balance too low; waits for a top-up", now, &events)
			if err != nil && !errors.Is(err, domain.ErrConflict) {
				return err
			}
		}
		why := "sending" + e.sentBy()
		for _, j := range jobs {
			err := e.move(tx, &j.t, domain.TransferSending, domain.TransferPatch{IncAttempts: true, MarkSent: true}, "engine", why, now, &events)
			if errors.Is(err, domain.ErrConflict) {
				continue // someone else moved it (a person rejected or re-held it)
			}
			if err != nil {
				return err
			}
			if j.t.SentAt.IsZero() {
				j.t.SentAt = now
			}
			j.req.Attempt = j.t.Attempts
			started = append(started, j)
		}
		return nil
	})
	if err != nil {
		e.markInflight(jobs, -1)
		e.restoreBalance(jobs)
		if errors.Is(err, errPausedElsewhere) {
			return nil, nil
		}
		return nil, err
	}
	e.publishAll(events)
	return &sendBatch{picked: len(approved), jobs: jobs, started: started}, nil
}

// finishSends makes the calls of a claimed batch and records the answers.
func (e *Engine) finishSends(ctx context.Context, b *sendBatch) error {
	defer e.markInflight(b.jobs, -1)
	e.call(ctx, b.started, false)
	return e.recordOutcomes(ctx, b.started)
}

// markInflight counts this process's sends in flight per REFID, so that the
// tracker and CheckNow leave a transfer in "sending" alone while its own
// call may still answer.
func (e *Engine) markInflight(jobs []*sendJob, d int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, j := range jobs {
		if n := e.inflight[j.t.RefID] + d; n > 0 {
			e.inflight[j.t.RefID] = n
		} else {
			delete(e.inflight, j.t.RefID)
		}
	}
}

func (e *Engine) restoreBalance(jobs []*sendJob) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, j := range jobs {
		if b := e.balances[j.t.Channel]; b.known {
			b.amount += j.t.Amount
			e.balances[j.t.Channel] = b
		}
	}
}

func payoutRequest(t domain.Transfer, d Destination) domain.PayoutRequest {
	return domain.PayoutRequest{
		RefID: t.RefID, Amount: t.Amount, Channel: d.Bank, AccountNumber: d.AccountNumber,
		AccountHolder: d.AccountHolder, Description: "Lunas " + t.RefID, Email: d.Email, Attempt: t.Attempts,
	}
}

func destinationOf(p domain.Payee) Destination {
	return Destination{Bank: p.Channel, AccountNumber: p.AccountNumber, AccountHolder: p.AccountHolder, Email: p.Email}
}

// destinationFor is the destination fixed when t was created. A transfer
// created before destinations were recorded has none and uses its payee's
// current data (the old behaviour).
func destinationFor(tx domain.ReadTx, t domain.Transfer) (Destination, error) {
	if r, ok := tx.(DestinationReader); ok {
		d, err := r.GetDestination(t.ID)
		if err == nil || !errors.Is(err, domain.ErrNotFound) {
			return d, err
		}
	}
	p, err := tx.GetPayee(t.PayeeID)
	if err != nil {
		return Destination{}, err
	}
	return destinationOf(p), nil
}

// destinationsFor is destinationFor for a batch, by REFID: one read of the
// recorded destinations, then the payee's data for a transfer without one.
func destinationsFor(tx domain.ReadTx, ts []domain.Transfer) (map[string]Destination, error) {
	var found map[int64]Destination
	if r, ok := tx.(DestinationReader); ok && len(ts) > 1 {
		ids := make([]int64, len(ts))
		for i, t := range ts {
			ids[i] = t.ID
		}
		var err error
		if found, err = r.GetDestinations(ids); err != nil {
			return nil, err
		}
	}
	out := make(map[string]Destination, len(ts))
	for _, t := range ts {
		d, ok := found[t.ID]
		if !ok {
			var err error
			if d, err = destinationFor(tx, t); err != nil {
				return nil, err
			}
		}
		out[t.RefID] = d
	}
	return out, nil
}

// Destination returns where a transfer's money goes, as fixed when it was
// created (what the approver approves). Callers mask the account number.
func (e *Engine) Destination(ctx context.Context, refID string) (d Destination, err error) {
	err = e.store.Read(ctx, func(tx domain.ReadTx) error {
		t, err := e.getTransfer(tx, refID)
		if err != nil {
			return err
		}
		d, err = destinationFor(tx, t)
		return err
	})
	return d, err
}

// call performs the gateway calls for jobs (Send, or Status when query is
// true), at most Concurrency at once. The calls use a context that survives
// shutdown so that an answer that arrives is recorded.
func (e *Engine) call(ctx context.Context, jobs []*sendJob, query bool) {
	forEach(e.cfg.Concurrency, jobs, func(_ int, j *sendJob) {
		ch, ok := e.cfg.Channels[j.t.Channel]
		if !ok {
			j.res = domain.PayoutResult{RefID: j.t.RefID, Outcome: domain.OutcomeUnknown}
			j.err = fmt.Errorf("no channel %q", j.t.Channel)
			return
		}
		// Rate limits are waited for on the loop's context, before the
		// call's timeout starts: under a sliding window a turn can take up
		// to a minute, and a wait is not an answer from the gateway. Only
		// Stop ends a wait; then no request left, and the transfer is
		// recorded unknown and resolved by a status query as after a crash.
		if j.watch {
			// The watch's own, smaller budget first, so that it only ever
			// takes that share of the status endpoint from tracking.
			if err := e.limit(ctx, j.t.Channel, OpPayoutWatch); err != nil {
				j.res, j.err = domain.PayoutResult{RefID: j.t.RefID, Outcome: domain.OutcomeUnknown}, err
				return
			}
		}
		op := OpPayoutCreate
		if query {
			op = OpPayoutStatus
		}
		if err := e.limit(ctx, j.t.Channel, op); err != nil {
			what := "not sent"
			if query {
				what = "not asked"
			}
			j.res, j.err = domain.PayoutResult{RefID: j.t.RefID, Outcome: domain.OutcomeUnknown}, fmt.Errorf("%s, Lunas stopped while waiting for the rate limit: %w", what, err)
			return
		}
		if !query && !e.mayCall() {
			j.notMine = true
			j.res, j.err = domain.PayoutResult{RefID: j.t.RefID, Outcome: domain.OutcomeUnknown}, errNotSender
			return
		}
		cctx, cancel := e.withTimeout(context.WithoutCancel(ctx), e.iv.CallTimeout)
		defer cancel()
		j.made = true
		if query {
			j.res, j.err = ch.Status(cctx, j.t.RefID)
		} else {
			j.res, j.err = ch.Send(cctx, j.req)
		}
		if j.err != nil && j.res.Outcome == "" {
			j.res.Outcome = domain.OutcomeUnknown
		}
		if j.res.Outcome == "" {
			j.res.Outcome = domain.OutcomeUnknown
		}
		// Salah kamar: an answer about another REFID tells us nothing about this one.
		if j.res.RefID != "" && j.res.RefID != j.t.RefID {
			e.log.Warn("answer names another REFID", "refid", j.t.RefID, "answer", j.res.RefID)
			j.res = domain.PayoutResult{RefID: j.t.RefID, Outcome: domain.OutcomeUnknown}
		}
		e.gatewayHealth(j.t.Channel, j.err)
	})
}

// recordOutcomes writes the answers for jobs in batches, each with its own
// write deadline taken now (after the calls), surviving ctx's cancellation.
func (e *Engine) recordOutcomes(ctx context.Context, jobs []*sendJob) error {
	mine := jobs[:0:0]
	for _, j := range jobs {
		if !j.notMine {
			mine = append(mine, j)
		}
	}
	jobs = mine
	for len(jobs) > 0 {
		n := min(len(jobs), e.cfg.Batch)
		batch := jobs[:n]
		jobs = jobs[n:]
		var events []Event
		wctx, cancel := e.work(ctx)
		err := e.store.Write(wctx, func(tx domain.Tx) error {
			events = events[:0]
			if err := prefetchTransfers(tx, jobRefs(batch)); err != nil {
				return err
			}
			for _, j := range batch {
				if err := e.applyOutcome(tx, j.t.RefID, j.res, j.err, j.actor, &events); err != nil {
					return fmt.Errorf("%s: %w", j.t.RefID, err)
				}
			}
			return nil
		})
		cancel()
		if err != nil {
			return err
		}
		e.publishAll(events)
		e.mu.Lock()
		for _, j := range batch {
			if j.res.Outcome == domain.OutcomeAccepted || j.res.Outcome == domain.OutcomeUnknown || j.res.Outcome == domain.OutcomeNotFound {
				ti := e.trackAfter[j.t.RefID]
				ti.next = e.now().Add(pollBackoff(ti.tries, e.iv.TrackFirst, e.iv.TrackMax))
				ti.tries++
				e.trackAfter[j.t.RefID] = ti
			} else {
				delete(e.trackAfter, j.t.RefID)
			}
		}
		e.mu.Unlock()
	}
	return nil
}

// jobRefs returns the jobs' REFIDs.
func jobRefs(jobs []*sendJob) []string {
	refs := make([]string, len(jobs))
	for i, j := range jobs {
		refs[i] = j.t.RefID
	}
	return refs
}

// move is one audited compare-and-set status change; it updates t and
// appends the event.
func (e *Engine) move(tx domain.Tx, t *domain.Transfer, to domain.TransferStatus, patch domain.TransferPatch, actor, why string, now time.Time, events *[]Event) error {
	if err := tx.MoveTransfer(t.RefID, t.Status, to, patch); err != nil {
		return err
	}
	detail := string(t.Status) + " -> " + string(to)
	if why != "" {
		detail += ": " + why
	}
	if err := audit(tx, now, actor, "transfer.status", "transfer:"+t.RefID, detail); err != nil {
		return err
	}
	t.Status = to
	if patch.IncAttempts {
		t.Attempts++
	}
	if patch.FailureCode != "" {
		t.FailureCode = patch.FailureCode
	}
	if patch.FailureReason != "" {
		t.FailureReason = patch.FailureReason
	}
	if patch.GatewayRef != "" {
		t.GatewayRef = patch.GatewayRef
	}
	*events = append(*events, Event{Kind: EventTransferStatus, RefID: t.RefID, Channel: t.Channel, Status: to, Amount: t.Amount, Message: why, At: now})
	return nil
}

// applyOutcome records what a gateway said about a REFID. News moves a
// transfer only forward; anything the state machine does not allow from the
// current status is late or duplicated and is ignored (or, when it
// contradicts a final status, raised for a person).
func (e *Engine) applyOutcome(tx domain.Tx, refID string, r domain.PayoutResult, callErr error, actor string, events *[]Event) error {
	t, err := tx.GetTransfer(refID)
	if err != nil {
		return err
	}
	now := e.now()
	patch := domain.TransferPatch{GatewayRef: r.GatewayRef}
	step := func(to domain.TransferStatus, why string) error {
		if t.Status == to {
			return nil
		}
		if !domain.CanTransition(t.Status, to) {
			return errSkip
		}
		return e.move(tx, &t, to, patch, actor, why, now, events)
	}
	why := r.Reason
	if why == "" {
		why = r.RawStatus
	}
	switch r.Outcome {
	case domain.OutcomeAccepted:
		err = step(domain.TransferAccepted, "gateway accepted")
	case domain.OutcomeSucceeded:
		err = e.succeed(tx, &t, patch, actor, now, events)
	case domain.OutcomeFailed, domain.OutcomeRejected:
		patch.FailureCode, patch.FailureReason = nonEmpty(r.Code, string(r.Outcome)), nonEmpty(why, "gateway reported a failure")
		before := t.Status
		if err = step(domain.TransferFailed, "failed: "+patch.FailureReason); err == nil && before != domain.TransferFailed {
			*events = append(*events, Event{Kind: EventNeedsAttention, RefID: t.RefID, Channel: t.Channel, Status: t.Status, Amount: t.Amount,
				Message: "transfer failed: " + patch.FailureReason + " / transfer gagal"})
		}
	case domain.OutcomeCancelled:
		if t.Status == domain.TransferSending {
			if err = step(domain.TransferUnknown, "answer while sending"); err != nil {
				break
			}
		}
		err = step(domain.TransferCancelled, "cancelled at the gateway")
	case domain.OutcomeReversed:
		if t.Status != domain.TransferSucceeded && t.Status != domain.TransferReversed {
			if err = e.succeed(tx, &t, patch, actor, now, events); err != nil {
				break
			}
		}
		err = e.reverse(tx, &t, actor, why, now, events)
	case domain.OutcomeNotFound:
		// From sending: the call did not land. Unknown until a status query
		// or a same-REFID resend resolves it.
		if t.Status == domain.TransferSending {
			patch.FailureReason = "gateway has no record of this REFID yet"
			err = step(domain.TransferUnknown, patch.FailureReason)
		}
	default: // unknown: only from sending does it change anything
		if t.Status == domain.TransferSending {
			reason := "no clear answer"
			if callErr != nil {
				reason = callErr.Error()
			}
			patch.FailureReason = "unknown: " + reason
			err = step(domain.TransferUnknown, patch.FailureReason)
		}
	}
	if errors.Is(err, errSkip) {
		if t.Status.Final() && r.Outcome != domain.OutcomeUnknown && string(r.Outcome) != string(outcomeFor(t.Status)) {
			return e.conflictingNews(tx, t, r, actor, now, events)
		}
		return nil
	}
	return err
}

var errSkip = errors.New("late news ignored")

func outcomeFor(s domain.TransferStatus) domain.PayoutOutcome {
	switch s {
	case domain.TransferSucceeded:
		return domain.OutcomeSucceeded
	case domain.TransferFailed:
		return domain.OutcomeFailed
	case domain.TransferReversed:
		return domain.OutcomeReversed
	case domain.TransferCancelled:
		return domain.OutcomeCancelled
	}
	return ""
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// succeed moves t to succeeded, books the payout and marks the obligation paid.
func (e *Engine) succeed(tx domain.Tx, t *domain.Transfer, patch domain.TransferPatch, actor string, now time.Time, events *[]Event) error {
	if t.Status == domain.TransferSucceeded {
		return nil
	}
	if !domain.CanTransition(t.Status, domain.TransferSucceeded) {
		return errSkip
	}
	if err := e.move(tx, t, domain.TransferSucceeded, patch, actor, "money arrived", now, events); err != nil {
		return err
	}
	post := domain.PayoutPosting(t, false)
	post.CreatedAt = now
	if err := tx.Post(&post); err != nil {
		return err
	}
	ob, err := tx.GetObligation(t.ObligationID)
	if err != nil {
		return err
	}
	if ob.Status == domain.ObligationOpen || ob.Status == domain.ObligationReopened {
		if err := tx.SetObligationStatus(ob.ID, ob.Status, domain.ObligationPaid); err != nil {
			return err
		}
	}
	payee, err := tx.GetPayee(t.PayeeID)
	if err != nil {
		return err
	}
	d, err := destinationFor(tx, *t)
	if err != nil {
		return err
	}
	return e.enqueueMail(tx, Mail{Kind: MailPayeePaid, To: payee.Email, Name: payee.Name, Key: "payee.paid:" + t.RefID,
		Data: map[string]string{"refid": t.RefID, "amount": t.Amount.String(), "payee": payee.Name, "account": domain.MaskAccount(d.AccountNumber), "channel": d.Bank}})
}

// reverse moves a succeeded transfer to reversed, books the money coming back
// and reopens the obligation.
func (e *Engine) reverse(tx domain.Tx, t *domain.Transfer, actor, why string, now time.Time, events *[]Event) error {
	if t.Status == domain.TransferReversed {
		return nil
	}
	if err := e.move(tx, t, domain.TransferReversed, domain.TransferPatch{FailureReason: nonEmpty(why, "reversed")}, actor, "money came back: "+why, now, events); err != nil {
		return err
	}
	post := domain.PayoutPosting(t, true)
	post.CreatedAt = now
	if err := tx.Post(&post); err != nil {
		return err
	}
	ob, err := tx.GetObligation(t.ObligationID)
	if err != nil {
		return err
	}
	if ob.Status == domain.ObligationPaid {
		if err := tx.SetObligationStatus(ob.ID, ob.Status, domain.ObligationReopened); err != nil {
			return err
		}
	}
	*events = append(*events, Event{Kind: EventTransferReversed, RefID: t.RefID, Channel: t.Channel, Status: t.Status, Amount: t.Amount,
		Message: "transfer " + t.RefID + " was reversed; the payee is owed " + t.Amount.String() + " again / transfer dibatalkan bank, kewajiban dibuka kembali"})
	return nil
}

// QueueReader lists transfers oldest first, so that work is done in arrival
// order (implemented by the store's transaction type).
type QueueReader interface {
	ListTransfersOldestFirst(statuses []domain.TransferStatus, limit int) ([]domain.Transfer, error)
}

// oldestFirst uses QueueReader when the store has it; otherwise it reads
// them all and sorts, which is slower but fair.
func oldestFirst(tx domain.ReadTx, st []domain.TransferStatus, limit int) ([]domain.Transfer, error) {
	if q, ok := tx.(QueueReader); ok {
		return q.ListTransfersOldestFirst(st, limit)
	}
	all, err := tx.ListTransfers(domain.TransferFilter{Statuses: st})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

package engine

import (
	"context"
	"time"

	"lunas/domain"
)

// watchReversals asks the gateway, at a low and decreasing frequency, about
// transfers that succeeded within ReversalWatch, so that a reversal (Xendit
// REVERSED, Iris completed -> failed) reopens the obligation without anyone
// pressing "check". Checks come ReversalFirst after success, then doubling up
// to ReversalMax (about 8 checks in 7 days at the defaults). The schedule
// lives in memory; after a restart each transfer resumes at its next point in
// the schedule (a check missed while Lunas was off is not made up), so a
// restart causes no burst. At most a quarter batch is asked per round, in a
// loop of its own and paced by OpPayoutWatch on top of the status limit, so
// the watch never crowds out real tracking; when its budget is too small
// for the traffic, checks come later than scheduled, oldest first.
func (e *Engine) watchReversals(ctx context.Context) error {
	_, err := e.watchRound(ctx)
	return err
}

// watchRound is one round of watchReversals; full reports that more checks
// were due than one round asks.
func (e *Engine) watchRound(ctx context.Context) (full bool, err error) {
	if e.iv.ReversalWatch < 0 {
		return false, nil
	}
	now := e.now()
	since := now.Add(-e.iv.ReversalWatch)
	var done []domain.Transfer
	err = e.store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		if r, ok := tx.(RecentReader); ok {
			done, err = r.ListTransfersUpdatedSince(domain.TransferSucceeded, since, 0)
			return err
		}
		all, err := tx.ListTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSucceeded}})
		for _, t := range all {
			if !t.UpdatedAt.Before(since) {
				done = append(done, t)
			}
		}
		return err
	})
	if err != nil {
		return false, err
	}
	var jobs []*sendJob
	e.mu.Lock()
	seen := make(map[string]bool, len(done))
	for _, t := range done {
		seen[t.RefID] = true
		if r, ok := e.cfg.Channels[t.Channel].(ReversalReporter); ok && !r.MayReverse() {
			continue
		}
		ti, ok := e.watchAfter[t.RefID]
		if !ok {
			ti.next = t.UpdatedAt.Add(e.iv.ReversalFirst)
			if !ti.next.After(now) && now.Sub(t.UpdatedAt) > e.iv.TrackMax {
				// First seen well after success (a restart): resume at the
				// next point of the schedule instead of asking at once.
				for !ti.next.After(now) {
					ti.tries++
					ti.next = ti.next.Add(pollBackoff(ti.tries, e.iv.ReversalFirst, e.iv.ReversalMax))
				}
			}
			e.watchAfter[t.RefID] = ti
		}
		if now.Before(ti.next) {
			continue
		}
		if len(jobs) >= max(1, e.cfg.Batch/4) {
			full = true
			continue
		}
		jobs = append(jobs, &sendJob{t: t, actor: "engine", watch: true})
	}
	for ref := range e.watchAfter {
		if !seen[ref] {
			delete(e.watchAfter, ref) // reversed, or past the watch
		}
	}
	e.mu.Unlock()
	if len(jobs) == 0 {
		return false, nil
	}
	e.call(ctx, jobs, true)
	var news []*sendJob
	e.mu.Lock()
	for _, j := range jobs {
		ti := e.watchAfter[j.t.RefID]
		ti.tries++
		ti.next = now.Add(pollBackoff(ti.tries, e.iv.ReversalFirst, e.iv.ReversalMax))
		if last := j.t.UpdatedAt.Add(e.iv.ReversalWatch - time.Minute); ti.next.After(last) && last.After(now) {
			ti.next = last // one last look just before the watch ends
		}
		e.watchAfter[j.t.RefID] = ti
		switch j.res.Outcome {
		case domain.OutcomeSucceeded, domain.OutcomeAccepted, domain.OutcomeUnknown, domain.OutcomeNotFound:
			// nothing new (or no answer): keep watching
		default:
			news = append(news, j) // reversed, or a contradiction a person must see
		}
	}
	e.mu.Unlock()
	return full, e.recordOutcomes(ctx, news)
}

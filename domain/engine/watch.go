package engine

import (
	"context"
	"errors"
	"time"

	"lunas/domain"
)

// watchReversals asks the gateway, at a low and decreasing frequency, about
// transfers that succeeded within ReversalWatch, so that a reversal (Xendit
// REVERSED, Iris completed -> failed) reopens the obligation without anyone
// pressing "check". Checks come ReversalFirst after success, then doubling up
// to ReversalMax (about 8 checks in 7 days at the defaults). The schedule is
// kept in the store (WatchStore): a check that fell due while Lunas was off
// is made up once after the restart, and nothing is asked twice. At most a
// quarter batch is asked per round, in a loop of its own and paced by
// OpPayoutWatch on top of the status limit, so the watch never crowds out
// real tracking (nor makes a burst after a restart); when its budget is too
// small for the traffic, checks come later than scheduled.
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
	// One round at a time (the watch loop, and TrackNow from "check now"):
	// two would ask the same transfers and move their schedule twice.
	e.watchMu.Lock()
	defer e.watchMu.Unlock()
	now := e.now()
	since := now.Add(-e.iv.ReversalWatch)
	var done []domain.Transfer
	var stored map[string]WatchPoint
	err = e.store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		if r, ok := tx.(RecentReader); ok {
			done, err = r.ListTransfersUpdatedSince(domain.TransferSucceeded, since, 0)
		} else {
			var all []domain.Transfer
			all, err = tx.ListTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSucceeded}})
			for _, t := range all {
				if !t.UpdatedAt.Before(since) {
					done = append(done, t)
				}
			}
		}
		if err != nil {
			return err
		}
		ws, ok := tx.(WatchStore)
		if !ok {
			return errors.New("engine: the store cannot keep the reversal watch's schedule")
		}
		var unseen []string
		e.mu.Lock()
		for _, t := range done {
			if _, ok := e.watchAfter[t.RefID]; !ok {
				unseen = append(unseen, t.RefID)
			}
		}
		e.mu.Unlock()
		if len(unseen) > 0 {
			stored, err = ws.WatchPoints(unseen)
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
		ch, configured := e.cfg.Channels[t.Channel]
		if r, ok := ch.(ReversalReporter); !configured || (ok && !r.MayReverse()) {
			// Nothing to ask (a channel no longer set up, or one that
			// cannot reverse): never due, and no store lookup each round.
			e.watchAfter[t.RefID] = trackInfo{next: t.UpdatedAt.Add(e.iv.ReversalWatch + time.Minute)}
			continue
		}
		ti, ok := e.watchAfter[t.RefID]
		if p, known := stored[t.RefID]; !ok && known {
			ti, ok = trackInfo{next: p.Next, tries: p.Tries}, true
			e.watchAfter[t.RefID] = ti
		}
		if !ok {
			ti.next = t.UpdatedAt.Add(e.iv.ReversalFirst) // never checked: due an hour after success
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
	now = e.now() // a check may have waited long for its budget
	var news []*sendJob
	for _, j := range jobs {
		switch j.res.Outcome {
		case domain.OutcomeSucceeded, domain.OutcomeAccepted, domain.OutcomeUnknown, domain.OutcomeNotFound:
			// nothing new (or no answer): keep watching
		default:
			news = append(news, j) // reversed, or a contradiction a person must see
		}
	}
	// What was found is recorded before the schedule moves on: if recording
	// fails, the same checks stay due and are asked again.
	if err := e.recordOutcomes(ctx, news); err != nil {
		return full, err
	}
	e.mu.Lock()
	asked := jobs[:0:0]
	for _, j := range jobs {
		ti := e.watchAfter[j.t.RefID]
		switch {
		case !j.made && ctx.Err() != nil:
			continue // stopped before its turn: still due
		case j.err != nil:
			// No answer (gateway down, timeout): ask again a little later;
			// this point of the schedule is not done.
			ti.next = now.Add(e.iv.TrackMax)
		default:
			ti.tries++
			ti.next = now.Add(pollBackoff(ti.tries, e.iv.ReversalFirst, e.iv.ReversalMax))
			if last := j.t.UpdatedAt.Add(e.iv.ReversalWatch - time.Minute); ti.next.After(last) && last.After(now) {
				ti.next = last // one last look just before the watch ends
			}
		}
		e.watchAfter[j.t.RefID] = ti
		asked = append(asked, j)
	}
	e.mu.Unlock()
	if len(asked) == 0 {
		return false, nil // nothing moved: no reason to go round again at once
	}
	return full, e.saveWatch(ctx, asked, since)
}

// saveWatch stores the next points of the transfers just checked and
// forgets those that left the watch.
func (e *Engine) saveWatch(ctx context.Context, jobs []*sendJob, since time.Time) error {
	e.mu.Lock()
	// Pruning reads the whole watch table: once an hour is plenty.
	prune := e.now().Sub(e.watchPruned) >= time.Hour
	if prune {
		e.watchPruned = e.now()
	}
	points := make(map[string]WatchPoint, len(jobs))
	for _, j := range jobs {
		ti := e.watchAfter[j.t.RefID]
		points[j.t.RefID] = WatchPoint{Next: ti.next, Tries: ti.tries}
	}
	e.mu.Unlock()
	wctx, cancel := e.work(ctx)
	defer cancel()
	return e.store.Write(wctx, func(tx domain.Tx) error {
		ws, ok := tx.(WatchStore)
		if !ok {
			return errors.New("engine: the store cannot keep the reversal watch's schedule")
		}
		for ref, p := range points {
			if err := ws.SetWatchPoint(ref, p); err != nil {
				return err
			}
		}
		if !prune {
			return nil
		}
		return ws.PruneWatch(since)
	})
}

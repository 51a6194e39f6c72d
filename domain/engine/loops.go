package engine

import (
	"context"
	"errors"
	"time"
)

// Loop is one of the engine's background loops: Round is one pass of it,
// which Start runs every Every (and at once when the loop is woken).
type Loop struct {
	Name  string
	Every time.Duration
	Round func(ctx context.Context) error
}

// Loops returns the rounds of the engine's background loops with their
// periods, in the order Start starts them. Start runs each in a goroutine
// of its own on a ticker; the deterministic simulator (package sim) runs
// them one at a time, in an order drawn from its seed, on a virtual clock.
// The balance loop's first round comes one period after Open (Open has
// just asked for the balances).
func (e *Engine) Loops() []Loop {
	ls := []Loop{
		{"lister", e.listEvery0(), e.listRound},
		{"asker", e.askEvery(), e.askRound},
		{"sender", e.iv.Send, e.sendRounds},
		{"tracker", e.trackEvery(), func(ctx context.Context) error { return e.trackOpen(ctx, false) }},
	}
	if e.iv.ReversalWatch >= 0 {
		ls = append(ls, Loop{"watch", e.watchEvery(), e.watchRounds})
	}
	return append(ls, Loop{"balance", e.iv.Balance, e.BalanceNow}, Loop{"mail", e.iv.Mail, e.SendMailNow})
}

// listEvery0 is the lister loop's tick: a quarter of the faster of the
// first poll and the list interval.
func (e *Engine) listEvery0() time.Duration {
	return max(min(e.iv.PollFirst, e.iv.List)/4, 20*time.Millisecond)
}

// askEvery is the asker loop's tick.
func (e *Engine) askEvery() time.Duration { return max(e.iv.PollFirst/4, 20*time.Millisecond) }

// trackEvery is the tracker loop's tick.
func (e *Engine) trackEvery() time.Duration {
	return max(min(e.iv.TrackFirst/4, 250*time.Millisecond), 20*time.Millisecond)
}

// watchEvery is the reversal watch's tick: its schedule counts in hours
// (ReversalFirst), so a look a minute is plenty and keeps the read of a
// week's successes rare.
func (e *Engine) watchEvery() time.Duration {
	return max(min(e.iv.ReversalFirst/60, time.Minute), 20*time.Millisecond)
}

// sendRounds is the sender loop's pass: batches until one is not full.
// With Concurrency above 1 the next batch is claimed while the calls of the
// one before are out (two batches at most): the database commits one
// batch's intents while the gateway answers the other's calls, instead of
// each waiting for the other. With Concurrency 1 (the simulator's
// deterministic runs) the batches go one after another.
func (e *Engine) sendRounds(ctx context.Context) error {
	var out chan error // the batch before, finishing
	waitOut := func() error {
		if out == nil {
			return nil
		}
		err := <-out
		out = nil
		return err
	}
	for ctx.Err() == nil {
		b, err := e.claimSends(ctx)
		if err != nil || b == nil {
			return errors.Join(err, waitOut())
		}
		if e.cfg.Concurrency <= 1 {
			if err := e.finishSends(ctx, b); err != nil {
				return err
			}
		} else {
			done := make(chan error, 1)
			go func() { done <- e.finishSends(ctx, b) }()
			if err := waitOut(); err != nil {
				return errors.Join(err, <-done)
			}
			out = done
		}
		if b.picked < e.cfg.Batch {
			break
		}
	}
	return waitOut()
}

// watchRounds is the reversal watch loop's pass: rounds until one finds
// no more checks due than it asks.
func (e *Engine) watchRounds(ctx context.Context) error {
	for ctx.Err() == nil {
		full, err := e.watchRound(ctx)
		if !full || err != nil {
			return err
		}
	}
	return nil
}

package engine

import (
	"context"

	"lunas/domain"
)

// recordOpenings books each channel's opening balance from the balance just
// read (domain.RecordOpening), one channel at a time in names' order, until
// it is settled: recorded, already in the books, or too late because money
// already moved through the channel. The first balance round runs when the
// engine opens, before any loop, so a channel connected to a new shop gets
// its opening balance before its first payment or payout.
func (e *Engine) recordOpenings(ctx context.Context, names []string) {
	for _, name := range names {
		e.mu.Lock()
		if e.openings == nil {
			e.openings = map[string]bool{}
		}
		settled, b := e.openings[name], e.balances[name]
		e.mu.Unlock()
		if settled || !b.known {
			continue
		}
		var out domain.OpeningOutcome
		err := e.store.Write(ctx, func(tx domain.Tx) error {
			var err error
			out, err = domain.RecordOpening(tx, name, b.amount, e.now())
			return err
		})
		switch {
		case err != nil:
			e.warn("opening balance of "+name, err)
			continue
		case out == domain.OpeningZero:
			continue // nothing there yet: a later top-up before any use is the opening
		case out == domain.OpeningTooLate:
			e.log.Info("opening balance not recorded: money already moved through the channel in Lunas", "channel", name)
		case out == domain.OpeningRecorded:
			e.log.Info("opening balance recorded", "channel", name, "balance", b.amount)
		}
		e.mu.Lock()
		e.openings[name] = true
		e.mu.Unlock()
	}
}

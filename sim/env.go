package sim

import (
	"context"
	"time"

	"lunas/domain"
)

// asleep reports whether the computer is asleep: the process is in memory
// but runs nothing until it wakes.
func (w *world) asleep() bool { return w.clock.Now().Before(w.sleepUntil) }

// closeShop ends a working session: the owner quits the app (a clean stop
// between two steps, nothing in flight), or closes the laptop lid (the
// process sleeps and wakes with its memory), for a break, the night or a
// weekend. Then the shop opens again.
func (w *world) closeShop() {
	var off time.Duration
	switch x := w.rng.IntN(10); {
	case x < 3:
		off = between(w.rng, 5*time.Minute, 2*time.Hour) // a break
	case x < 8:
		off = between(w.rng, 9*time.Hour, 15*time.Hour) // the night
	default:
		off = between(w.rng, 30*time.Hour, 40*time.Hour) // the weekend
	}
	if w.up() && w.rng.IntN(3) == 0 {
		w.sleepUntil = w.clock.Now().Add(off)
		w.tracef("proc computer asleep for %s", off.Round(time.Minute))
		w.after(off, "wake", func() {
			w.upSince = w.clock.Now()
			w.tracef("proc computer awake")
			w.after(between(w.rng, 2*time.Minute, 15*time.Minute), "close", w.closeShop)
		})
		return
	}
	if w.up() {
		w.stopProcess()
		w.tracef("proc app closed for %s", off.Round(time.Minute))
	} else {
		w.tracef("proc shop closed for %s", off.Round(time.Minute))
	}
	w.restartAt = time.Time{}
	w.backAt = w.clock.Now().Add(off)
	w.after(off, "open", func() {
		if !w.up() {
			w.start()
		}
		w.after(between(w.rng, 2*time.Minute, 15*time.Minute), "close", w.closeShop)
	})
}

// scheduleRestart starts the process again after a crash: at once, after
// a while, or the next morning.
func (w *world) scheduleRestart() {
	var d time.Duration
	switch x := w.rng.IntN(10); {
	case x < 6:
		d = between(w.rng, 2*time.Second, 2*time.Minute)
	case x < 9:
		d = between(w.rng, 5*time.Minute, 2*time.Hour)
	default:
		d = between(w.rng, 8*time.Hour, 26*time.Hour)
	}
	at := w.clock.Now().Add(d)
	w.restartAt, w.backAt = at, at
	w.after(d, "restart", func() {
		if w.up() || !w.restartAt.Equal(at) {
			return // started meanwhile, or the shop closed
		}
		w.model.stats.Restarts++
		w.start()
	})
}

// gatewayTrouble takes the gateway down for a while (a restart that keeps
// its books and keys): every request is refused until it is back.
func (w *world) gatewayTrouble() {
	defer w.after(between(w.rng, 10*time.Minute, 3*time.Hour), "gateway", w.gatewayTrouble)
	if !w.faultsOn || w.prof.rate == 0 {
		return
	}
	d := between(w.rng, 5*time.Second, 3*time.Minute)
	w.gatewayDownUntil = w.clock.Now().Add(d)
	w.tracef("gw   gateway restarting for %s (books and keys kept)", d.Round(time.Second))
}

// bankReversal makes a bank send back a payout that succeeded, days or
// minutes later, as Xendit (REVERSED) and Iris (completed -> failed) report.
func (w *world) bankReversal() {
	defer w.after(between(w.rng, 10*time.Minute, 4*time.Hour), "bank", w.bankReversal)
	if !w.faultsOn || w.rng.Float64() > w.prof.reversal*5 {
		return
	}
	var cands []string
	var chans []string
	for _, p := range w.sb.Paid() {
		if p.Count > p.Reversed && (p.Channel == "xendit" || p.Channel == "iris") {
			cands, chans = append(cands, p.RefID), append(chans, p.Channel)
		}
	}
	if len(cands) == 0 {
		return
	}
	i := w.rng.IntN(len(cands))
	var err error
	if chans[i] == "xendit" {
		err = w.sb.ReverseXenditPayout(cands[i])
	} else {
		err = w.sb.ReverseIrisPayout(cands[i]) // by REFID, as the book names it
	}
	if err == nil {
		w.tracef("bank %s payout %s sent back by the bank", chans[i], cands[i])
	}
}

// drain ends a run: faults stop, the gateway is up, the app runs, and the
// engine's loops go round, with growing time jumps (the reversal watch
// looks days later), until nothing is left that can still settle. Nobody
// sits at the desk: what waits for a person stays waiting. Then the final
// checks.
func (w *world) drain() {
	w.faultsOn = false
	w.gatewayDownUntil = time.Time{}
	w.sleepUntil = time.Time{}
	w.tracef("sim  drain: faults off, the app stays open")
	if !w.up() {
		w.start()
	}
	start := w.clock.Now()
	gaps := []time.Duration{}
	for range 4 {
		gaps = append(gaps, 20*time.Second)
	}
	for d := time.Minute; d <= 64*time.Hour; d *= 4 {
		gaps = append(gaps, d)
	}
	for range 4 {
		gaps = append(gaps, 36*time.Hour) // past the reversal watch's week
	}
	for _, g := range gaps {
		if w.failure != nil {
			return
		}
		w.clock.Advance(g)
		w.upSince = w.clock.Now() // long jumps: the liveness bound restarts
		// The loops tick many times in a gap: go round until a round finds
		// nothing to do (a round asks at most a few batches).
		// The tracker asks at most four batches a round: as many rounds as
		// the open transfers need to be asked once.
		open := 0
		if w.chk.last != nil {
			for _, t := range w.chk.last.transfers {
				if t.Status.InFlight() {
					open++
				}
			}
		}
		rounds := 1 + open/(4*w.prof.batch)
		for i := 0; i < min(rounds, 20) && w.failure == nil; i++ {
			w.beginStep()
			if i == 0 {
				w.round("balance")
			}
			for _, name := range []string{"lister", "asker", "sender", "tracker", "watch"} {
				w.round(name)
			}
			w.endStep()
			w.clock.Advance(time.Second)
		}
		if !w.unsettled(start) {
			break
		}
	}
	w.check(true)
}

// unsettled reports whether anything can still change without a person:
// a payment pending (until its link has long expired), a transfer approved
// (and not paused) or sending, an accepted one while the gateway may still
// finish it, an unknown one until its key window and the stuck warning
// have passed, or a payout the bank sent back that Lunas has not learnt of.
func (w *world) unsettled(since time.Time) bool {
	busy := false
	waited := w.clock.Now().Sub(since)
	w.db.Read(context.Background(), func(tx domain.ReadTx) error {
		count := func(st domain.TransferStatus) int {
			n, err := tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{st}})
			if err != nil {
				return 1
			}
			return n
		}
		switch {
		case count(domain.TransferSending) > 0,
			!w.paused && count(domain.TransferApproved) > 0,
			waited < 4*w.prof.step+2*w.prof.intervals.TrackMax && count(domain.TransferAccepted) > 0,
			waited < 26*time.Hour && count(domain.TransferUnknown) > 0:
			busy = true
			return nil
		}
		ps, err := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentPending}, Page: domain.Page{Limit: 1}})
		if err != nil || len(ps) > 0 {
			busy = true
			return err
		}
		for _, p := range w.sb.Paid() {
			if p.Reversed == 0 {
				continue
			}
			ch := p.Channel
			if ch == "h2h" {
				ch = chH2H
			}
			t, err := tx.GetTransfer(p.RefID)
			if err == nil && t.Status == domain.TransferSucceeded && t.Channel == ch {
				busy = true // the reversal watch has not seen it yet
				return nil
			}
		}
		return nil
	})
	return busy
}

package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"lunas/domain/engine"
	"lunas/gateways/sandbox"
)

// profile is what a seed decides once for the whole run: how fast the
// gateways move, how often things go wrong, how the engine is tuned and
// how the loops are paced. Some runs are calm, some are storms.
type profile struct {
	name      string
	step      time.Duration // sandbox status progression
	rate      float64       // probability that a request meets a fault
	weights   [nFaults]float64
	total     float64
	crash     float64 // probability that a step has a crash armed
	batch     int
	intervals engine.Intervals
	limiters  bool // the engine paces Xendit as app does
	rateLimit sandbox.RateLimit
	// loop periods: how often the simulated process runs each loop (a slow
	// or busy machine runs them later than the engine asks).
	poll, send, track, watch, balance time.Duration
	orders                            int           // orders the shop takes
	orderEvery                        time.Duration // mean time between two orders
	payAfter                          time.Duration // mean time a buyer takes to pay
	actEvery                          time.Duration // mean time between a person's actions
	reversal                          float64       // probability per environment event that a bank reverses a payout
	interleave                        float64       // probability that other work runs inside a transaction or request boundary
}

func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

func drawProfile(r *rand.Rand) profile {
	var p profile
	kinds := []string{"calm", "flaky", "storm", "crashy", "slow-gateway"}
	p.name = kinds[r.IntN(len(kinds))]
	p.step = between(r, 2*time.Second, 90*time.Second)
	switch p.name {
	case "calm":
		p.rate, p.crash = 0.01, 0.002
	case "flaky":
		p.rate, p.crash = 0.12, 0.01
	case "storm":
		p.rate, p.crash = 0.35, 0.01
	case "crashy":
		p.rate, p.crash = 0.08, 0.06
	case "slow-gateway":
		p.rate, p.crash = 0.15, 0.01
		p.step = between(r, 5*time.Minute, 3*time.Hour)
	}
	for k := fault(1); k < nFaults; k++ {
		p.weights[k] = r.Float64()
		if r.IntN(4) == 0 {
			p.weights[k] = 0 // a run without this kind at all
		}
		p.total += p.weights[k]
	}
	if p.total == 0 {
		p.weights[faultHangAfter], p.total = 1, 1
	}
	p.batch = []int{1, 2, 4, 8, 64}[r.IntN(5)]
	p.intervals = engine.Intervals{
		PollFirst:     between(r, time.Second, 10*time.Second),
		PollMax:       2 * time.Minute,
		List:          between(r, time.Second, 5*time.Second),
		TrackFirst:    between(r, time.Second, 20*time.Second),
		TrackMax:      between(r, time.Minute, 10*time.Minute),
		Balance:       time.Minute,
		CallTimeout:   between(r, 15*time.Second, 45*time.Second),
		StuckAfter:    24 * time.Hour,
		ReversalFirst: between(r, 10*time.Minute, time.Hour),
		ReversalMax:   between(r, 2*time.Hour, 48*time.Hour),
		ReversalWatch: 7 * 24 * time.Hour,
	}
	p.limiters = r.IntN(3) == 0
	if r.IntN(4) == 0 {
		p.rateLimit = sandbox.RateLimit{Prefix: "xendit.", PerWindow: 60, Window: time.Minute}
	}
	// Mostly slower than the engine's own loops (which tick every few
	// hundred milliseconds and find nothing due most of the time): the
	// engine's schedules decide when work is due, and a late tick is a
	// busy machine. Some runs tick as fast as the engine would.
	fast := r.IntN(5) == 0
	if fast {
		p.poll = between(r, p.intervals.List, 5*time.Second)
		p.send = between(r, 500*time.Millisecond, 3*time.Second)
		p.track = between(r, time.Second, 5*time.Second)
	} else {
		p.poll = between(r, 5*time.Second, 60*time.Second)
		p.send = between(r, 5*time.Second, 60*time.Second)
		p.track = between(r, 5*time.Second, 60*time.Second)
	}
	p.watch = between(r, time.Minute, 10*time.Minute)
	p.balance = between(r, time.Minute, 10*time.Minute)
	p.orders = 8 + r.IntN(25)
	p.orderEvery = between(r, 3*time.Second, 30*time.Second)
	p.payAfter = between(r, 5*time.Second, 3*time.Minute)
	p.actEvery = between(r, 5*time.Second, time.Minute)
	p.reversal = 0.02 + r.Float64()*0.1
	p.interleave = []float64{0, 0.02, 0.05, 0.15}[r.IntN(4)]
	return p
}

func (p profile) String() string {
	var fs []string
	for k := fault(1); k < nFaults; k++ {
		if p.weights[k] > 0 {
			fs = append(fs, fmt.Sprintf("%s %.0f%%", k, 100*p.rate*p.weights[k]/p.total))
		}
	}
	return fmt.Sprintf("%s: faults %.0f%% of requests (%s); crash %.1f%% of steps; interleaving %.0f%%; gateway step %s; batch %d; limiters %v; xendit rate limit %d/min; loops poll %s send %s track %s; %d orders",
		p.name, 100*p.rate, strings.Join(fs, ", "), 100*p.crash, 100*p.interleave, p.step.Round(time.Second), p.batch, p.limiters, p.rateLimit.PerWindow,
		p.poll.Round(time.Second), p.send.Round(time.Second), p.track.Round(time.Second), p.orders)
}

package sim

import (
	"container/heap"
	"context"
	"fmt"
	"time"
)

// Options configures one simulated run.
type Options struct {
	Seed uint64
	// Events is how long the run is: its main part ends once the trace
	// holds this many events (default 200), then the final drain adds its
	// own. An event is one line of the trace: a gateway request and what
	// happened to it, a status move, a person's action, a crash...
	Events int
	// plant is a deliberate defect; only this package's tests set it
	// (vopr and every other caller run the real code).
	plant Bug
	// Dir holds the run's database (default /dev/shm when present).
	Dir string
}

// Violation is a broken invariant: what, when, and after how many events.
type Violation struct {
	Invariant string
	Detail    string
	At        time.Time
	Event     int
}

func (v *Violation) Error() string {
	return fmt.Sprintf("invariant %q broken at event %d (%s): %s", v.Invariant, v.Event, v.At.In(wib).Format("Mon 15:04:05 WIB"), v.Detail)
}

// Result is what a run did.
type Result struct {
	Seed      uint64
	Profile   string
	Steps     int
	Events    int    // trace lines
	Trace     []byte // the readable trace; the same seed gives the same bytes
	Violation *Violation
	Stats     Stats
}

// Stats count what a run exercised.
type Stats struct {
	Orders, Settled, Transfers, Succeeded, Reversed, Crashes, Restarts int
	Requests, Faults, Reads, Writes                                    int
	VirtualTime                                                        time.Duration
}

// Run simulates one seed: the shop, its buyers and owner, the gateways with
// their faults and the engine with its crashes, checking the invariants
// after every step and at the end. It returns an error only when the
// simulation itself cannot run (no database); a broken invariant is
// Result.Violation.
func Run(opt Options) (*Result, error) {
	if opt.Events <= 0 {
		opt.Events = 200
	}
	if opt.Dir == "" {
		opt.Dir = scratchDir()
	}
	w, err := newWorld(opt)
	if err != nil {
		return nil, err
	}
	defer w.close()
	w.initSchedule()
	w.start()
	w.check(false)
	steps := 0
	for w.events < opt.Events && steps < 50*opt.Events && w.failure == nil {
		ev := w.next()
		if ev == nil {
			break
		}
		w.clock.AdvanceTo(ev.at)
		if ev.epoch != 0 && ev.epoch != w.epoch {
			continue // a loop of a process that is gone
		}
		if ev.epoch != 0 && w.asleep() {
			w.at(w.sleepUntil.Add(w.jitter(time.Second)), ev.name, ev.epoch, ev.fn) // runs when the computer wakes
			continue
		}
		steps++
		w.beginStep()
		w.current = ev.name
		ev.fn()
		w.current = ""
		w.endStep()
	}
	if w.failure == nil {
		w.drain()
	}
	w.model.stats.VirtualTime = w.clock.Now().Sub(w.began)
	res := &Result{Seed: opt.Seed, Profile: w.prof.name, Steps: steps, Events: w.events, Trace: w.trace.Bytes(),
		Violation: w.failure, Stats: w.model.stats}
	return res, nil
}

// event is one scheduled thing; epoch, when set, ties it to one process.
type event struct {
	at    time.Time
	seq   int
	epoch int
	name  string
	fn    func()
}

type queue []*event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// scheduler state lives in the world.
type sched struct {
	q   queue
	seq int
	// wokeSend avoids piling up sender wake-ups.
	wokeSend bool
}

func (w *world) at(t time.Time, name string, epoch int, fn func()) {
	w.s.seq++
	heap.Push(&w.s.q, &event{at: t, seq: w.s.seq, epoch: epoch, name: name, fn: fn})
}

func (w *world) after(d time.Duration, name string, fn func()) {
	w.at(w.clock.Now().Add(d), name, 0, fn)
}

func (w *world) next() *event {
	if w.s.q.Len() == 0 {
		return nil
	}
	return heap.Pop(&w.s.q).(*event)
}

// beginStep arms a crash for this step with the profile's probability.
func (w *world) beginStep() {
	w.commits, w.requests = 0, 0
	w.crashPlan = crashPlan{}
	if w.up() && w.faultsOn && w.rng.Float64() < w.prof.crash {
		p := crashPlan{at: crashAtCommit, n: 1 + w.rng.IntN(3), after: w.rng.IntN(2) == 0}
		if w.rng.IntN(2) == 0 {
			p.at = crashAtRequest
		}
		w.crashPlan = p
	}
}

// endStep reads what happened, handles a crash and checks the invariants.
func (w *world) endStep() {
	w.drainBus()
	w.crashPlan = crashPlan{}
	if w.crashed {
		w.model.stats.Crashes++
		w.stopProcess()
		w.crashed = false
		w.scheduleRestart()
	}
	w.check(false)
}

// loop schedules one engine loop of the current process every period
// (with a little jitter, as a busy machine runs it late).
func (w *world) loop(name string, period time.Duration, fn func(ctx context.Context) error) {
	epoch := w.epoch
	var tick func()
	tick = func() {
		if !w.up() {
			return
		}
		if err := fn(context.Background()); err != nil && !w.crashed {
			w.tracef("eng  %s: %v", name, clip(err.Error(), 120))
		}
		if w.up() && w.epoch == epoch {
			w.at(w.clock.Now().Add(period+w.jitter(period/4)), name, epoch, tick)
		}
	}
	w.at(w.clock.Now().Add(w.jitter(period)), name, epoch, tick)
}

func (w *world) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(w.rng.Int64N(int64(d) + 1))
}

// scheduleLoops starts the loops of a process that just started: the
// engine's own loop rounds (engine.Loops), each at the slower of its own
// period and the profile's pace for it.
func (w *world) scheduleLoops() {
	w.rounds = map[string]func(context.Context) error{}
	for _, l := range w.eng.Loops() {
		w.rounds[l.Name] = l.Round
		w.loop(l.Name, w.period(l.Name, l.Every), l.Round)
	}
}

func (w *world) period(name string, every time.Duration) time.Duration {
	switch name {
	case "lister":
		return max(every, w.prof.poll)
	case "asker": // most of its rounds find nothing due: the list settles most payments
		return max(every, 2*w.prof.poll)
	case "sender":
		return max(every, w.prof.send)
	case "tracker":
		return max(every, w.prof.track)
	case "watch":
		return max(every, w.prof.watch)
	case "balance":
		return max(every, w.prof.balance)
	}
	return max(every, time.Minute)
}

// interleave runs, with the profile's probability, another piece of work
// in the middle of the current one, at a point where production code could
// be interrupted by another goroutine: a transaction about to start, a
// request on its way out or its answer on its way back. It is another engine
// loop's round or an action of the owner, as the engine's goroutines and the
// desktop run them side by side; it never nests, never runs inside a
// transaction, and never runs the loop that is running.
//
// held says the code making the request holds a lock of its adapter across
// it (DOKU's access-token request holds the token lock): another goroutine
// needing that adapter would wait for the answer, which work run inside
// the request cannot do, so nothing runs there (seed 381 deadlocked: a
// balance round asked DOKU for a token inside DOKU's own token request).
// The seed's draws are made all the same, so that other points keep theirs.
func (w *world) interleave(point string, held bool) {
	if w.depth > 0 || w.txDepth > 0 || !w.faultsOn || !w.up() || w.asleep() || w.rounds == nil ||
		w.frng.Float64() >= w.prof.interleave {
		return
	}
	names := []string{"lister", "asker", "sender", "tracker", "watch", "balance", "desk"}
	name := names[w.frng.IntN(len(names))]
	if held || name == w.current || (name == "sender" && w.current == "send (woken)") {
		return
	}
	w.depth++
	defer func() { w.depth-- }()
	outer := w.current
	if outer == "" {
		outer = "the drain"
	}
	w.tracef("conc %s runs during %s, %s", name, outer, point)
	if name == "desk" {
		w.act()
		return
	}
	w.round(name)
}

// round runs one loop round by name (the drain, a wake-up).
func (w *world) round(name string) {
	if f := w.rounds[name]; f != nil && w.up() {
		if err := f(context.Background()); err != nil && !w.crashed {
			w.tracef("eng  %s: %v", name, clip(err.Error(), 120))
		}
	}
}

// wakeSender runs the sender soon, as the engine's wake channel does.
func (w *world) wakeSender() {
	if !w.up() || w.s.wokeSend {
		return
	}
	w.s.wokeSend = true
	epoch := w.epoch
	w.at(w.clock.Now().Add(w.jitter(time.Second)), "send (woken)", epoch, func() {
		w.s.wokeSend = false
		w.round("sender")
	})
}

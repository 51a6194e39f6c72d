package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"lunas/sim"
)

// Worker processes. One simulation is a single-threaded thing: a virtual
// clock, one seeded random source, an in-memory SQLite store. Two of them
// in one Go process share a heap, a garbage collector and the C allocator
// of the pure-Go SQLite, and measured on 2 cores they ran barely faster
// than one (docs/BENCHMARKS.md, "Simulation"). So a soak runs its seeds in
// worker processes, each with GOMAXPROCS 1: the same binary started again
// with childEnv set, reading seeds on stdin (one per line) and writing one
// JSON outcome per line on stdout. Which process runs a seed changes
// nothing in it: a seed's schedule depends on the seed alone.

// childEnv, when set, makes this binary a worker; its value is -events.
const childEnv = "LUNAS_VOPR_WORKER"

// outcome is what one seed's simulation came to.
type outcome struct {
	Seed      uint64        `json:"seed"`
	Profile   string        `json:"profile,omitempty"`
	Events    int           `json:"events"`
	Crashes   int           `json:"crashes"`
	Faults    int           `json:"faults"`
	Violation string        `json:"violation,omitempty"`
	Err       string        `json:"err,omitempty"` // the simulation itself could not run
	CPU       time.Duration `json:"cpu"`           // the worker's CPU time so far, for the rate
}

// simulate runs seeds in this process.
func simulate(events int) func(uint64) outcome {
	return func(seed uint64) outcome {
		o := outcome{Seed: seed}
		r, err := sim.Run(sim.Options{Seed: seed, Events: events})
		if err != nil {
			o.Err = err.Error()
			return o
		}
		o.Profile, o.Events, o.Crashes, o.Faults = r.Profile, r.Events, r.Stats.Crashes, r.Stats.Faults
		if r.Violation != nil {
			o.Violation = r.Violation.Error()
		}
		return o
	}
}

// childMain is a worker process's life: seeds in, outcomes out, until its
// stdin closes. It ignores SIGINT and SIGTERM (a Ctrl-C reaches the whole
// process group): the parent decides when to stop, and the seed in flight
// finishes.
func childMain(fn func(uint64) outcome) int {
	runtime.GOMAXPROCS(1)
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	if err := serveSeeds(os.Stdin, os.Stdout, fn); err != nil {
		fmt.Fprintln(os.Stderr, "vopr worker:", err)
		return 2
	}
	return 0
}

// childEvents reads -events from the environment of a worker; ok is false
// in the parent.
func childEvents() (events int, ok bool) {
	v, ok := os.LookupEnv(childEnv)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, true
	}
	return n, true
}

// serveSeeds answers each seed line on in with one JSON outcome line on out.
func serveSeeds(in io.Reader, out io.Writer, fn func(uint64) outcome) error {
	sc := bufio.NewScanner(in)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		seed, err := strconv.ParseUint(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			return fmt.Errorf("not a seed: %q", sc.Text())
		}
		o := fn(seed)
		o.CPU = cpuTime()
		if err := enc.Encode(o); err != nil {
			return err
		}
	}
	return sc.Err()
}

// errWorkerGone: a worker process ended or answered nonsense; the seed it
// was given did not run (the error carries the end of its stderr).
var errWorkerGone = errors.New("the worker process ended")

// worker is the parent's handle on one worker process.
type worker struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
	cpu    time.Duration // the CPU time it last reported
}

// startWorker starts this binary again as a worker.
func startWorker(events int) (*worker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(events))
	w := &worker{cmd: cmd, stderr: &tailBuffer{max: 4 << 10}}
	cmd.Stderr = w.stderr
	if w.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	w.out = bufio.NewReader(out)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return w, nil
}

// run has the worker simulate one seed. cpu is the CPU time the worker
// spent since its previous answer.
func (w *worker) run(seed uint64) (o outcome, cpu time.Duration, err error) {
	if _, err := fmt.Fprintf(w.in, "%d\n", seed); err != nil {
		return o, 0, w.gone(err)
	}
	line, err := w.out.ReadBytes('\n')
	if err != nil {
		return o, 0, w.gone(err)
	}
	if err := json.Unmarshal(line, &o); err != nil || o.Seed != seed {
		return outcome{}, 0, w.gone(fmt.Errorf("answered %q to seed %d", strings.TrimSpace(string(line)), seed))
	}
	cpu, w.cpu = o.CPU-w.cpu, o.CPU
	return o, cpu, nil
}

func (w *worker) gone(cause error) error {
	w.in.Close()
	werr := w.cmd.Wait()
	msg := strings.TrimSpace(w.stderr.String())
	if msg == "" {
		msg = "(nothing on its stderr)"
	}
	return fmt.Errorf("%w (%v; %v): %s", errWorkerGone, cause, werr, msg)
}

// stop ends the worker: with its stdin closed it finishes and exits.
func (w *worker) stop() {
	w.in.Close()
	w.cmd.Wait()
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

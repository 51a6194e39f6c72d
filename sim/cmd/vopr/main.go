// Command vopr runs the deterministic simulator (package sim) over many
// seeds, or replays one seed with its readable trace.
//
//	go run ./sim/cmd/vopr -seeds 100000          # a soak from seed 1, with progress
//	go run ./sim/cmd/vopr -seeds 5000 -from 9000 # seeds 9000..13999
//	go run ./sim/cmd/vopr -seed 4242             # replay one seed, trace on stdout
//
// A failing seed is printed as soon as it is found, with the command that
// replays it; the exit status is 1 when any seed failed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lunas/sim"
)

func main() {
	debug.SetGCPercent(400) // runs are short and small: less collecting, more simulating
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vopr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seeds := fs.Int("seeds", 0, "number of seeds to run")
	from := fs.Uint64("from", 1, "first seed")
	one := fs.Uint64("seed", 0, "replay this one seed and print its trace")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "seeds simulated at once")
	events := fs.Int("events", 0, "events before the final drain (default: the simulator's)")
	every := fs.Duration("progress", 10*time.Second, "how often to report progress")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *one != 0 {
		r, err := sim.Run(sim.Options{Seed: *one, Events: *events})
		if err != nil {
			fmt.Fprintln(stderr, "vopr:", err)
			return 2
		}
		stdout.Write(r.Trace)
		fmt.Fprintf(stdout, "\nseed %d (%s): %d steps, %d events, %s simulated; %+v\n", r.Seed, r.Profile, r.Steps, r.Events,
			r.Stats.VirtualTime.Round(time.Second), r.Stats)
		if r.Violation != nil {
			fmt.Fprintf(stdout, "FAIL: %v\n", r.Violation)
			return 1
		}
		fmt.Fprintln(stdout, "ok: every invariant held")
		return 0
	}
	if *seeds <= 0 {
		fmt.Fprintln(stderr, "vopr: give -seeds N for a soak or -seed S to replay one")
		return 2
	}
	fmt.Fprintf(stdout, "vopr: seeds %d..%d, %d workers, GOMAXPROCS %d, load %s\n", *from, *from+uint64(*seeds)-1, *workers, runtime.GOMAXPROCS(0), loadavg())
	var (
		next             atomic.Uint64
		done, evs, fails atomic.Int64
		mu               sync.Mutex
		failed           []uint64
		wg               sync.WaitGroup
		minEvents        atomic.Int64
		errs             atomic.Int64
		crashes, faults  atomic.Int64
		start            = time.Now()
		last             = uint64(*from) + uint64(*seeds)
	)
	minEvents.Store(1 << 62)
	next.Store(*from)
	for range max(1, *workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				s := next.Add(1) - 1
				if s >= last {
					return
				}
				r, err := sim.Run(sim.Options{Seed: s, Events: *events})
				if err != nil {
					errs.Add(1)
					fmt.Fprintf(stderr, "vopr: seed %d could not run: %v\n", s, err)
					continue
				}
				done.Add(1)
				evs.Add(int64(r.Events))
				crashes.Add(int64(r.Stats.Crashes))
				faults.Add(int64(r.Stats.Faults))
				for {
					m := minEvents.Load()
					if int64(r.Events) >= m || minEvents.CompareAndSwap(m, int64(r.Events)) {
						break
					}
				}
				if r.Violation != nil {
					fails.Add(1)
					mu.Lock()
					failed = append(failed, s)
					mu.Unlock()
					fmt.Fprintf(stdout, "FAIL seed %d (%s): %v\n     replay: go run ./sim/cmd/vopr -seed %d\n", s, r.Profile, r.Violation, s)
				}
			}
		}()
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(*every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				d := done.Load()
				el := time.Since(start)
				fmt.Fprintf(stdout, "vopr: %d/%d seeds, %.1f/s, %d failed, load %s\n", d, *seeds, float64(d)/el.Seconds(), fails.Load(), loadavg())
			}
		}
	}()
	wg.Wait()
	close(stop)
	el := time.Since(start)
	d := done.Load()
	fmt.Fprintf(stdout, "vopr: %d seeds in %s: %.1f schedules/s, %.0f events per schedule (min %d), %d crashes and %d faults injected; %d failed; load %s\n",
		d, el.Round(time.Second), float64(d)/el.Seconds(), float64(evs.Load())/float64(max(d, 1)), minEvents.Load(),
		crashes.Load(), faults.Load(), fails.Load(), loadavg())
	if len(failed) > 0 {
		fmt.Fprintf(stdout, "failing seeds: %v\n", failed)
		return 1
	}
	if errs.Load() > 0 {
		return 2
	}
	return 0
}

// loadavg is the machine's load (1, 5, 15 minutes), for the record.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

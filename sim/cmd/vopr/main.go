// Command vopr runs the deterministic simulator (package sim) over many
// seeds, or replays one seed with its readable trace.
//
//	go run ./sim/cmd/vopr -seeds 100000          # a soak from seed 1, with progress
//	go run ./sim/cmd/vopr -seeds 5000 -from 9000 # seeds 9000..13999
//	go run ./sim/cmd/vopr -seed 4242             # replay one seed, trace on stdout
//
// A failing seed is printed as soon as it is found, with the command that
// replays it; the exit status is 1 when any seed failed, 2 when a seed
// could not run or the soak was interrupted (SIGINT, SIGTERM: the seeds in
// flight finish and the summary names the range that ran in full). The
// rate is given per wall-clock second and per CPU-second of the process
// (user and system) of vopr and its worker processes, which a shared
// machine's load does not change.
//
// A soak runs its seeds in worker processes, one per CPU by default
// (-procs; procs.go says why); -procs 0 runs them in this process on
// -workers goroutines.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"lunas/sim"
)

func main() {
	debug.SetGCPercent(400) // runs are short and small: less collecting, more simulating
	if events, ok := childEvents(); ok {
		os.Exit(childMain(simulate(events)))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vopr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seeds := fs.Int("seeds", 0, "number of seeds to run")
	from := fs.Uint64("from", 1, "first seed")
	one := fs.Uint64("seed", 0, "replay this one seed and print its trace")
	procs := fs.Int("procs", runtime.NumCPU(), "worker processes (0: simulate in this process)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "with -procs 0: seeds simulated at once in this process")
	events := fs.Int("events", 0, "events before the final drain (default: the simulator's)")
	every := fs.Duration("progress", 10*time.Second, "how often to report progress")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (implies -procs 0)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuprofile != "" {
		*procs = 0 // a profile sees this process only
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "vopr:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "vopr:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
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
	first, last := *from, *from+uint64(*seeds) // seeds first..last-1
	lanes := *procs
	if lanes > 0 {
		fmt.Fprintf(stdout, "vopr: seeds %d..%d, %d worker processes (GOMAXPROCS 1 each), load %s\n", first, last-1, lanes, loadavg())
	} else {
		lanes = max(1, *workers)
		fmt.Fprintf(stdout, "vopr: seeds %d..%d, in this process: %d workers, GOMAXPROCS %d, load %s\n", first, last-1, lanes, runtime.GOMAXPROCS(0), loadavg())
	}
	var (
		next             atomic.Uint64
		done, evs, fails atomic.Int64
		mu               sync.Mutex
		failed           []uint64
		finished         = map[uint64]bool{} // done above the prefix
		prefix           = first             // every seed below prefix is done
		wg               sync.WaitGroup
		minEvents        atomic.Int64
		errs             atomic.Int64
		crashes, faults  atomic.Int64
		stopping         atomic.Bool
		start            = time.Now()
		cpu0             = cpuTime()
		childCPU         atomic.Int64 // nanoseconds the worker processes reported
	)
	minEvents.Store(1 << 62)
	next.Store(first)
	inProcess := simulate(*events)
	for range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w *worker
			defer func() {
				if w != nil {
					w.stop()
				}
			}()
			for !stopping.Load() {
				if *procs > 0 && w == nil {
					var err error
					if w, err = startWorker(*events); err != nil {
						errs.Add(1)
						fmt.Fprintf(stderr, "vopr: cannot start a worker process: %v\n", err)
						return
					}
				}
				s := next.Add(1) - 1
				if s >= last {
					return
				}
				var r outcome
				if w != nil {
					o, cpu, err := w.run(s)
					if err != nil {
						w = nil // gone: the next seed gets a new one
						o.Err = err.Error()
					}
					r = o
					childCPU.Add(int64(cpu))
				} else {
					r = inProcess(s)
				}
				if r.Err != "" {
					errs.Add(1)
					fmt.Fprintf(stderr, "vopr: seed %d could not run: %s\n", s, r.Err)
					continue
				}
				done.Add(1)
				evs.Add(int64(r.Events))
				crashes.Add(int64(r.Crashes))
				faults.Add(int64(r.Faults))
				for {
					m := minEvents.Load()
					if int64(r.Events) >= m || minEvents.CompareAndSwap(m, int64(r.Events)) {
						break
					}
				}
				mu.Lock()
				finished[s] = true
				for finished[prefix] {
					delete(finished, prefix)
					prefix++
				}
				if r.Violation != "" {
					fails.Add(1)
					failed = append(failed, s)
					fmt.Fprintf(stdout, "FAIL seed %d (%s): %v\n     replay: go run ./sim/cmd/vopr -seed %d\n", s, r.Profile, r.Violation, s)
				}
				mu.Unlock()
			}
		}()
	}
	// SIGINT or SIGTERM ends a soak early and cleanly: the seeds being
	// simulated finish, then the summary says which range ran in full.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	stop := make(chan struct{})
	cpuUsed := func() time.Duration { return cpuTime() - cpu0 + time.Duration(childCPU.Load()) }
	rate := func() string {
		el := time.Since(start)
		d := done.Load()
		cpu := cpuUsed()
		s := fmt.Sprintf("%.1f schedules/s", float64(d)/el.Seconds())
		if cpu > 0 {
			s += fmt.Sprintf(" (%.1f per CPU-second)", float64(d)/cpu.Seconds())
		}
		return s
	}
	through := func() string {
		mu.Lock()
		defer mu.Unlock()
		if prefix == first {
			return "none in full yet"
		}
		return fmt.Sprintf("%d..%d all done", first, prefix-1)
	}
	go func() {
		t := time.NewTicker(*every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case sig := <-sigs:
				fmt.Fprintf(stdout, "vopr: %v: finishing the seeds in flight\n", sig)
				stopping.Store(true)
			case <-t.C:
				fmt.Fprintf(stdout, "vopr: %d/%d seeds (%s), %s, %d failed, load %s\n", done.Load(), *seeds, through(), rate(), fails.Load(), loadavg())
			}
		}
	}()
	wg.Wait()
	close(stop)
	el := time.Since(start)
	d := done.Load()
	fmt.Fprintf(stdout, "vopr: %d seeds (%s) in %s, CPU %s: %s, %.0f events per schedule (min %d), %d events, %d crashes and %d faults injected; %d failed; load %s\n",
		d, through(), el.Round(time.Second), cpuUsed().Round(time.Second), rate(), float64(evs.Load())/float64(max(d, 1)), minEvents.Load(),
		evs.Load(), crashes.Load(), faults.Load(), fails.Load(), loadavg())
	if len(failed) > 0 {
		fmt.Fprintf(stdout, "failing seeds: %v\n", failed)
		return 1
	}
	if errs.Load() > 0 || stopping.Load() {
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

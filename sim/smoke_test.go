package sim

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	start := time.Now()
	r, err := Run(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/sim-trace-1.txt", r.Trace, 0o644)
	t.Logf("profile %s steps %d events %d took %v violation %v stats %+v", r.Profile, r.Steps, r.Events, time.Since(start), r.Violation, r.Stats)
}

func BenchmarkRun(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r, err := Run(Options{Seed: uint64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.Events), "events/run")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPU(t *testing.T) {
	Run(Options{Seed: 999})
	c0 := cpuTime()
	ev, rd, wr, rq := 0, 0, 0, 0
	n := 40
	for i := 0; i < n; i++ {
		r, err := Run(Options{Seed: uint64(i + 1)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Violation != nil {
			t.Logf("seed %d: %v", i+1, r.Violation)
		}
		ev += r.Events
		rd += r.Stats.Reads
		wr += r.Stats.Writes
		rq += r.Stats.Requests
	}
	c := cpuTime() - c0
	t.Logf("%d runs: %v CPU per run; per run %d events, %d reads, %d writes, %d requests", n, c/time.Duration(n), ev/n, rd/n, wr/n, rq/n)
}

func TestReplayEnv(t *testing.T) {
	s := os.Getenv("SIM_SEED")
	if s == "" {
		t.Skip()
	}
	var seed uint64
	fmt.Sscan(s, &seed)
	r, err := Run(Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/sim-trace.txt", r.Trace, 0o644)
	t.Logf("%v", r.Violation)
}

func TestFixedCost(t *testing.T) {
	Run(Options{Seed: 999, Events: 1})
	c0 := cpuTime()
	for i := 0; i < 20; i++ {
		w, _ := newWorld(Options{Seed: uint64(i + 1), Dir: scratchDir()})
		w.initSchedule()
		w.start()
		w.close()
	}
	t.Logf("setup: %v CPU per run", (cpuTime()-c0)/20)
}

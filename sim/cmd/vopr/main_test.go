package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// dieAtEnv makes a worker started by a test exit at this seed, as a worker
// killed by the machine (out of memory, say) would.
const dieAtEnv = "LUNAS_VOPR_TEST_DIE_AT"

// TestMain lets the test binary serve as vopr's worker process: startWorker
// starts os.Executable, which under go test is this binary.
func TestMain(m *testing.M) {
	if events, ok := childEvents(); ok {
		fn := simulate(events)
		if at, err := strconv.ParseUint(os.Getenv(dieAtEnv), 10, 64); err == nil {
			inner := fn
			fn = func(seed uint64) outcome {
				if seed == at {
					fmt.Fprintf(os.Stderr, "test worker: dying at seed %d\n", seed)
					os.Exit(3)
				}
				return inner(seed)
			}
		}
		os.Exit(childMain(fn))
	}
	os.Exit(m.Run())
}

var totalsRe = regexp.MustCompile(`vopr: (\d+) seeds \(([^)]*)\).* (\d+) events, (\d+) crashes and (\d+) faults injected; (\d+) failed`)

// totals is the summary line's counts: seeds, the range done in full,
// events, crashes, faults, failed.
func totals(t *testing.T, out string) []string {
	t.Helper()
	m := totalsRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in:\n%s", out)
	}
	return m[1:]
}

func TestWorkerProcessesRunTheSameSchedules(t *testing.T) {
	var got [][]string
	for _, tc := range []struct {
		procs  string
		header string
	}{
		{"0", "in this process: 2 workers"},
		{"2", "2 worker processes"},
	} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"-seeds", "6", "-from", "40", "-procs", tc.procs, "-workers", "2"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("-procs %s: exit %d\nstdout:\n%s\nstderr:\n%s", tc.procs, code, stdout.String(), stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.header) {
			t.Errorf("-procs %s: header does not say %q:\n%s", tc.procs, tc.header, stdout.String())
		}
		tot := totals(t, stdout.String())
		if tot[0] != "6" || tot[1] != "40..45 all done" || tot[2] == "0" || tot[4] == "0" {
			t.Errorf("-procs %s: summary %q, want 6 seeds 40..45 done with events and faults", tc.procs, tot)
		}
		got = append(got, tot)
	}
	if strings.Join(got[0], " ") != strings.Join(got[1], " ") {
		t.Errorf("in this process %q, in worker processes %q: the same seeds must give the same schedules", got[0], got[1])
	}
}

func TestWorkerThatDiesIsReported(t *testing.T) {
	t.Setenv(dieAtEnv, "42")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-seeds", "4", "-from", "40", "-procs", "2"}, &stdout, &stderr)
	if code != 2 {
		t.Errorf("exit %d, want 2 (a seed could not run)", code)
	}
	for _, want := range []string{"seed 42 could not run", "the worker process ended", "dying at seed 42"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	// The dead worker is replaced: the other three seeds run, and the
	// range done in full stops before the seed that did not.
	if tot := totals(t, stdout.String()); tot[0] != "3" || tot[1] != "40..41 all done" {
		t.Errorf("summary %q, want 3 seeds, 40..41 done in full", tot)
	}
}

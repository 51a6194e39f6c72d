package sim

import (
	"bytes"
	"testing"
)

func TestFindBug(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		r, err := Run(Options{Seed: seed, plant: BugTimeoutIsFailure})
		if err != nil {
			t.Fatal(err)
		}
		if r.Violation != nil {
			t.Logf("seed %d: %v", seed, r.Violation)
			r2, _ := Run(Options{Seed: seed, plant: BugTimeoutIsFailure})
			t.Logf("replay same: %v", bytes.Equal(r.Trace, r2.Trace))
			return
		}
	}
	t.Fatal("not found")
}

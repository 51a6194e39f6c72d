package engine

import (
	"testing"
	"time"

	"lunas/domain"
)

// Loops gives the simulator the same rounds and periods Start runs.
func TestLoopsMatchStart(t *testing.T) {
	e, err := New(Config{Store: nopStore{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		every time.Duration
	}{{"lister", 250 * time.Millisecond}, {"asker", 250 * time.Millisecond}, {"sender", 500 * time.Millisecond},
		{"tracker", 250 * time.Millisecond}, {"watch", time.Minute}, {"balance", time.Minute}, {"mail", 5 * time.Second}}
	ls := e.Loops()
	if len(ls) != len(want) {
		t.Fatalf("%d loops, want %d", len(ls), len(want))
	}
	for i, w := range want {
		if ls[i].Name != w.name || ls[i].Every != w.every || ls[i].Round == nil {
			t.Errorf("loop %d = %s every %s, want %s every %s", i, ls[i].Name, ls[i].Every, w.name, w.every)
		}
	}
	e2, _ := New(Config{Store: nopStore{}, Intervals: Intervals{ReversalWatch: -1}})
	for _, l := range e2.Loops() {
		if l.Name == "watch" {
			t.Error("a watch loop with the reversal watch off")
		}
	}
}

// nopStore is a store that is never used (Loops only reads the config).
type nopStore struct{ domain.Store }

package engine

import (
	"testing"
	"time"
)

// Lists run at the List interval while the newest pending payment is young,
// then slow down with its age, never past PollMax.
func TestListEvery(t *testing.T) {
	iv := Intervals{List: 2500 * time.Millisecond}
	iv.defaults() // ListFast 15m, PollMax 2m
	e := &Engine{iv: iv}
	cases := []struct {
		age, want time.Duration
	}{
		{0, 2500 * time.Millisecond},
		{14 * time.Minute, 2500 * time.Millisecond},
		{15 * time.Minute, 2500 * time.Millisecond},
		{30 * time.Minute, 5 * time.Second},
		{time.Hour, 10 * time.Second},
		{12 * time.Hour, 2 * time.Minute},
		{7 * 24 * time.Hour, 2 * time.Minute},
	}
	for _, c := range cases {
		if got := e.listEvery(c.age); got != c.want {
			t.Errorf("newest pending %s old: list every %s, want %s", c.age, got, c.want)
		}
	}
}

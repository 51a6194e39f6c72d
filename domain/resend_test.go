package domain_test

import (
	"testing"
	"time"

	"lunas/domain"
)

func TestResendAllowed(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	utcMidnight := domain.KeyWindow{MidnightIn: time.UTC, Margin: 15 * time.Minute}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 22, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		name        string
		w           domain.KeyWindow
		first, now  time.Time
		want        bool
		end         time.Time
		neverEnding bool
	}{
		{"midnight UTC: same evening", utcMidnight, at(3, 0), at(23, 44), true, at(23, 45), false},
		{"midnight UTC: inside the margin", utcMidnight, at(3, 0), at(23, 45), false, at(23, 45), false},
		{"midnight UTC: past midnight, well under 24 h", utcMidnight, at(3, 0), at(3, 0).Add(21*time.Hour + time.Minute), false, at(23, 45), false},
		{"midnight UTC: first sent inside the margin", utcMidnight, at(23, 50), at(23, 50).Add(time.Second), false, at(23, 45), false},
		{"midnight UTC: just after midnight has a whole day", utcMidnight, at(0, 1), at(23, 0), true, at(23, 45), false},
		{"midnight WIB is 17:00 UTC", domain.KeyWindow{MidnightIn: wib}, at(3, 0), at(16, 59), true, at(17, 0), false},
		{"midnight WIB: after", domain.KeyWindow{MidnightIn: wib}, at(3, 0), at(17, 0), false, at(17, 0), false},
		{"fixed duration", domain.KeyWindow{For: time.Hour}, at(3, 0), at(3, 59), true, at(4, 0), false},
		{"fixed duration and midnight: the earlier", domain.KeyWindow{For: 30 * time.Hour, MidnightIn: time.UTC}, at(3, 0), at(23, 59), true, at(0, 0).Add(24 * time.Hour), false},
		{"forever", domain.KeyWindow{Forever: true}, at(3, 0), at(3, 0).Add(1000 * time.Hour), true, time.Time{}, true},
		{"zero window: no resend", domain.KeyWindow{}, at(3, 0), at(3, 0), false, at(3, 0), false},
		{"never sent: no resend", domain.KeyWindow{Forever: true}, time.Time{}, at(3, 0), false, time.Time{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := domain.ResendAllowed(c.w, c.first, c.now); got != c.want {
				t.Errorf("ResendAllowed = %v, want %v", got, c.want)
			}
			end, ends := c.w.End(c.first)
			if ends == c.neverEnding || (ends && !end.Equal(c.end)) {
				t.Errorf("End = %v, %v; want %v, %v", end, ends, c.end, !c.neverEnding)
			}
		})
	}
}

// TestKeyWindowOfUndeclared: a channel that does not declare a window gets
// none, so nothing is ever resent through it.
func TestKeyWindowOfUndeclared(t *testing.T) {
	var ch domain.PayoutChannel = undeclared{}
	if w := domain.KeyWindowOf(ch); domain.ResendAllowed(w, time.Unix(1, 0), time.Unix(1, 0)) {
		t.Fatalf("undeclared channel allows a resend: %+v", w)
	}
}

type undeclared struct{ domain.PayoutChannel }

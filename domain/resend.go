package domain

import "time"

// KeyWindow is how long a payout channel's gateway remembers a REFID sent as
// its idempotency key (or, for an H2H supplier, as its refID), counted from
// the first send. Inside the window a same-REFID resend is answered with the
// earlier payout; past it the gateway may have forgotten the key and a
// resend could pay a second time. Each channel's window, its source and what
// is assumed are written down in docs/GATEWAYS.md.
//
// The zero KeyWindow allows no resend at all: a channel that does not say how
// long its gateway remembers a key is treated as if it forgot at once.
type KeyWindow struct {
	// Forever: the gateway never forgets a REFID it has seen.
	Forever bool
	// For, when positive, ends the window this long after the first send.
	For time.Duration
	// MidnightIn, when set, ends the window at the first 00:00 in this zone
	// after the first send (Iris purges keys at midnight UTC). With For as
	// well, the earlier end counts.
	MidnightIn *time.Location
	// Margin stops resends this long before the end, for the difference
	// between this computer's clock and the gateway's and for a call still
	// on its way when the window closes.
	Margin time.Duration
}

// End returns the last moment at which a resend of a REFID first sent at
// firstSent may be made (the window's end minus Margin), and false when the
// window never ends. A zero window ends at firstSent: nothing may be resent.
func (w KeyWindow) End(firstSent time.Time) (time.Time, bool) {
	if w.Forever {
		return time.Time{}, false
	}
	end := firstSent
	set := false
	if w.For > 0 {
		end, set = firstSent.Add(w.For), true
	}
	if w.MidnightIn != nil {
		t := firstSent.In(w.MidnightIn)
		mid := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, w.MidnightIn)
		if !set || mid.Before(end) {
			end, set = mid, true
		}
	}
	if !set {
		return firstSent, true
	}
	return end.Add(-w.Margin), true
}

// ResendAllowed is the one rule for a same-REFID resend: it may be made at
// now only when the REFID was sent before (firstSent is set) and now is
// strictly before the end of the channel's key window. Everything that
// resends (the engine's tracker, a person's Retry) asks this with its own
// injected clock; nothing else decides it.
func ResendAllowed(w KeyWindow, firstSent, now time.Time) bool {
	if firstSent.IsZero() {
		return false
	}
	end, ends := w.End(firstSent)
	return !ends || now.Before(end)
}

// ResendWindow is implemented by every payout channel that can say how long
// its gateway remembers a REFID. A channel without it gets the zero window:
// no same-REFID resend, ever (see KeyWindowOf).
type ResendWindow interface {
	KeyWindow() KeyWindow
}

// KeyWindowOf returns ch's key window, or the zero window (no resend) when
// ch does not declare one.
func KeyWindowOf(ch PayoutChannel) KeyWindow {
	if w, ok := ch.(ResendWindow); ok {
		return w.KeyWindow()
	}
	return KeyWindow{}
}

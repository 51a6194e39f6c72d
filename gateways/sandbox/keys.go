package sandbox

import "time"

// KeyPurge says when the sandbox forgets an idempotency key (Xendit's
// Idempotency-key of POST /v2/payouts, Iris's X-Idempotency-Key). Forgetting
// a key does not forget the payout: it is still found by reference_id or
// reference_no; only a create under the same key then makes a NEW payout,
// which is the danger Lunas's resend windows guard against.
//
// Iris documents "We will removing Idempotency-Key which is older than 24
// hours, every midnight (UTC)" (docs.midtrans.com/reference/https-header);
// Xendit documents no retention. The sandbox can produce each reading.
type KeyPurge string

// Key purge readings.
const (
	// PurgeAtMidnight (the default) forgets every key at the first 00:00
	// UTC after it was first used: the shortest reading of Iris's sentence,
	// and what Lunas assumes for Xendit too (docs/GATEWAYS.md).
	PurgeAtMidnight KeyPurge = "midnight"
	// PurgeOlderThanADay forgets a key at the first 00:00 UTC at which it
	// is older than 24 hours: the literal reading of Iris's sentence.
	PurgeOlderThanADay KeyPurge = "24h-midnight"
	// PurgeNever keeps every key (xendit-go's "No expiration").
	PurgeNever KeyPurge = "never"
)

// Valid reports whether p is a known reading ("" is the default).
func (p KeyPurge) Valid() bool {
	switch p {
	case "", PurgeAtMidnight, PurgeOlderThanADay, PurgeNever:
		return true
	}
	return false
}

// keyForgotten reports whether a key first used at created is forgotten at
// now under the server's KeyPurge. Call with s.mu held.
func (s *Server) keyForgotten(created, now time.Time) bool {
	return s.cfg.KeyPurge.forgotten(created, now)
}

func (p KeyPurge) forgotten(created, now time.Time) bool {
	c := created.UTC()
	mid := time.Date(c.Year(), c.Month(), c.Day()+1, 0, 0, 0, 0, time.UTC)
	switch p {
	case PurgeNever:
		return false
	case PurgeOlderThanADay:
		for mid.Sub(created) <= 24*time.Hour {
			mid = mid.Add(24 * time.Hour)
		}
	}
	return !now.Before(mid)
}

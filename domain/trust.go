package domain

import "time"

// TrustRule is an owner's per-payee rule that lets a transfer go without
// waiting for approval: "auto-send to this payee up to MaxAmount after
// MinPayouts successful payouts to the same account". It lifts only the
// shop's approval limits (per transfer and per payee per day), never a risk
// hold, an unverified account or a send-again; any change of the payee's
// bank or account number and any risk flag on the payee switch it off
// (Active false, OffReason says why), and only the owner switches it on
// again. The engine applies it (see the engine package's money rules).
type TrustRule struct {
	ID         int64
	PayeeID    int64
	MaxAmount  Rupiah // a transfer above this still waits
	MinPayouts int    // succeeded payouts to the payee's current account before it applies
	Active     bool
	OffReason  TrustOff // why it is off ("" while active)
	OffAt      time.Time
	SetBy      string // who set it
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TrustOff says why a trust rule was switched off.
type TrustOff string

// Reasons a trust rule is off.
const (
	TrustOffAccountChanged TrustOff = "account_changed" // the payee's bank or account number changed
	TrustOffRiskFlag       TrustOff = "risk_flag"       // a risk rule flagged a transfer to the payee
	TrustOffByOwner        TrustOff = "owner"           // the owner switched it off
)

// TrustScanLimit bounds how many of a payee's newest succeeded transfers a
// store looks at when counting payouts to one account: a rule asks for a
// handful, and an account that received none of the last TrustScanLimit is
// not "the same account" the owner came to trust.
const TrustScanLimit = 500

// MaxTrustPayouts is the most successful payouts a rule may ask for.
const MaxTrustPayouts = 100

// Validate checks a rule before it is stored.
func (r TrustRule) Validate() error {
	switch {
	case r.PayeeID <= 0:
		return Invalid("trust rule", "pilih penerima / choose a payee")
	case r.MaxAmount <= 0:
		return Invalid("trust rule", "batas harus lebih dari Rp0 / the limit must be more than Rp0")
	case r.MaxAmount > DefaultMaxAmount:
		return Invalid("trust rule", "batas paling banyak %s / the limit can be at most %s", DefaultMaxAmount, DefaultMaxAmount)
	case r.MinPayouts < 1 || r.MinPayouts > MaxTrustPayouts:
		return Invalid("trust rule", "jumlah pembayaran berhasil 1..%d / successful payouts must be 1..%d", MaxTrustPayouts, MaxTrustPayouts)
	}
	return nil
}

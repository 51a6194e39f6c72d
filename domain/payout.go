package domain

import "fmt"

// ShareRole says who a portion of a settled payment belongs to.
type ShareRole string

// Share roles.
const (
	RoleSeller     ShareRole = "seller"     // paid out to a payee
	RoleSupplier   ShareRole = "supplier"   // paid out to a payee
	RoleCommission ShareRole = "commission" // kept by the shop; receives the rounding remainder
	RoleGatewayFee ShareRole = "fee"        // kept back for the gateway fee
)

// PaidOut reports whether portions with this role become obligations.
func (r ShareRole) PaidOut() bool { return r == RoleSeller || r == RoleSupplier }

// Share is one line of a payout rule: a fixed amount, a percentage in basis
// points (1% = 100), or both (fixed first, then the percentage of the amount).
type Share struct {
	Role    ShareRole
	PayeeID int64 // for seller and supplier roles
	BPS     int64 // basis points of the settled amount, 0..10000
	Fixed   Rupiah
}

// PayoutRule splits a settled amount into portions. The shop's commission
// receives whatever the other shares leave, so no rupiah is created or lost.
type PayoutRule struct {
	ID     int64
	Name   string
	Shares []Share
}

// Portion is one share of a settled amount.
type Portion struct {
	Role    ShareRole
	PayeeID int64
	Amount  Rupiah
}

// Validate checks that the rule can be applied to some amount.
func (r *PayoutRule) Validate() error {
	var bps int64
	for i, s := range r.Shares {
		if s.BPS < 0 || s.BPS > 10000 || s.Fixed < 0 {
			return Invalid("shares", "share %d: percentage must be 0-100%% and amounts not negative", i+1)
		}
		if s.Role.PaidOut() && s.PayeeID == 0 {
			return Invalid("shares", "share %d: a payee is required", i+1)
		}
		switch s.Role {
		case RoleSeller, RoleSupplier, RoleCommission, RoleGatewayFee:
		default:
			return Invalid("shares", "share %d: unknown role %q", i+1, s.Role)
		}
		bps += s.BPS
	}
	if bps > 10000 {
		return Invalid("shares", "percentages add up to more than 100%%")
	}
	return nil
}

// Split divides amount by the rule. Fixed amounts are taken first; each
// percentage is floor(amount*bps/10000); whatever remains (rounding and the
// unassigned percentage) goes to the commission portion. Portions of zero are
// dropped. The portions always sum to amount exactly. It is deterministic: the
// same rule and amount always give the same portions in rule order, commission last.
func (r *PayoutRule) Split(amount Rupiah) ([]Portion, error) {
	if amount < 0 {
		return nil, Invalid("amount", "cannot split a negative amount")
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	remaining := amount
	var out []Portion
	var commission Rupiah
	for _, s := range r.Shares {
		part := s.Fixed
		if s.BPS > 0 {
			p, err := mulBPS(amount, s.BPS)
			if err != nil {
				return nil, err
			}
			if part, err = part.Add(p); err != nil {
				return nil, err
			}
		}
		if part > remaining {
			return nil, Invalid("amount", "rule %q needs %s but only %s is left", r.Name, part, remaining)
		}
		remaining -= part
		if s.Role == RoleCommission {
			commission += part
			continue
		}
		if part > 0 {
			out = append(out, Portion{Role: s.Role, PayeeID: s.PayeeID, Amount: part})
		}
	}
	commission += remaining
	if commission > 0 {
		out = append(out, Portion{Role: RoleCommission, Amount: commission})
	}
	return out, nil
}

// mulBPS returns floor(a*bps/10000) without overflowing for any int64 a.
func mulBPS(a Rupiah, bps int64) (Rupiah, error) {
	if bps < 0 || bps > 10000 {
		return 0, fmt.Errorf("bps %d: %w", bps, ErrInvalid)
	}
	q, r := int64(a)/10000, int64(a)%10000
	return Rupiah(q*bps + r*bps/10000), nil
}

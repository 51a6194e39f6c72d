package domain

import (
	"errors"
	"strconv"
	"strings"
)

// DefaultMaxAmount is the largest order total and the largest single payout
// Lunas accepts unless the owner sets another maximum: far above what a small
// shop handles, far below where sums of amounts could overflow.
const DefaultMaxAmount Rupiah = 1_000_000_000

// Settings keys of the maxima (whole rupiah; absent, 0 or unreadable means
// DefaultMaxAmount: the maximum cannot be switched off).
const (
	SettingMaxOrder  = "limits.max_order"
	SettingMaxPayout = "limits.max_payout"
)

// MaxAmount reads the maximum under key (SettingMaxOrder or
// SettingMaxPayout) from tx.
func MaxAmount(tx ReadTx, key string) (Rupiah, error) {
	v, err := tx.GetSetting(key)
	if errors.Is(err, ErrNotFound) {
		return DefaultMaxAmount, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return DefaultMaxAmount, nil
	}
	return Rupiah(n), nil
}

// CheckMaxOrder refuses an order whose total is above max, saying both
// amounts.
func (o *Order) CheckMaxOrder(max Rupiah) error {
	t, err := o.Total()
	if err != nil {
		return Invalid("total", "total pesanan terlalu besar untuk dihitung / the order total is too large to compute")
	}
	if t > max {
		return Invalid("total", "total pesanan %s melebihi batas per pesanan %s / the order total %s is above the maximum per order %s",
			t.String(), max.String(), t.String(), max.String())
	}
	return nil
}

package midtrans

import (
	"fmt"
	"strconv"
	"strings"

	"lunas/domain"
	"lunas/gateways"
)

// ErrAmount reports a Midtrans amount that is not a whole number of rupiah.
// It wraps gateways.ErrUnparseable: the answer is unknown.
var ErrAmount = fmt.Errorf("midtrans: amount is not whole rupiah: %w", gateways.ErrUnparseable)

// ParseAmount reads Midtrans's decimal amount strings ("10000.00", "10000",
// "10000.0") as whole rupiah. A non-zero fraction, a sign, separators or
// garbage are errors wrapping ErrAmount: the caller must treat the answer as
// unknown rather than guess.
func ParseAmount(s string) (domain.Rupiah, error) {
	s = strings.TrimSpace(s)
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") || len(intPart) > 18 {
		return 0, fmt.Errorf("%w: %q", ErrAmount, s)
	}
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q", ErrAmount, s)
		}
	}
	for _, c := range frac {
		if c != '0' {
			return 0, fmt.Errorf("%w: %q", ErrAmount, s)
		}
	}
	v, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrAmount, s)
	}
	return domain.Rupiah(v), nil
}

// FormatAmount writes rupiah the way Iris expects amounts: "100000.00".
func FormatAmount(r domain.Rupiah) string {
	return strconv.FormatInt(int64(r), 10) + ".00"
}

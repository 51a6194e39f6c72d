package domain

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Rupiah is an amount of money in whole Indonesian rupiah. It is never a
// float: parse and format only at the edges (UI, spreadsheets, gateways).
type Rupiah int64

// ErrRupiahSyntax reports text that is not a rupiah amount.
var ErrRupiahSyntax = errors.New("not a rupiah amount")

// ErrRupiahFraction reports an amount with a non-zero fraction of a rupiah.
var ErrRupiahFraction = errors.New("fractions of a rupiah are not allowed")

// ParseRupiah reads the amounts shop owners type and spreadsheets hold:
// "Rp1.250.000", "1.250.000", "1250000", "Rp 1.250.000,-" (how prices are
// written), "Rp 1.250.000,00", "-Rp5.000", "IDR 1,250,000" and "1250000.00".
// Dots and commas are read as Indonesian thousands and decimal separators,
// except that a single separator followed by one or two digits is a decimal
// mark and comma-grouped thousands are accepted. A non-zero fraction,
// garbage and overflow are errors (ErrRupiahFraction, ErrRupiahSyntax,
// ErrOverflow); all of them also match ErrInvalid.
func ParseRupiah(s string) (Rupiah, error) {
	orig := s
	s = strings.TrimSpace(s)
	// "Rp 1.750.000,-" and "Rp 1.750.000,--": the dash says "no cents".
	if t := strings.TrimRight(s, "-"); len(t) < len(s) && (strings.HasSuffix(t, ",") || strings.HasSuffix(t, ".")) {
		s = strings.TrimSpace(t[:len(t)-1])
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, strings.TrimSpace(s[1:])
	}
	for _, p := range []string{"Rp.", "Rp", "RP", "rp", "IDR", "idr"} {
		if strings.HasPrefix(s, p) {
			s = strings.TrimSpace(s[len(p):])
			break
		}
	}
	if !neg && strings.HasPrefix(s, "-") {
		neg, s = true, strings.TrimSpace(s[1:])
	}
	s = strings.ReplaceAll(s, " ", "")
	s = strings.ReplaceAll(s, "\u00a0", "")
	if s == "" {
		return 0, rupiahErr(orig, ErrRupiahSyntax)
	}
	intPart, frac, err := splitRupiah(s)
	if err != nil {
		return 0, rupiahErr(orig, err)
	}
	// Garbage before the decimal mark ("1.2.3") is a syntax error, not a fraction.
	if intPart == "" {
		return 0, rupiahErr(orig, ErrRupiahSyntax)
	}
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return 0, rupiahErr(orig, ErrRupiahSyntax)
		}
	}
	for _, c := range frac {
		if c != '0' {
			return 0, rupiahErr(orig, ErrRupiahFraction)
		}
	}
	v, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, rupiahErr(orig, ErrOverflow)
	}
	if neg {
		v = -v
	}
	return Rupiah(v), nil
}

// splitRupiah separates the integer digits from a decimal fraction, removing
// thousands separators. It accepts "1.250.000,00" and "1,250,000.00".
func splitRupiah(s string) (intPart, frac string, err error) {
	lastDot, lastComma := strings.LastIndex(s, "."), strings.LastIndex(s, ",")
	dec := -1 // index of the decimal mark, if any
	switch {
	case lastDot >= 0 && lastComma >= 0:
		dec = max(lastDot, lastComma)
	case lastComma >= 0:
		// "1.250" style uses dots for thousands, so a lone comma is decimal,
		// unless it groups thousands ("1,250,000").
		if !isGrouped(s, ',') {
			dec = lastComma
		}
	case lastDot >= 0:
		if !isGrouped(s, '.') {
			dec = lastDot
		}
	}
	if dec >= 0 {
		intPart, frac = s[:dec], s[dec+1:]
		if frac == "" || strings.ContainsAny(frac, ".,") {
			return "", "", ErrRupiahSyntax
		}
		for _, c := range frac {
			if c < '0' || c > '9' {
				return "", "", ErrRupiahSyntax
			}
		}
	} else {
		intPart = s
	}
	sep := byte('.')
	if dec >= 0 && s[dec] == '.' {
		sep = ','
	} else if dec < 0 && strings.Contains(intPart, ",") {
		sep = ','
	}
	if strings.ContainsRune(intPart, rune(sep)) {
		if !isGrouped(intPart, sep) {
			return "", "", ErrRupiahSyntax
		}
		intPart = strings.ReplaceAll(intPart, string(sep), "")
	}
	return intPart, frac, nil
}

// isGrouped reports whether s uses sep as a well-formed thousands separator:
// 1 to 3 leading digits, then groups of exactly three.
func isGrouped(s string, sep byte) bool {
	parts := strings.Split(s, string(sep))
	if len(parts) < 2 || len(parts[0]) < 1 || len(parts[0]) > 3 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}

// RupiahError explains why text could not be read as rupiah. It matches its
// cause (ErrRupiahSyntax, ErrRupiahFraction, ErrOverflow) and ErrInvalid.
type RupiahError struct {
	Input string
	Err   error
}

// Error implements error.
func (e *RupiahError) Error() string { return e.Reason() + ": " + strconv.Quote(e.Input) }

// Reason is what is wrong, in Indonesian, without the input (for a message
// that names the cell itself).
func (e *RupiahError) Reason() string {
	switch {
	case errors.Is(e.Err, ErrRupiahFraction):
		return "jumlah tidak boleh berisi sen (pecahan rupiah)"
	case errors.Is(e.Err, ErrOverflow):
		return "jumlah terlalu besar"
	default:
		return "bukan jumlah rupiah yang sah (contoh: Rp1.250.000)"
	}
}

// Unwrap returns the cause.
func (e *RupiahError) Unwrap() error { return e.Err }

// Is makes every RupiahError match ErrInvalid.
func (e *RupiahError) Is(target error) bool { return target == ErrInvalid }

func rupiahErr(in string, err error) error { return &RupiahError{Input: in, Err: err} }

// Languages money is written in (ISO 639-1 codes, as the desktop and the
// reports use them).
const (
	LangIndonesian = "id"
	LangEnglish    = "en"
)

// String formats r the Indonesian way: "Rp1.250.000", "-Rp5.000".
func (r Rupiah) String() string { return r.Format(LangIndonesian) }

// Format writes r the one way Lunas writes money in a language: whole
// rupiah, "Rp" without a space, thousands grouped by the language's
// separator: "Rp1.059.000" in Indonesian, "Rp1,059,000" in English (any
// other code is Indonesian). Never a decimal part.
func (r Rupiah) Format(lang string) string {
	sep := byte('.')
	if lang == LangEnglish {
		sep = ','
	}
	neg := r < 0
	var digits string
	if r == math.MinInt64 {
		digits = "9223372036854775808"
	} else {
		v := int64(r)
		if neg {
			v = -v
		}
		digits = strconv.FormatInt(v, 10)
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString("Rp")
	b.WriteString(GroupThousands(digits, sep))
	return b.String()
}

// GroupThousands inserts sep every three digits from the right of a digit string.
func GroupThousands(digits string, sep byte) string {
	n := len(digits)
	if n <= 3 {
		return digits
	}
	var b strings.Builder
	first := n % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(digits[:first])
	for i := first; i < n; i += 3 {
		b.WriteByte(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Add returns r+o, or ErrOverflow.
func (r Rupiah) Add(o Rupiah) (Rupiah, error) {
	s := r + o
	if (o > 0 && s < r) || (o < 0 && s > r) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Sub returns r-o, or ErrOverflow.
func (r Rupiah) Sub(o Rupiah) (Rupiah, error) {
	if o == math.MinInt64 {
		// -o does not exist, but r-o does for any negative r.
		if r < 0 {
			return r - o, nil
		}
		return 0, ErrOverflow
	}
	return r.Add(-o)
}

// Mul returns r*n, or ErrOverflow.
func (r Rupiah) Mul(n int64) (Rupiah, error) {
	if r == 0 || n == 0 {
		return 0, nil
	}
	p := int64(r) * n
	if p/n != int64(r) || (int64(r) == -1 && n == math.MinInt64) || (n == -1 && int64(r) == math.MinInt64) {
		return 0, ErrOverflow
	}
	return Rupiah(p), nil
}

// Sum adds amounts with overflow checking.
func Sum(amounts ...Rupiah) (Rupiah, error) {
	var t Rupiah
	var err error
	for _, a := range amounts {
		if t, err = t.Add(a); err != nil {
			return 0, err
		}
	}
	return t, nil
}

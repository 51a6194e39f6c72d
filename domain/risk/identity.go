package risk

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"

	"lunas/domain"
)

// Names of people (users and payees) are what other people read before
// they approve money, so two names that look the same must be the same
// name. CleanName is applied wherever a name is stored; Skeleton is how
// two names are compared for looking alike.

// ErrNameCharacters reports a name with a character that cannot be seen or
// that changes how the text around it is shown. It matches domain.ErrInvalid.
var ErrNameCharacters = &domain.ValidationError{Field: "name", Message: "nama berisi karakter tak terlihat, karakter kendali " +
	"atau pembalik arah teks / the name contains an invisible, control or text-direction character"}

// CleanName returns name in Unicode NFKC with spaces trimmed and runs of
// spaces made one (full-width letters become plain ones, a ligature its
// letters). It refuses control characters (NUL, newline, ...), format
// characters (zero-width space and joiners, bidi embeddings, overrides and
// isolates, the BOM), private-use and unassigned code points, and anything
// else the PRECIS Nickname profile (RFC 8266) disallows.
func CleanName(name string) (string, error) {
	for _, r := range name {
		if r == ' ' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) ||
			unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || r == unicode.ReplacementChar {
			return "", ErrNameCharacters
		}
	}
	n := norm.NFKC.String(name)
	n = strings.Join(strings.Fields(n), " ")
	if n == "" {
		return "", nil
	}
	out, err := precis.Nickname.String(n)
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNameCharacters, err)
	}
	return out, nil
}

// Skeleton is the form two names are compared in to tell whether they look
// alike: case folded, then the Unicode TR39 confusable skeleton (Cyrillic
// "а" and Latin "a" share one), with spaces removed.
func Skeleton(name string) string {
	n, err := CleanName(name)
	if err != nil { // a stored name from before: drop what cannot be seen
		n = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				return -1
			}
			return r
		}, norm.NFKC.String(name))
	}
	s := confusables.Skeleton(cases.Fold().String(n))
	return strings.Join(strings.Fields(cases.Fold().String(s)), "")
}

// LooksLike reports whether a and b look alike (same skeleton).
func LooksLike(a, b string) bool { return Skeleton(a) == Skeleton(b) }

// IsNameError reports whether err is a refused name.
func IsNameError(err error) bool { return errors.Is(err, ErrNameCharacters) }

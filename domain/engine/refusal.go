package engine

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
)

// Refusal is a manual action refused with a reason a shop owner understands,
// in Indonesian (ID) and English (EN). It matches its sentinel (domain.ErrUnsafe,
// domain.ErrInvalidTransition, domain.ErrPermission...) with errors.Is.
type Refusal struct {
	Err   error  // the sentinel it matches
	RefID string // transfer concerned, if any
	ID    string // Indonesian reason
	EN    string // English reason
}

// Error implements error with both languages, Indonesian first.
func (r *Refusal) Error() string {
	s := r.ID + " / " + r.EN
	if r.RefID != "" {
		s = r.RefID + ": " + s
	}
	return s
}

// Unwrap exposes the sentinel for errors.Is.
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(sentinel error, refID, id, en string) error {
	return &Refusal{Err: sentinel, RefID: refID, ID: id, EN: en}
}

// refidAlphabet is base32 without the easily confused 0/1 (RFC 4648 uses A-Z2-7).
var refidEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRefID returns a fresh REFID "LNS-<yymmdd>-<10 base32 chars>": readable on
// a phone call, sortable by day, and 50 random bits so that nobody guesses the
// next one. Uniqueness is finally enforced by the store's UNIQUE constraint.
func NewRefID(now time.Time) string {
	var b [7]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("engine: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return "LNS-" + now.UTC().Format("060102") + "-" + strings.ToUpper(refidEncoding.EncodeToString(b[:]))[:10]
}

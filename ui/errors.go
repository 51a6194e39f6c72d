package ui

import (
	"context"
	"errors"
	"strings"

	"lunas/domain"
)

// errNotAvailable reports a feature whose service this build does not have.
var errNotAvailable = errors.New("not available in this build")

// userMessage turns an error into a short message a shop owner can act on.
// It never shows the error's own text, except a validation message, which is
// written for people.
func userMessage(err error) string {
	var ve *domain.ValidationError
	var fe *fieldError
	var re *domain.RupiahError
	switch {
	case errors.As(err, &fe):
		return fe.Error()
	case errors.As(err, &re):
		_, perr := parseAmount(tr("field.amount"), re.Input)
		if errors.As(perr, &fe) {
			return fe.Error()
		}
		return tr("err.invalidinput")
	case errors.As(err, &ve):
		return validationMessage(ve)
	case errors.As(err, new(*KeyRefusedError)):
		var kr *KeyRefusedError
		errors.As(err, &kr)
		return trf("err.keyrefused.by", map[string]any{"Gateway": kr.Gateway})
	case errors.Is(err, ErrKeyRefused):
		return tr("err.keyrefused")
	case errors.Is(err, ErrUnreachable):
		return tr("err.unreachable")
	case errors.Is(err, ErrTestMode):
		return tr("err.testmode")
	case errors.Is(err, ErrBadLogin):
		return tr("err.badlogin")
	case errors.Is(err, ErrLockedOut):
		return tr("err.lockedout")
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, domain.ErrOverflow):
		return tr("err.invalidinput")
	case errors.Is(err, domain.ErrPermission):
		return tr("err.permission")
	case errors.Is(err, domain.ErrLocked):
		return tr("err.locked")
	case errors.Is(err, domain.ErrDamaged):
		return tr("db.damaged.title")
	case errors.Is(err, ErrOpenObligations):
		return tr("err.openobligations")
	case errors.Is(err, domain.ErrUnsafe):
		return tr("err.unsafe")
	case errors.Is(err, domain.ErrConflict), errors.Is(err, domain.ErrInvalidTransition):
		return tr("err.conflict")
	case errors.Is(err, domain.ErrNotFound):
		return tr("err.notfound")
	case errors.Is(err, domain.ErrDuplicate), errors.Is(err, domain.ErrDuplicateRefID):
		return tr("err.duplicate")
	case errors.Is(err, context.DeadlineExceeded):
		return tr("err.timeout")
	case errors.Is(err, context.Canceled):
		return tr("err.cancelled")
	case errors.Is(err, errNotAvailable):
		return tr("err.notavailable")
	case errors.Is(err, errBadCode):
		return tr("err.badcode")
	}
	return tr("err.generic")
}

// validationMessage words a domain validation error in the desktop's
// language: the field's label when the desktop knows it, and the message in
// one language. A message the domain wrote in English only is not shown in
// Indonesian; the field is named instead.
func validationMessage(ve *domain.ValidationError) string {
	field := ve.Field
	if key := "field." + ve.Field; ve.Field != "" && tr(key) != key {
		field = tr(key)
	}
	msg := oneLanguage(ve.Message)
	if currentLanguage() == LangIndonesian && !strings.Contains(ve.Message, " / ") && indonesianScore(ve.Message) < 0 {
		if field == "" {
			return tr("err.invalidinput")
		}
		return trf("err.invalidfield", map[string]any{"Field": field})
	}
	if field == "" {
		return trf("err.invalid", map[string]any{"Detail": msg})
	}
	return trf("err.invalid", map[string]any{"Detail": field + ": " + msg})
}

// errBadCode reports a TOTP code that did not check out. Services may wrap
// it, or return an error with BadCode() bool (see isBadCode).
var errBadCode = errors.New("wrong authenticator code")

// ErrBadCode is what an Authenticator or TransferActor may wrap so the desktop
// says "the code is not right" instead of a general failure.
var ErrBadCode = errBadCode

// ErrBadLogin is what an Authenticator wraps for a wrong name, password or
// code (the desktop never says which one).
var ErrBadLogin = errors.New("wrong name, password or code")

// ErrLockedOut is what an Authenticator wraps while a user may not sign in.
var ErrLockedOut = errors.New("locked out")

// ErrNotAvailable is what a service wraps for a feature this build or this
// shop (e.g. the demo) does not have; the desktop says so calmly.
var ErrNotAvailable = errNotAvailable

// ErrOpenObligations is what a PersonalData service wraps when a payee is
// still owed money or has a transfer under way, so nothing may be erased yet.
var ErrOpenObligations = errors.New("payee has open obligations")

// Connection test answers (GatewayTester).
var (
	// ErrKeyRefused: the gateway answered and refused the key (401/403).
	ErrKeyRefused = errors.New("the gateway refused the key")
	// ErrUnreachable: no answer (no connection, timeout, server error).
	ErrUnreachable = errors.New("the gateway could not be reached")
	// ErrTestMode: connected, but the key is a test (sandbox) key.
	ErrTestMode = errors.New("connected with a test-mode key")
)

// KeyRefusedError is a key refusal that names the gateway which refused it
// ("key refused by DOKU"). It matches ErrKeyRefused.
type KeyRefusedError struct {
	Gateway string
	Err     error
}

// Error implements error.
func (e *KeyRefusedError) Error() string { return "key refused by " + e.Gateway + ": " + e.Err.Error() }

// Unwrap lets errors.Is find ErrKeyRefused and the gateway's own error.
func (e *KeyRefusedError) Unwrap() []error { return []error{ErrKeyRefused, e.Err} }

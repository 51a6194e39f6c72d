package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors shared by every layer. Callers test them with errors.Is;
// adapters wrap them (fmt.Errorf("...: %w", ErrX)) to add detail for logs.
var (
	// ErrNotFound reports that the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicateRefID reports an attempt to store a REFID that already exists.
	ErrDuplicateRefID = errors.New("duplicate refid")
	// ErrDuplicate reports a unique key other than REFID that already exists.
	ErrDuplicate = errors.New("duplicate")
	// ErrInvalidTransition reports a status move the state machine forbids.
	ErrInvalidTransition = errors.New("invalid status transition")
	// ErrConflict reports a lost compare-and-set race: the record changed underneath.
	ErrConflict = errors.New("conflict: record changed concurrently")
	// ErrUnbalanced reports a ledger posting whose lines do not sum to zero.
	ErrUnbalanced = errors.New("ledger posting does not balance")
	// ErrInvalid reports input that fails validation; see ValidationError for detail.
	ErrInvalid = errors.New("invalid input")
	// ErrOverflow reports rupiah arithmetic that would overflow int64.
	ErrOverflow = errors.New("amount overflow")
	// ErrPermission reports an action the current user's role does not allow.
	ErrPermission = errors.New("permission denied")
	// ErrLocked reports that the vault or session is locked.
	ErrLocked = errors.New("locked")
	// ErrUnsafe reports a manual action refused because it would break a REFID rule.
	ErrUnsafe = errors.New("action refused: unsafe for this transfer")
	// ErrDamaged reports a database file that failed its integrity check.
	ErrDamaged = errors.New("database file is damaged")
	// ErrStoreUnavailable reports a database server that cannot be reached
	// or went away; nothing of an uncommitted transaction was kept, and the
	// same work may be tried again once the server is back.
	ErrStoreUnavailable = errors.New("database server unavailable")
)

// IsStoreUnavailable reports whether err says the database server cannot
// be reached (ErrStoreUnavailable).
func IsStoreUnavailable(err error) bool { return err != nil && errors.Is(err, ErrStoreUnavailable) }

// ValidationError describes one invalid field in words a shop owner can act on.
// It matches ErrInvalid with errors.Is.
type ValidationError struct {
	Field   string // field or column name
	Message string // what is wrong, for people
}

// Error implements error.
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Message)
}

// Is makes errors.Is(err, ErrInvalid) true for every ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns a ValidationError for field with a formatted message.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

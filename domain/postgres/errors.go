package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"lunas/domain"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// URLError is a --db / LUNAS_DB value that is not a usable PostgreSQL URL.
type URLError struct {
	URL string // redacted
	Err error
}

// Error implements error.
func (e *URLError) Error() string {
	return fmt.Sprintf("alamat PostgreSQL tidak dapat dibaca (%s); contoh: postgres://lunas:SANDI@server:5432/toko / "+
		"the PostgreSQL URL cannot be read (%s); for example postgres://lunas:PASSWORD@server:5432/shop", e.URL, e.URL)
}

// Unwrap returns the parser's error (it may quote the URL: logs only).
func (e *URLError) Unwrap() error { return e.Err }

// Is makes URLError match domain.ErrInvalid.
func (e *URLError) Is(target error) bool { return target == domain.ErrInvalid }

// LoginError is a server that answered but refused: wrong user or password,
// or no such database. Trying again will not help; the URL must change.
type LoginError struct {
	Where   string
	Missing bool // the database does not exist
	Err     error
}

// Error implements error.
func (e *LoginError) Error() string {
	if e.Missing {
		return fmt.Sprintf("database PostgreSQL %s belum ada: buat dulu (createdb) atau periksa namanya di alamat / "+
			"the PostgreSQL database %s does not exist: create it first (createdb) or check its name in the URL", e.Where, e.Where)
	}
	return fmt.Sprintf("server PostgreSQL %s menolak pengguna atau kata sandi di alamat --db / "+
		"the PostgreSQL server %s refused the user or password in the --db URL", e.Where, e.Where)
}

// Unwrap returns the server's error.
func (e *LoginError) Unwrap() error { return e.Err }

// Is makes LoginError match domain.ErrPermission.
func (e *LoginError) Is(target error) bool { return target == domain.ErrPermission }

// UnavailableError is a server that cannot be reached or went away. It
// matches domain.ErrStoreUnavailable. When Op is "commit", the server went
// away while committing: the transaction may or may not have been recorded,
// which the engine's recovery resolves (a transfer in sending is checked at
// the gateway by its REFID, never sent again blindly).
type UnavailableError struct {
	Where string
	Op    string
	Err   error
}

// Error implements error.
func (e *UnavailableError) Error() string {
	if e.Op == "commit" {
		return fmt.Sprintf("server PostgreSQL %s tidak menjawab saat menyimpan; perubahan ini mungkin tersimpan, mungkin tidak: Lunas memeriksanya saat server kembali / "+
			"the PostgreSQL server %s did not answer while saving; this change may or may not have been saved: Lunas checks when the server is back: %v",
			e.Where, e.Where, e.Err)
	}
	return fmt.Sprintf("server PostgreSQL %s tidak dapat dihubungi (%s); tidak ada yang setengah tersimpan, Lunas mencoba lagi saat server kembali / "+
		"the PostgreSQL server %s cannot be reached (%s); nothing was half-written, Lunas tries again when the server is back: %v",
		e.Where, e.Op, e.Where, e.Op, e.Err)
}

// Unwrap returns the driver's error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes UnavailableError match domain.ErrStoreUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == domain.ErrStoreUnavailable }

// pgCode returns the SQLSTATE of a server error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// isUnavailable reports an error that means the server is not there (now):
// refused or dropped connections, server shutdown, too many connections.
func isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	code := pgCode(err)
	switch {
	case strings.HasPrefix(code, "08"), // connection exception
		code == "57P01", code == "57P02", code == "57P03", // admin shutdown, crash shutdown, cannot connect now
		code == "53300": // too many connections
		return true
	case code != "":
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENOENT): // a unix socket that is gone
		return true
	}
	return false
}

// classify explains connection-level failures; other errors keep their cause.
func (db *DB) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	switch code := pgCode(err); code {
	case "28P01", "28000":
		return &LoginError{Where: db.where, Err: err}
	case "3D000":
		return &LoginError{Where: db.where, Missing: true, Err: err}
	}
	if isUnavailable(err) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return &UnavailableError{Where: db.where, Op: op, Err: err}
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, db.where, err)
}

// unavailable turns an error from inside a transaction into an
// UnavailableError when the server went away while it ran, and returns it
// unchanged otherwise.
func (db *DB) unavailable(err error) error {
	var ue *UnavailableError
	if err == nil || errors.As(err, &ue) || !isUnavailable(err) {
		return err
	}
	return &UnavailableError{Where: db.where, Op: "query", Err: err}
}

// commitErr explains a failed COMMIT: an unbalanced posting found by the
// deferred ledger check, an earlier failed statement, or a lost server.
func (db *DB) commitErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.ConstraintName == "posting_balanced" {
		return fmt.Errorf("%s: %w", pe.Message, domain.ErrUnbalanced)
	}
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		return fmt.Errorf("commit refused: a statement of this transaction failed earlier, nothing was written: %w", err)
	}
	return db.classify("commit", err)
}

// mapErr turns constraint errors into domain errors: unique -> ErrDuplicate,
// foreign key / check / not null -> ErrInvalid. what names the record for
// people. After any of them PostgreSQL has aborted the transaction: the
// caller must return the error (Write then rolls back).
func mapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	switch pgCode(err) {
	case "23505":
		return fmt.Errorf("%s already exists: %w", what, domain.ErrDuplicate)
	case "23503":
		return &domain.ValidationError{Field: what, Message: "refers to a record that does not exist"}
	case "23514", "23502":
		return &domain.ValidationError{Field: what, Message: "a value is out of range or missing (" + err.Error() + ")"}
	}
	return fmt.Errorf("%s: %w", what, err)
}

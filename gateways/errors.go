package gateways

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Sentinel errors the adapters wrap; test them with errors.Is.
var (
	// ErrUnparseable reports a gateway reply that could not be read. The
	// outcome of the call is unknown.
	ErrUnparseable = errors.New("gateway reply could not be parsed")
	// ErrUnknownStatus reports a status word the adapter does not recognise.
	// The outcome is unknown, never failed.
	ErrUnknownStatus = errors.New("gateway reported an unrecognised status")
	// ErrUnsupported reports an operation this gateway does not offer.
	ErrUnsupported = errors.New("operation not supported by this gateway")
	// ErrCallbackAuth reports a callback (webhook) whose token or signature
	// does not verify. The callback must be ignored.
	ErrCallbackAuth = errors.New("callback token or signature does not verify")
	// ErrAmbiguous reports a reply that names several records where one was
	// expected (for example two payouts under one REFID). A person must look.
	ErrAmbiguous = errors.New("gateway reply is ambiguous")
	// ErrMismatch reports a reply about our reference whose data (amount,
	// account) differs from what we sent.
	ErrMismatch = errors.New("gateway record does not match the request")
)

// APIError is an HTTP answer from a gateway that is not a success (status
// outside 2xx). Code and Message come from the gateway's error body.
type APIError struct {
	Gateway    string // "xendit", "iris", ...
	Op         string // "POST /v2/payouts" (never a query string)
	HTTPStatus int
	Code       string // gateway error code, e.g. DUPLICATE_ERROR
	Message    string // gateway message, redacted
	Retryable  bool   // the same request may be sent again (429, 5xx)
	RetryAfter string // the Retry-After header of a 429, if any
	// Wait is how long a 429 asked the client to wait before the next
	// request to this endpoint (Rate-Limit-Reset or Retry-After).
	Wait time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d", e.Gateway, e.Op, e.HTTPStatus)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// TransportError is a call that got no HTTP answer: connection refused or
// dropped, timeout, cancelled context. Whether the gateway acted is unknown.
type TransportError struct {
	Gateway string
	Op      string
	Timeout bool
	msg     string // redacted text of Err
	Err     error
}

// Error implements error. The text is redacted.
func (e *TransportError) Error() string {
	s := fmt.Sprintf("%s %s: no answer", e.Gateway, e.Op)
	if e.Timeout {
		s += " (timeout)"
	}
	if e.msg != "" {
		s += ": " + e.msg
	}
	return s
}

// Unwrap returns the underlying error, so errors.Is(err, context.Canceled) works.
func (e *TransportError) Unwrap() error { return e.Err }

func newTransportError(gateway, op string, err error, red *Redactor) *TransportError {
	te := &TransportError{Gateway: gateway, Op: op, Err: err}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		te.Timeout = true
	}
	te.msg = red.String(err.Error())
	return te
}

// HoldError reports a call that was not sent because its endpoint is held
// until a rate-limit reset the gateway asked for, and the call's context
// ends first. Nothing reached the gateway; the outcome of whatever the call
// was for is unchanged (unknown to the caller).
type HoldError struct {
	Gateway, Op string
	Until       time.Time
	Err         error // the context's error, when it ended while waiting
}

// Error implements error.
func (e *HoldError) Error() string {
	return fmt.Sprintf("%s %s: not sent, the gateway asked to wait until %s (rate limit)", e.Gateway, e.Op, e.Until.Format(time.RFC3339Nano))
}

// Unwrap returns the context's error, if any.
func (e *HoldError) Unwrap() error { return e.Err }

// IsTransport reports whether err is (or wraps) a *TransportError.
func IsTransport(err error) bool {
	var te *TransportError
	return errors.As(err, &te)
}

// IsTimeout reports whether err is a timeout talking to a gateway.
func IsTimeout(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return te.Timeout
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// IsServerError reports whether err is an HTTP 5xx answer.
func IsServerError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.HTTPStatus >= 500
}

// IsRateLimited reports whether err is an HTTP 429 answer.
func IsRateLimited(err error) bool {
	var ae *APIError
	var he *HoldError
	return errors.As(err, &ae) && ae.HTTPStatus == http.StatusTooManyRequests || errors.As(err, &he)
}

// IsUnparseable reports whether err wraps ErrUnparseable or ErrUnknownStatus.
func IsUnparseable(err error) bool {
	return errors.Is(err, ErrUnparseable) || errors.Is(err, ErrUnknownStatus)
}

// IsRetryable reports whether the same request may safely be sent again
// later: transport errors, 429 and 5xx.
func IsRetryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable
	}
	var he *HoldError
	return IsTransport(err) || errors.As(err, &he)
}

// IsUnknown reports whether err leaves the outcome of a call unknown: no
// answer, a timeout, a 5xx, a 429, or a reply that does not parse. An unknown
// outcome is never a failure: the caller must ask again about the same
// reference.
func IsUnknown(err error) bool {
	if err == nil {
		return false
	}
	if IsTransport(err) || IsUnparseable(err) || IsServerError(err) || IsRateLimited(err) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

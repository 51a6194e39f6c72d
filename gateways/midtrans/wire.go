package midtrans

import (
	"bytes"
	"encoding/json"
	"strconv"

	"lunas/gateways"
)

// ErrUnparseable reports a reply that is not the documented shape. The
// outcome of the call it answers is unknown. It is gateways.ErrUnparseable.
var ErrUnparseable = gateways.ErrUnparseable

// wireString accepts a JSON string or a JSON number and keeps the text exactly
// as it appeared, because signatures are computed over that text. Midtrans
// documents strings ("200", "10000.00"), but older samples show numbers.
type wireString string

// UnmarshalJSON implements json.Unmarshaler.
func (w *wireString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*w = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*w = wireString(s)
		return nil
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*w = wireString(n.String())
		return nil
	}
}

// apiError is Midtrans's error body. Snap uses error_messages; Iris uses
// error_message with errors as a string, list or object.
type apiError struct {
	StatusCode    wireString      `json:"status_code"`
	StatusMessage string          `json:"status_message"`
	ErrorMessages []string        `json:"error_messages"`
	ErrorMessage  string          `json:"error_message"`
	Errors        json.RawMessage `json:"errors"`
}

// message returns the most useful human text of an error body, never more
// than 200 bytes of it (it goes into errors and logs).
func (e apiError) message() string {
	var m string
	switch {
	case e.ErrorMessage != "":
		m = e.ErrorMessage
	case len(e.ErrorMessages) > 0:
		m = e.ErrorMessages[0]
	case e.StatusMessage != "":
		m = e.StatusMessage
	}
	var same string
	if json.Unmarshal(e.Errors, &same) == nil && same == m {
		return clip(m)
	}
	if len(e.Errors) > 0 && !bytes.Equal(e.Errors, []byte("null")) {
		d := string(e.Errors)
		if m != "" {
			m += ": "
		}
		m += d
	}
	if len(m) > 200 {
		m = m[:200]
	}
	return m
}

// clip bounds gateway text copied into errors.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

// parseAPIError reads an error body; ok is false when it is not one.
func parseAPIError(body []byte) (apiError, bool) {
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		return e, false
	}
	return e, e.message() != "" || e.StatusCode != ""
}

// atoiOr converts a body status_code, returning def when it is not a number.
func atoiOr(s wireString, def int) int {
	n, err := strconv.Atoi(string(s))
	if err != nil {
		return def
	}
	return n
}

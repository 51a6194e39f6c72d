package h2h

import (
	"testing"
	"unicode/utf8"
)

// FuzzDecodeText feeds arbitrary non-2xx reply bodies to decodeText: a short
// message, never more than 120 bytes of the body.
func FuzzDecodeText(f *testing.F) {
	f.Add(500, []byte("INJECTED SERVER ERROR"))
	f.Add(429, []byte("  RATE LIMIT \n"))
	f.Add(404, []byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		_, msg := decodeText(status, body)
		if len(msg) > 120 {
			t.Fatalf("message of %d bytes", len(msg))
		}
		_ = utf8.ValidString(msg)
	})
}

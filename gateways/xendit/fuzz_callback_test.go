package xendit

import (
	"net/http"
	"testing"
)

// FuzzParseInvoiceCallback feeds arbitrary webhook bodies (with the right
// token, and with a wrong one) to ParseInvoiceCallback.
func FuzzParseInvoiceCallback(f *testing.F) {
	f.Add([]byte(`{"id":"579c8d61f23fa4ca35e52da4","external_id":"INV-1","status":"PAID","amount":50000,"paid_amount":50000}`), true)
	f.Add([]byte(`{"status":"EXPIRED"}`), true)
	f.Add([]byte(`{`), false)
	c := New(Config{SecretKey: "xnd_development_x", CallbackToken: "tok"})
	f.Fuzz(func(t *testing.T, body []byte, good bool) {
		h := http.Header{}
		if good {
			h.Set(CallbackTokenHeader, "tok")
		} else {
			h.Set(CallbackTokenHeader, "nope")
		}
		r, err := c.ParseInvoiceCallback(h, body)
		if !good && err == nil {
			t.Fatalf("a wrong token was accepted: %+v", r)
		}
	})
}

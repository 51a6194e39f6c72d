package sandbox

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestH2HTextAndBalance(t *testing.T) {
	srv := New(Config{Step: time.Minute})
	srv.SetBalance("h2h", 1_234_567)
	post := func(msg string) string {
		req := httptest.NewRequest("POST", "/h2h/text", strings.NewReader(msg))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return w.Body.String()
	}
	pin := srv.Credentials().H2HPin
	if got := post("SAL." + pin); !strings.Contains(got, "1.234.567") {
		t.Fatalf("balance: %q", got)
	}
	if got := post("SAL.0000"); got != "PIN SALAH" {
		t.Fatalf("wrong pin: %q", got)
	}
	first := post("GOPAY.0812.10000." + pin + ".R#T1")
	if !strings.HasPrefix(first, "R#T1 ") || !strings.Contains(first, "INPROGRESS") {
		t.Fatalf("trx: %q", first)
	}
	srv.Advance(2 * time.Minute)
	// A resend under the same REFID with other content is not processed.
	again := post("GOPAY.0899.99999." + pin + ".R#T1")
	if !strings.Contains(again, "SUCCESS") || !strings.Contains(again, "GOPAY. 0812") {
		t.Fatalf("resend: %q", again)
	}
	if srv.PaidCount("h2h", "T1") != 1 || srv.Balance("h2h") != 1_224_567 {
		t.Fatalf("book %d, balance %d", srv.PaidCount("h2h", "T1"), srv.Balance("h2h"))
	}
	if got := post("CEK.R#T9." + pin); !strings.Contains(got, "TIDAK DITEMUKAN") {
		t.Fatalf("check unknown: %q", got)
	}
	if got := dotted(97392993); got != "97.392.993" {
		t.Fatalf("dotted = %q", got)
	}
}

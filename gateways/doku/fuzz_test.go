package doku

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"lunas/domain"
	"lunas/gateways/fixture"
)

// addFiles seeds a corpus with the bodies of the wire fixtures (testdata/
// wire, each with its source) whose names start with prefix; the seed
// corpora in testdata/fuzz add what fuzzing found worth keeping.
func addFiles(f *testing.F, prefix string) {
	paths, _ := filepath.Glob(filepath.Join(fixture.Dir, prefix+"*.http"))
	if len(paths) == 0 {
		f.Fatalf("no wire fixtures %s*", prefix)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		fx, err := fixture.Parse(p, b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fx.Body)
	}
}

// FuzzParseCheckoutStatus: never panics; paid only for SUCCESS about our
// invoice with a whole-rupiah amount.
func FuzzParseCheckoutStatus(f *testing.F) {
	addFiles(f, "checkout_")
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseCheckoutStatus(body, "INV-67220100000")
		if r.State == domain.PaymentStatePaid && (err != nil || r.RawStatus != "SUCCESS" || r.Amount < 0) {
			t.Fatalf("paid with %+v %v", r, err)
		}
		if err != nil && r.State != domain.PaymentStateUnknown {
			t.Fatalf("error with state %s", r.State)
		}
	})
}

// FuzzParseKirimStatus: never panics; succeeded only for "00" about our
// REFID; unreadable input is unknown.
func FuzzParseKirimStatus(f *testing.F) {
	addFiles(f, "kirim_status_")
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseKirimStatus(body, "2020102900000000000001")
		if r.Outcome == domain.OutcomeSucceeded && (err != nil || r.RawStatus != "00") {
			t.Fatalf("succeeded with %+v %v", r, err)
		}
		if err != nil && r.Outcome != domain.OutcomeUnknown {
			t.Fatalf("error with outcome %s", r.Outcome)
		}
	})
}

// FuzzParseSnapAnswers: the inquiry, balance, token and create parsers never
// panic, and nothing negative comes out as money.
func FuzzParseSnapAnswers(f *testing.F) {
	addFiles(f, "kirim_inquiry")
	addFiles(f, "balance_")
	addFiles(f, "token_")
	addFiles(f, "checkout_create")
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = ParseInquiry(body, "8377388292")
		if b, err := ParseBalance(body); err == nil && b < 0 {
			t.Fatalf("negative balance %d", b)
		}
		_, _, _ = ParseToken(body)
		if l, err := ParseCheckoutCreated(body, "WETON-20260831-C098E999", 5000); err == nil && l.URL == "" {
			t.Fatal("link without URL")
		}
	})
}

// FuzzVerifyNotification: an unsigned or wrongly signed body is never
// verified, whatever it says.
func FuzzVerifyNotification(f *testing.F) {
	addFiles(f, "checkout_notif")
	c := New(Config{ClientID: "C1", SecretKey: "secret-test", NotificationPath: "/n", Logger: slog.New(slog.DiscardHandler)})
	h := http.Header{"Client-Id": {"C1"}, "Request-Id": {"r"}, "Request-Timestamp": {"t"}, "Signature": {"HMACSHA256=x"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		if r, err := c.VerifyNotification(h, body); err == nil || r.Verified {
			t.Fatalf("verified %+v", r)
		}
	})
}

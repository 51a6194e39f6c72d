package midtrans

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"lunas/domain"
	"lunas/gateways/fixture"
)

// addFiles adds the bodies of the wire fixtures (testdata/wire, each with
// its source) whose names start with prefix to the corpus.
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

// FuzzParseStatus: no panic, and an answer that is not a usable signed
// status is never "paid and verified" unless it verifies.
func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(status("O1", "200", "10000.00", "settlement", "accept")))
	f.Add([]byte(status("O1", "201", "10000.00", "pending", "")))
	f.Add([]byte(`{"status_code":"404","status_message":"Transaction doesn't exist."}`))
	f.Add([]byte(`{"status_code":200,"gross_amount":10000,"transaction_status":"SETTLEMENT"}`))
	addFiles(f, "core_")
	// Synthetic: the upper-case word one doc sample shows for DANA/ShopeePay.
	f.Add([]byte(`{"status_code":"200","order_id":"O1","gross_amount":"30000.00","transaction_status":"PENDING"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseStatus(body, "O1", vecServerKey)
		if res.State == domain.PaymentStatePaid && res.Verified && err != nil {
			t.Fatalf("verified paid with error %v", err)
		}
		if res.State == domain.PaymentStatePaid && res.Verified {
			var s StatusResponse
			_ = json.Unmarshal(body, &s)
			if !VerifySignatureKey(s.SignatureKey, "O1", string(s.StatusCode), string(s.GrossAmount), vecServerKey) {
				t.Fatalf("paid+verified without a valid signature: %q", body)
			}
		}
	})
}

// FuzzParseIrisPayout: no panic; unusable input is unknown.
func FuzzParseIrisPayout(f *testing.F) {
	f.Add([]byte(`{"amount":"150000.00","reference_no":"R1","notes":"REF-1","status":"completed"}`))
	f.Add([]byte(`{"amount":"150000.00","reference_no":"R1","notes":"REF-1 x","status":"failed","error_code":"005"}`))
	f.Add([]byte(`{"amount":150000,"reference_no":"R1","status":"Queued"}`))
	addFiles(f, "iris_")
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseIrisPayout(body, "REF-1", "R1")
		if err != nil && res.Outcome != domain.OutcomeUnknown {
			t.Fatalf("error %v with outcome %s", err, res.Outcome)
		}
		if err == nil && res.Outcome == domain.OutcomeUnknown {
			t.Fatal("unknown outcome without an error")
		}
	})
}

// FuzzParseIrisOther covers the create, balance, account and notification parsers.
func FuzzParseIrisOther(f *testing.F) {
	f.Add([]byte(`{"payouts":[{"status":"queued","reference_no":"1d4f8423393005"}]}`))
	f.Add([]byte(`{"balance":"25000.00"}`))
	f.Add([]byte(`{"account_name":"Budi","account_no":"1","bank_name":"BCA"}`))
	f.Add([]byte(vecIrisBody))
	f.Add([]byte(`{"error_message":"idempotency-key is not unique","errors":["x"]}`))
	addFiles(f, "iris_")
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, _ = ParseIrisCreate(body)
		_, _ = ParseIrisBalance(body)
		_, _, _, _ = ParseIrisAccount(body)
		if res, err := ParseIrisNotification(body); err != nil && res.Outcome != domain.OutcomeUnknown {
			t.Fatalf("notification error %v with outcome %s", err, res.Outcome)
		}
		_, _ = decodeError(400, body)
	})
}

// FuzzParseAmount: no panic; accepted text round-trips.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"10000.00", "0", "1.5", "-1", "", "9223372036854775807.00", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseAmount(s)
		if err == nil {
			if w, err := ParseAmount(FormatAmount(v)); err != nil || w != v {
				t.Fatalf("%q -> %d does not round-trip", s, v)
			}
		}
	})
}

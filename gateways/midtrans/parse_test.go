package midtrans

import (
	"errors"
	"testing"

	"lunas/domain"
	"lunas/gateways"
)

func TestParseAmount(t *testing.T) {
	cases := []struct {
		in   string
		want domain.Rupiah
		ok   bool
	}{
		{"10000.00", 10000, true}, {"10000", 10000, true}, {"10000.0", 10000, true}, {" 5.00 ", 5, true},
		{"0.00", 0, true}, {"10000.50", 0, false}, {"10000.01", 0, false}, {"-10000.00", 0, false},
		{"10.000", 10, true}, {"1e5", 0, false}, {"", 0, false}, {".00", 0, false}, {"100.", 0, false},
		{"99999999999999999999", 0, false}, {"10,000.00", 0, false},
	}
	for _, c := range cases {
		got, err := ParseAmount(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseAmount(%q) = %d, %v", c.in, got, err)
		}
		if err != nil && (!errors.Is(err, ErrAmount) || !gateways.IsUnparseable(err)) {
			t.Errorf("ParseAmount(%q) error %v does not match ErrAmount and unparseable", c.in, err)
		}
	}
}

// status builds a signed Core API status body.
func status(order, code, gross, tx, fraud string) string {
	sig := SignatureKey(order, code, gross, vecServerKey)
	s := `{"status_code":"` + code + `","order_id":"` + order + `","gross_amount":"` + gross + `","transaction_id":"T1","transaction_status":"` + tx + `","signature_key":"` + sig + `","settlement_time":"2026-11-22 10:00:00"`
	if fraud != "" {
		s += `,"fraud_status":"` + fraud + `"`
	}
	return s + "}"
}

func TestParseStatus(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		state     domain.PaymentState
		amount    domain.Rupiah
		verified  bool
		challenge bool
		err       error
	}{
		{"settlement", status("O1", "200", "10000.00", "settlement", "accept"), domain.PaymentStatePaid, 10000, true, false, nil},
		{"settlement_no_fraud", status("O1", "200", "10000.00", "settlement", ""), domain.PaymentStatePaid, 10000, true, false, nil},
		{"uppercase", status("O1", "200", "10000.00", "SETTLEMENT", "ACCEPT"), domain.PaymentStatePaid, 10000, true, false, nil},
		{"capture_accept", status("O1", "200", "10000.00", "capture", "accept"), domain.PaymentStatePaid, 10000, true, false, nil},
		{"capture_challenge", status("O1", "200", "10000.00", "capture", "challenge"), domain.PaymentStatePending, 10000, true, true, nil},
		{"settlement_challenge", status("O1", "200", "10000.00", "settlement", "challenge"), domain.PaymentStatePending, 10000, true, true, nil},
		{"pending", status("O1", "201", "10000.00", "pending", ""), domain.PaymentStatePending, 10000, true, false, nil},
		{"deny", status("O1", "202", "10000.00", "deny", "deny"), domain.PaymentStateFailed, 10000, true, false, nil},
		{"cancel", status("O1", "200", "10000.00", "cancel", ""), domain.PaymentStateFailed, 10000, true, false, nil},
		{"expire", status("O1", "407", "10000.00", "expire", ""), domain.PaymentStateExpired, 10000, true, false, nil},
		{"refund_is_not_money_held", status("O1", "200", "10000.00", "refund", ""), domain.PaymentStateFailed, 10000, true, false, nil},
		{"not_found_is_pending", `{"status_code":"404","status_message":"Transaction doesn't exist.","id":"x"}`, domain.PaymentStatePending, 0, true, false, nil},
		{"407_bare_is_expired", `{"status_code":"407","status_message":"expired"}`, domain.PaymentStateExpired, 0, true, false, nil},
		{"numeric_status_code", `{"status_code":404,"status_message":"Transaction doesn't exist."}`, domain.PaymentStatePending, 0, true, false, nil},
		{"fraction", status("O1", "200", "10000.50", "settlement", "accept"), domain.PaymentStateUnknown, 0, false, false, ErrAmount},
		{"unknown_status", status("O1", "200", "10000.00", "teleported", ""), domain.PaymentStateUnknown, 10000, false, false, gateways.ErrUnknownStatus},
		{"other_order", status("O2", "200", "10000.00", "settlement", "accept"), domain.PaymentStateUnknown, 0, false, false, ErrWrongOrder},
		{"bad_key_401", `{"status_code":"401","status_message":"Unknown Merchant server_key/id"}`, domain.PaymentStateUnknown, 0, false, false, ErrStatusCode},
		{"not_json", `<html>502</html>`, domain.PaymentStateUnknown, 0, false, false, ErrUnparseable},
		{"empty", ``, domain.PaymentStateUnknown, 0, false, false, ErrUnparseable},
		{"settlement_unsigned", `{"status_code":"200","order_id":"O1","gross_amount":"10000.00","transaction_status":"settlement"}`, domain.PaymentStatePaid, 10000, false, false, ErrSignature},
		{"settlement_bad_signature", `{"status_code":"200","order_id":"O1","gross_amount":"10000.00","transaction_status":"settlement","signature_key":"00"}`, domain.PaymentStatePaid, 10000, false, false, ErrSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ParseStatus([]byte(c.body), "O1", vecServerKey)
			if c.err == nil && err != nil || c.err != nil && !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if res.State != c.state || res.Amount != c.amount || res.Verified != c.verified || res.Challenge != c.challenge {
				t.Fatalf("got %+v", res)
			}
			if c.err != nil && c.err != ErrSignature && !gateways.IsUnknown(err) {
				t.Fatalf("error %v is not unknown-class", err)
			}
		})
	}
}

func TestParseIrisPayout(t *testing.T) {
	body := func(status, notes, extra string) []byte {
		return []byte(`{"amount":"150000.00","reference_no":"R1","notes":"` + notes + `","status":"` + status + `"` + extra + `}`)
	}
	cases := []struct {
		name string
		body []byte
		out  domain.PayoutOutcome
		ok   bool
	}{
		{"queued", body("queued", "REF-1 Bagi hasil", ""), domain.OutcomeAccepted, true},
		{"approved", body("approved", "REF-1", ""), domain.OutcomeAccepted, true},
		{"processed", body("PROCESSED", "REF-1", ""), domain.OutcomeAccepted, true},
		{"completed", body("completed", "REF-1", ""), domain.OutcomeSucceeded, true},
		{"failed", body("failed", "REF-1", `,"error_code":"005","error_message":"Bank timeout"`), domain.OutcomeFailed, true},
		{"rejected", body("rejected", "REF-1", ""), domain.OutcomeCancelled, true},
		{"unknown_status", body("vanished", "REF-1", ""), domain.OutcomeUnknown, false},
		{"other_refid_salah_kamar", body("completed", "REF-10", ""), domain.OutcomeUnknown, false},
		{"other_reference_no", []byte(`{"amount":"1.00","reference_no":"R2","notes":"REF-1","status":"completed"}`), domain.OutcomeUnknown, false},
		{"fraction", []byte(`{"amount":"1.50","reference_no":"R1","notes":"REF-1","status":"completed"}`), domain.OutcomeUnknown, false},
		{"garbage", []byte(`HTTP Basic: Access denied.`), domain.OutcomeUnknown, false},
	}
	for _, c := range cases {
		res, err := ParseIrisPayout(c.body, "REF-1", "R1")
		if (err == nil) != c.ok || res.Outcome != c.out {
			t.Errorf("%s: %+v, %v", c.name, res, err)
		}
		if err != nil && !gateways.IsUnknown(err) {
			t.Errorf("%s: error %v not unknown-class", c.name, err)
		}
	}
	res, _ := ParseIrisPayout(body("failed", "REF-1", `,"error_code":"005","error_message":"Bank timeout"`), "REF-1", "R1")
	if res.Code != "005" || res.Reason != "Bank timeout" || res.Amount != 150_000 {
		t.Errorf("failure detail: %+v", res)
	}
}

func TestParseIrisSmallReplies(t *testing.T) {
	if ref, st, err := ParseIrisCreate([]byte(`{"payouts":[{"status":"queued","reference_no":"1d4f8423393005"}]}`)); err != nil || ref != "1d4f8423393005" || st != "queued" {
		t.Errorf("create: %q %q %v", ref, st, err)
	}
	for _, bad := range []string{`{"payouts":[]}`, `{"payouts":[{"status":"queued"}]}`, `{"payouts":[{"reference_no":"a"},{"reference_no":"b"}]}`, `[]`} {
		if _, _, err := ParseIrisCreate([]byte(bad)); !errors.Is(err, ErrUnparseable) {
			t.Errorf("create %s: %v", bad, err)
		}
	}
	if b, err := ParseIrisBalance([]byte(`{"balance":"25000.00"}`)); err != nil || b != 25000 {
		t.Errorf("balance: %d %v", b, err)
	}
	if b, err := ParseIrisBalance([]byte(`{"balance":25000}`)); err != nil || b != 25000 {
		t.Errorf("numeric balance: %d %v", b, err)
	}
	for _, bad := range []string{`{}`, `{"balance":"1.5"}`, `nope`} {
		if _, err := ParseIrisBalance([]byte(bad)); err == nil {
			t.Errorf("balance %s parsed", bad)
		}
	}
	if h, _, _, err := ParseIrisAccount([]byte(`{"account_name":"Budi","account_no":"0611101146","bank_name":"BCA"}`)); err != nil || h != "Budi" {
		t.Errorf("account: %q %v", h, err)
	}
	if _, _, _, err := ParseIrisAccount([]byte(`{"account_no":"1"}`)); err == nil {
		t.Error("account without holder parsed")
	}
}

package midtrans

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// Vectors computed independently (Python hashlib) from the documented formulas.
const (
	vecServerKey = "SB-Mid-server-TEST"
	// sha512("ORD-1" + "200" + "250000.00" + "SB-Mid-server-TEST")
	vecSignatureKey = "18cd3d513275267a1845de227915442739fa3c47c899575e000e4f7aa48d00ca1bf867b19c469e623cc5c26c6f81f9858b57d1a60f8b9a123733a185a4c30015"
	vecMerchantKey  = "IRIS-merchant-TEST"
	vecIrisBody     = `{"reference_no":"1d4f8423393005","amount":"200000.00","status":"completed","updated_at":"2026-11-22T10:00:00Z"}`
	// sha512(vecIrisBody + "IRIS-merchant-TEST")
	vecIrisSignature = "78adba96fac369a6bda44ce05b59c8347c412ea54f7369324a92962d0df834975d8c9e7fc9d601072203858a2b5788f083bf3dee45fb612f1da4a24918192261"
)

func TestSignatureKeyVector(t *testing.T) {
	if got := SignatureKey("ORD-1", "200", "250000.00", vecServerKey); got != vecSignatureKey {
		t.Fatalf("SignatureKey = %s", got)
	}
	if !VerifySignatureKey(strings.ToUpper(vecSignatureKey), "ORD-1", "200", "250000.00", vecServerKey) {
		t.Fatal("upper-case hex signature did not verify")
	}
	tampered := []struct{ name, order, code, gross, key string }{
		{"order", "ORD-2", "200", "250000.00", vecServerKey},
		{"status_code", "ORD-1", "201", "250000.00", vecServerKey},
		{"gross_amount", "ORD-1", "200", "250001.00", vecServerKey},
		{"gross_amount_format", "ORD-1", "200", "250000", vecServerKey},
		{"server_key", "ORD-1", "200", "250000.00", "other"},
		{"empty_key", "ORD-1", "200", "250000.00", ""},
	}
	for _, c := range tampered {
		if VerifySignatureKey(vecSignatureKey, c.order, c.code, c.gross, c.key) {
			t.Errorf("%s: tampered input verified", c.name)
		}
	}
	if VerifySignatureKey("", "ORD-1", "200", "250000.00", vecServerKey) {
		t.Error("empty signature verified")
	}
}

func TestIrisSignatureVector(t *testing.T) {
	if got := IrisSignature([]byte(vecIrisBody), vecMerchantKey); got != vecIrisSignature {
		t.Fatalf("IrisSignature = %s", got)
	}
	it := NewIris(IrisConfig{BaseURL: "http://127.0.0.1:1", MerchantKey: vecMerchantKey})
	it.Remember("REF-N", "1d4f8423393005", time.Now())
	res, err := it.VerifyNotification(vecIrisSignature, []byte(vecIrisBody))
	if err != nil || res.Outcome != domain.OutcomeSucceeded || res.GatewayRef != "1d4f8423393005" || res.Amount != 200_000 || res.RefID != "REF-N" {
		t.Fatalf("genuine notification: %+v, %v", res, err)
	}
	tampered := strings.Replace(vecIrisBody, "completed", "failed", 1)
	for name, c := range map[string]struct{ sig, body string }{
		"body":      {vecIrisSignature, tampered},
		"signature": {strings.Replace(vecIrisSignature, "7", "8", 1), vecIrisBody},
		"missing":   {"", vecIrisBody},
	} {
		res, err := it.VerifyNotification(c.sig, []byte(c.body))
		if !errors.Is(err, ErrSignature) || !errors.Is(err, gateways.ErrCallbackAuth) || res.Outcome != domain.OutcomeUnknown {
			t.Errorf("%s: %+v, %v; want rejected", name, res, err)
		}
	}
}

func TestVerifyNotificationRejectsTamperedStatus(t *testing.T) {
	g := New(Config{CoreURL: "http://127.0.0.1:1", SnapURL: "http://127.0.0.1:1", ServerKey: vecServerKey})
	good := `{"status_code":"200","order_id":"ORD-1","gross_amount":"250000.00","transaction_status":"settlement","fraud_status":"accept","transaction_id":"t1","signature_key":"` + vecSignatureKey + `"}`
	res, err := g.VerifyNotification([]byte(good))
	if err != nil || res.State != domain.PaymentStatePaid || !res.Verified || res.Amount != 250_000 {
		t.Fatalf("genuine: %+v, %v", res, err)
	}
	for name, body := range map[string]string{
		"amount_raised":  strings.Replace(good, `"250000.00"`, `"2500000.00"`, 1),
		"code_changed":   strings.Replace(good, `"status_code":"200"`, `"status_code":"201"`, 1),
		"no_signature":   strings.Replace(good, vecSignatureKey, "", 1),
		"other_order_id": strings.Replace(good, `"ORD-1"`, `"ORD-9"`, 1),
	} {
		res, err := g.VerifyNotification([]byte(body))
		if !errors.Is(err, ErrSignature) || res.Verified {
			t.Errorf("%s: %+v, %v; want ErrSignature and Verified=false", name, res, err)
		}
	}
}

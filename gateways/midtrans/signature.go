package midtrans

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"

	"lunas/gateways"
)

// ErrSignature reports a status or notification whose signature does not
// verify. Such an answer must never move money.
// It matches gateways.ErrCallbackAuth too.
var ErrSignature = fmt.Errorf("midtrans: signature does not verify: %w", gateways.ErrCallbackAuth)

// SignatureKey computes Midtrans's signature_key:
// hex(SHA-512(order_id + status_code + gross_amount + server_key)), with the
// strings exactly as they appear on the wire (gross_amount as "10000.00").
func SignatureKey(orderID, statusCode, grossAmount, serverKey string) string {
	h := sha512.New()
	h.Write([]byte(orderID))
	h.Write([]byte(statusCode))
	h.Write([]byte(grossAmount))
	h.Write([]byte(serverKey))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifySignatureKey checks a signature_key in constant time. Hex case is
// ignored; an empty signature never verifies.
func VerifySignatureKey(sig, orderID, statusCode, grossAmount, serverKey string) bool {
	if sig == "" || serverKey == "" {
		return false
	}
	want := SignatureKey(orderID, statusCode, grossAmount, serverKey)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(sig))), []byte(want)) == 1
}

// IrisSignature computes the Iris-Signature header of a payout notification:
// hex(SHA-512(raw_body + merchant_key)).
func IrisSignature(body []byte, merchantKey string) string {
	h := sha512.New()
	h.Write(body)
	h.Write([]byte(merchantKey))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyIrisSignature checks an Iris-Signature header against the raw body in
// constant time.
func VerifyIrisSignature(header string, body []byte, merchantKey string) bool {
	if header == "" || merchantKey == "" {
		return false
	}
	want := IrisSignature(body, merchantKey)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(header))), []byte(want)) == 1
}

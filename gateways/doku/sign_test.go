package doku

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Signature vectors. DOKU's pages print components but no signature made
// with a printed key, so the HMAC and RSA outputs below were computed
// independently with openssl (commands in docs/GATEWAYS.md); what DOKU does
// print is reproduced byte for byte (the SNAP body digest).

// The SNAP symmetric-signature page's minified example body and its SHA-256
// (https://developers.doku.com/getting-started-with-doku-api/signature-component/snap/symmetric-signature).
const snapDocBody = `{"partnerServiceId":"  088899","customerNo":"12345678901234567890","virtualAccountNo":"  08889912345678901234567890","virtualAccountName":"Jokul Doe","virtualAccountEmail":"jokul@email.com","virtualAccountPhone":"6281828384858","trxId":"abcdefgh1234","totalAmount":{"value":"12345678.00","currency":"IDR"}}`

func TestSnapBodyHashReproducesDOKUExample(t *testing.T) {
	pretty := `{
"partnerServiceId":"  088899",
"customerNo":"12345678901234567890",
"virtualAccountNo":"  08889912345678901234567890",
"virtualAccountName":"Jokul Doe",
"virtualAccountEmail":"jokul@email.com",
"virtualAccountPhone":"6281828384858",
"trxId":"abcdefgh1234",
"totalAmount":{
"value":"12345678.00",
"currency":"IDR"
}
}`
	min, err := Minify([]byte(pretty))
	if err != nil {
		t.Fatal(err)
	}
	if string(min) != snapDocBody {
		t.Fatalf("minify:\n%s\nwant\n%s", min, snapDocBody)
	}
	if got := BodyHash(min); got != "3274fab8dac896837b106a16da2a974e7e65142dcecb4b768ef0294102838977" {
		t.Fatalf("body hash %s", got)
	}
}

func TestSymmetricSignatureVector(t *testing.T) {
	s := SymmetricString("post", "/bi-snap-va/v1/transfer-va/create-va", "TOKEN_B2B", []byte(snapDocBody), "2024-03-26T16:01:41+07:00")
	if s != "POST:/bi-snap-va/v1/transfer-va/create-va:TOKEN_B2B:3274fab8dac896837b106a16da2a974e7e65142dcecb4b768ef0294102838977:2024-03-26T16:01:41+07:00" {
		t.Fatalf("stringToSign %q", s)
	}
	sig := SymmetricSignature("POST", "/bi-snap-va/v1/transfer-va/create-va", "TOKEN_B2B", []byte(snapDocBody), "2024-03-26T16:01:41+07:00", "secret-test")
	const want = "txu8n+glAoit0P5mgpSgXL1evcpsEduzGxas6HJXcLRY/GXOqfVsJukuf8dOorY3KExWL0IfPKl2MznwC9Ps+w=="
	if sig != want {
		t.Fatalf("X-SIGNATURE %s, want %s", sig, want)
	}
	if !VerifySymmetric(want, "POST", "/bi-snap-va/v1/transfer-va/create-va", "TOKEN_B2B", []byte(snapDocBody), "2024-03-26T16:01:41+07:00", "secret-test") {
		t.Fatal("does not verify")
	}
	tampered := []byte(snapDocBody[:len(snapDocBody)-3] + "X}}")
	if VerifySymmetric(want, "POST", "/bi-snap-va/v1/transfer-va/create-va", "TOKEN_B2B", tampered, "2024-03-26T16:01:41+07:00", "secret-test") {
		t.Fatal("tampered body verifies")
	}
}

// The non-SNAP vector: the inputs of a third-party client's test of DOKU's
// formula (code index file id 61482821561), the output by openssl. DOKU's
// GET sample (Client-Id MCH-0001-10791114622547 ...) prints
// "HMACSHA256=B1cKBzk/aB1AXADCZkq135bnktxY1o02zmmdd2cVgf12=", which is not
// valid base64 of a SHA-256 MAC and comes without a key: it cannot be
// reproduced, only its component string can.
func TestNonSnapSignatureVector(t *testing.T) {
	body := []byte(`{"order":{"amount":5000,"invoice_number":"WETON-20260831-ABC123"}}`)
	if d := Digest(body); d != "l2rvu7K6X73CDDwZ3MN/nTRkVD1pq2bWXNW73bdK6uU=" {
		t.Fatalf("digest %s", d)
	}
	c := Components{ClientID: "MCH-TEST", RequestID: "request-123", Timestamp: "2026-08-31T01:00:00Z", Target: "/checkout/v1/payment", Body: body}
	if got := Signature(c, "secret-test"); got != "HMACSHA256=N0xbztuvagcMYWI2mqadXL2dYTSUmPByuUfVedt7o3w=" {
		t.Fatalf("signature %s", got)
	}
	get := Components{ClientID: "MCH-0001-10791114622547", RequestID: "d895fb53-479c-4f77-a76a-ab81b40d77cb", Timestamp: "2020-08-11T08:45:42Z", Target: "/orders/v1/status/INV-123123-12313"}
	if get.String() != "Client-Id:MCH-0001-10791114622547\nRequest-Id:d895fb53-479c-4f77-a76a-ab81b40d77cb\nRequest-Timestamp:2020-08-11T08:45:42Z\nRequest-Target:/orders/v1/status/INV-123123-12313" {
		t.Fatalf("GET components %q", get.String())
	}
	if got := Signature(get, "secret-test"); got != "HMACSHA256=2miwmFAfrD3J/Wq2mGJtzy9OmN05b0cr3srGECavi2M=" {
		t.Fatalf("GET signature %s", got)
	}
	if !VerifySignature("HMACSHA256=N0xbztuvagcMYWI2mqadXL2dYTSUmPByuUfVedt7o3w=", c, "secret-test") {
		t.Fatal("own signature does not verify")
	}
	c.Target = "/api/doku/notification"
	if VerifySignature("HMACSHA256=N0xbztuvagcMYWI2mqadXL2dYTSUmPByuUfVedt7o3w=", c, "secret-test") {
		t.Fatal("a signature for another target verifies")
	}
}

// RSA-SHA256 (PKCS#1 v1.5 is deterministic): a throw-away test key, the
// client id of DOKU's SDK test, the output by openssl dgst -sha256 -sign.
func TestTokenSignatureVector(t *testing.T) {
	pemText, err := os.ReadFile("testdata/token_test_key.pem")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKey(string(pemText))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := TokenSignature(k, "BRN-0221-1693209567392", "2024-03-26T16:01:41+07:00")
	if err != nil {
		t.Fatal(err)
	}
	const want = "lG7dmu2BL1G/U9BpMpX3DXSOzf0carT1zC5GUEKYvYAJz44gXMzOVA57FtHl8+ykDyE0VHkkmW7BguyrLwn+iAGNFVUgUTInipk94ls90xrG0uK8P0ol7+bCOdCSRrEf4xHTzwfZwoFCz4t8tSDPGUnr0OSALYLh7dWE3qyJCEE="
	if sig != want {
		t.Fatalf("token signature %s", sig)
	}
	if !VerifyTokenSignature(&k.PublicKey, "BRN-0221-1693209567392", "2024-03-26T16:01:41+07:00", sig) ||
		VerifyTokenSignature(&k.PublicKey, "BRN-0221-1693209567392", "2024-03-26T16:01:42+07:00", sig) {
		t.Fatal("verification")
	}
	oneLine := strings.ReplaceAll(strings.TrimSpace(string(pemText)), "\n", " ")
	if k2, err := ParsePrivateKey(oneLine); err != nil || !k2.Equal(k) {
		t.Fatalf("a key pasted on one line: %v", err)
	}
	if _, err := ParsePrivateKey("not a key"); err == nil {
		t.Fatal("garbage parsed as a key")
	}
}

func TestExternalIDIsNumericStableAndShort(t *testing.T) {
	a, b := ExternalID("REF-1"), ExternalID("REF-1")
	if a != b || a == ExternalID("REF-2") || len(a) > 36 {
		t.Fatalf("%s %s", a, b)
	}
	for _, r := range a {
		if r < '0' || r > '9' {
			t.Fatalf("not numeric: %s", a)
		}
	}
	_ = hex.EncodeToString(sha256.New().Sum(nil))
}

// A key Go cannot sign with (512 bits, made with `openssl genrsa
// -traditional 512`) is refused when it is set up, not at the first payout.
func TestParsePrivateKeyRefusesShortKeys(t *testing.T) {
	pemText, err := os.ReadFile(filepath.Join("testdata", "keys", "rsa512_too_short.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ParsePrivateKey(string(pemText)); !errors.Is(err, ErrPrivateKey) || k != nil {
		t.Fatalf("512-bit key: %v, %v", k != nil, err)
	}
}

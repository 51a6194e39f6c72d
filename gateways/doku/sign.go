package doku

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"lunas/gateways"
)

// ErrSignature reports a DOKU answer or notification whose signature does
// not verify (or is missing where one is required). It matches
// gateways.ErrCallbackAuth; such a message never moves money.
var ErrSignature = fmt.Errorf("doku: signature does not verify: %w", gateways.ErrCallbackAuth)

// ErrPrivateKey reports a private key that is not an RSA key in PEM form.
var ErrPrivateKey = errors.New("doku: the private key is not an RSA private key in PEM form")

// Digest is DOKU's non-SNAP Digest component: base64(SHA-256(body)).
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Components are the lines DOKU's non-SNAP signature is computed over.
// Timestamp is Request-Timestamp (or Response-Timestamp for a response).
// Body is nil for a GET (no Digest line).
type Components struct {
	ClientID, RequestID, Timestamp, Target string
	TimestampName                          string // "" = Request-Timestamp
	Body                                   []byte
}

// String is the newline-joined component string, without a final newline.
func (c Components) String() string {
	name := c.TimestampName
	if name == "" {
		name = "Request-Timestamp"
	}
	s := "Client-Id:" + c.ClientID + "\nRequest-Id:" + c.RequestID + "\n" + name + ":" + c.Timestamp + "\nRequest-Target:" + c.Target
	if c.Body != nil {
		s += "\nDigest:" + Digest(c.Body)
	}
	return s
}

// Signature is the non-SNAP Signature header value:
// "HMACSHA256=" + base64(HMAC-SHA256(secretKey, components)).
func Signature(c Components, secretKey string) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(c.String()))
	return "HMACSHA256=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a non-SNAP Signature header in constant time. An
// empty header or key never verifies.
func VerifySignature(header string, c Components, secretKey string) bool {
	header = strings.TrimSpace(header)
	if header == "" || secretKey == "" {
		return false
	}
	want := Signature(c, secretKey)
	a, b := sha256.Sum256([]byte(header)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// BodyHash is the SNAP body component: lower-case hex of SHA-256 of the
// minified body ("" for an empty body).
func BodyHash(minified []byte) string {
	sum := sha256.Sum256(minified)
	return strings.ToLower(hex.EncodeToString(sum[:]))
}

// SymmetricString is SNAP's transaction stringToSign:
// METHOD:path:accessToken:BodyHash(body):timestamp.
func SymmetricString(method, path, token string, minified []byte, timestamp string) string {
	return strings.ToUpper(method) + ":" + path + ":" + token + ":" + BodyHash(minified) + ":" + timestamp
}

// SymmetricSignature is SNAP's X-SIGNATURE for a transaction:
// base64(HMAC-SHA512(clientSecret, SymmetricString(...))).
func SymmetricSignature(method, path, token string, minified []byte, timestamp, clientSecret string) string {
	m := hmac.New(sha512.New, []byte(clientSecret))
	m.Write([]byte(SymmetricString(method, path, token, minified, timestamp)))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifySymmetric checks a SNAP X-SIGNATURE in constant time.
func VerifySymmetric(sig, method, path, token string, minified []byte, timestamp, clientSecret string) bool {
	if sig == "" || clientSecret == "" {
		return false
	}
	want := SymmetricSignature(method, path, token, minified, timestamp, clientSecret)
	a, b := sha256.Sum256([]byte(strings.TrimSpace(sig))), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// ParsePrivateKey reads an RSA private key in PEM form (PKCS#1 "RSA
// PRIVATE KEY" or PKCS#8 "PRIVATE KEY"), as DOKU's SDK accepts.
func ParsePrivateKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(rewrapPEM(pemText)))
	if block == nil {
		return nil, ErrPrivateKey
	}
	var k *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		pk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPrivateKey, err)
		}
		k = pk
	case "PRIVATE KEY":
		pk, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPrivateKey, err)
		}
		k, _ = pk.(*rsa.PrivateKey)
	}
	if k == nil {
		return nil, ErrPrivateKey
	}
	// Go refuses to sign with an RSA key under 1024 bits: refused here, when
	// the key is set up, not at the first payout.
	if n := k.N.BitLen(); n < 1024 {
		return nil, fmt.Errorf("%w: a %d-bit key is too short (at least 1024 bits; DOKU's guide makes 2048)", ErrPrivateKey, n)
	}
	return k, nil
}

// TokenSignature is the X-SIGNATURE of the B2B access-token request:
// base64(RSA-PKCS#1v1.5(SHA-256(clientID + "|" + timestamp))).
func TokenSignature(key *rsa.PrivateKey, clientID, timestamp string) (string, error) {
	sum := sha256.Sum256([]byte(clientID + "|" + timestamp))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyTokenSignature checks an access-token request signature with the
// merchant's public key (the sandbox does this).
func VerifyTokenSignature(pub *rsa.PublicKey, clientID, timestamp, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil || pub == nil {
		return false
	}
	sum := sha256.Sum256([]byte(clientID + "|" + timestamp))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], raw) == nil
}

// rewrapPEM restores a PEM block whose line breaks were lost (a key pasted
// into a one-line box comes back with spaces, or nothing, between lines).
func rewrapPEM(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "\n") {
		return s
	}
	const dashes = "-----"
	begin := strings.Index(s, dashes+"BEGIN ")
	if begin < 0 {
		return s
	}
	headEnd := strings.Index(s[begin+5:], dashes)
	if headEnd < 0 {
		return s
	}
	headEnd += begin + 10
	endAt := strings.Index(s, dashes+"END ")
	if endAt < headEnd {
		return s
	}
	body := strings.Join(strings.Fields(s[headEnd:endAt]), "")
	var b strings.Builder
	b.WriteString(s[begin:headEnd] + "\n")
	for len(body) > 64 {
		b.WriteString(body[:64] + "\n")
		body = body[64:]
	}
	b.WriteString(body + "\n" + strings.TrimSpace(s[endAt:]) + "\n")
	return b.String()
}

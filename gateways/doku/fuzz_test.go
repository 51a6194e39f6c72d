package doku

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways"
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

// FuzzVerifyNotification: the signature gate and the notification parser
// behind it. For every body: wrongly signed, unsigned, signed for another
// path or another Client-Id, it is refused with ErrSignature and nothing of
// it is read; signed correctly with the test's secret (as TestWireNotification
// signs), it reaches the parser and is either refused with a typed parse
// error (never ErrSignature) or verified with the fields the parser promises
// (checkVerifiedNotification); any change to the body after signing is
// refused.
func FuzzVerifyNotification(f *testing.F) {
	addFiles(f, "checkout_notif")
	// More seeds, in testdata/fuzz/FuzzVerifyNotification: the status
	// fixtures (a notification has the status's fields, per the README).
	for _, s := range []string{
		`{"order":{"invoice_number":"INV-1","amount":"65000.00"},"transaction":{"status":" success ","date":"2021-12-29T09:37:35+07:00"}}`,
		`{"order":{"invoice_number":"INV-1","amount":5000.5},"transaction":{"status":"SUCCESS"}}`,
		`{"order":{"invoice_number":"INV-1","amount":-1},"transaction":{"status":"SUCCESS"}}`,
		`{"order":{"invoice_number":"INV-1","amount":1e3},"transaction":{"status":"SUCCESS"}}`,
		`{"order":{"invoice_number":"INV-1","amount":5000},"transaction":{"status":"PAID"}}`,
		`{"order":{"invoice_number":"","amount":0},"transaction":{"status":"EXPIRED"}}`,
		`{"ORDER":{"Invoice_Number":"INV-1","amount":"7"},"transaction":{"status":"REFUNDED"},"order":{"amount":8}}`,
		`{"order":null,"transaction":{"status":"SUCCESS"}}`,
		`{"order":`, `null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	const clientID, secret, path = "C1", "secret-test", "/n"
	c := New(Config{ClientID: clientID, SecretKey: secret, NotificationPath: path, Logger: slog.New(slog.DiscardHandler)})
	sign := func(body []byte, client, target string) string {
		return Signature(Components{ClientID: client, RequestID: "r", Timestamp: "t", Target: target, Body: body}, secret)
	}
	header := func(client, sig string) http.Header {
		h := http.Header{"Client-Id": {client}, "Request-Id": {"r"}, "Request-Timestamp": {"t"}}
		if sig != "" {
			h.Set("Signature", sig)
		}
		return h
	}
	refused := func(t *testing.T, what string, r domain.PaymentResult, err error) {
		t.Helper()
		if !errors.Is(err, ErrSignature) || !errors.Is(err, gateways.ErrCallbackAuth) || r.Verified || r != (domain.PaymentResult{State: domain.PaymentStateUnknown}) {
			t.Fatalf("%s: not refused: %+v %v", what, r, err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// The refusal path: nothing of a body that does not verify is read.
		r, err := c.VerifyNotification(header(clientID, "HMACSHA256=x"), body)
		refused(t, "bad signature", r, err)
		r, err = c.VerifyNotification(header(clientID, ""), body)
		refused(t, "unsigned", r, err)
		r, err = c.VerifyNotification(header(clientID, sign(body, clientID, "/checkout/v1/payment")), body)
		refused(t, "signed for another path", r, err)
		r, err = c.VerifyNotification(header("C2", sign(body, "C2", path)), body)
		refused(t, "signed for another Client-Id", r, err)

		// Signed correctly: the parser runs.
		good := header(clientID, sign(body, clientID, path))
		r, err = c.VerifyNotification(good, body)
		if err != nil {
			if errors.Is(err, ErrSignature) {
				t.Fatalf("a correctly signed body refused as unsigned: %v", err)
			}
			if !errors.Is(err, gateways.ErrUnparseable) && !errors.Is(err, gateways.ErrUnknownStatus) {
				t.Fatalf("untyped parse error %v", err)
			}
			if r.Verified || r.State != domain.PaymentStateUnknown {
				t.Fatalf("refused with %+v", r)
			}
		} else {
			checkVerifiedNotification(t, body, r)
		}

		// A body changed after signing is refused, whatever it says.
		changed := [][]byte{append(bytes.Clone(body), ' ')}
		if len(body) > 0 {
			flipped := bytes.Clone(body)
			flipped[len(flipped)/2] ^= 1
			changed = append(changed, flipped, body[:len(body)-1])
		}
		for _, b := range changed {
			r, err := c.VerifyNotification(good, b)
			refused(t, "changed after signing", r, err)
		}
	})
}

// checkVerifiedNotification checks a notification VerifyNotification
// accepted against the body, read independently: it is verified, about the
// invoice the body names, with a status word DOKU's mapping lists and the
// state that word means, a whole non-negative amount equal to order.amount,
// a paid time only when paid, and exactly what the status parser reads from
// the same body.
func checkVerifiedNotification(t *testing.T, body []byte, r domain.PaymentResult) {
	t.Helper()
	var s struct {
		Order struct {
			InvoiceNumber string          `json:"invoice_number"`
			Amount        json.RawMessage `json:"amount"`
		} `json:"order"`
		Transaction struct {
			Status string `json:"status"`
			Date   string `json:"date"`
		} `json:"transaction"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("verified a body that is not JSON: %v", err)
	}
	if !r.Verified || r.ExternalID != s.Order.InvoiceNumber {
		t.Fatalf("verified %+v for invoice %q", r, s.Order.InvoiceNumber)
	}
	want := map[string]domain.PaymentState{
		"SUCCESS": domain.PaymentStatePaid, "PENDING": domain.PaymentStatePending, "TIMEOUT": domain.PaymentStatePending,
		"REDIRECT": domain.PaymentStatePending, "FAILED": domain.PaymentStatePending, "EXPIRED": domain.PaymentStateExpired,
		"REFUNDED": domain.PaymentStateFailed,
	}
	if st, ok := want[r.RawStatus]; !ok || st != r.State || r.RawStatus != strings.ToUpper(strings.TrimSpace(s.Transaction.Status)) {
		t.Fatalf("status %q read as %q %s", s.Transaction.Status, r.RawStatus, r.State)
	}
	amt := strings.TrimSpace(string(s.Order.Amount))
	var quoted string
	if json.Unmarshal(s.Order.Amount, &quoted) == nil {
		amt = strings.TrimSpace(quoted)
	}
	if v, ok := new(big.Rat).SetString(amt); r.Amount < 0 || !ok || !v.IsInt() || v.Num().Cmp(big.NewInt(int64(r.Amount))) != 0 {
		t.Fatalf("amount %s read as %d", s.Order.Amount, r.Amount)
	}
	if !r.PaidAt.IsZero() {
		if d, err := time.Parse(time.RFC3339, strings.TrimSpace(s.Transaction.Date)); r.State != domain.PaymentStatePaid || err != nil || !d.Equal(r.PaidAt) {
			t.Fatalf("paid at %v, state %s, date %q", r.PaidAt, r.State, s.Transaction.Date)
		}
	}
	st, err := ParseCheckoutStatus(body, r.ExternalID)
	if err != nil || !st.PaidAt.Equal(r.PaidAt) {
		t.Fatalf("the status parser reads %+v %v; the notification %+v", st, err, r)
	}
	st.Verified, st.PaidAt, r.PaidAt = true, time.Time{}, time.Time{}
	if st != r {
		t.Fatalf("the status parser reads %+v; the notification %+v", st, r)
	}
}

// FuzzDecodeError: DOKU's error bodies (SNAP {responseCode,
// responseMessage}, Checkout {error:{code,message}} or {message:[...]},
// anything else) never panic. The code is what decides a payout (kirim.go: 4004301, 4004302 and 4034314 reject a
// transfer), so it is either empty or a code the body itself carries
// (errorCodes); a body that is not JSON gives no code and at most its first
// 200 bytes as the message. Bodies built from the fuzzed code and message
// in each documented shape decode to exactly that code and message.
func FuzzDecodeError(f *testing.F) {
	// More seeds, in testdata/fuzz/FuzzDecodeError: the SNAP answers of the
	// wire fixtures, with their own code and message.
	for _, s := range [][3]string{
		{`{"responseCode":"4004301","responseMessage":"Invalid Field Format"}`, "4004301", "Invalid Field Format"},
		{`{"responseCode":4034314,"responseMessage":"Insufficient Funds"}`, "4034314", "Insufficient Funds"},
		{`{"responseCode":" 4004302 ","responseMessage":null}`, " 4004302 ", ""},
		{`{"error":{"code":"invalid_client_id","message":"Invalid Client-Id"}}`, "invalid_client_id", "Invalid Client-Id"},
		{`{"message":["order.amount must be positive","order.invoice_number is required"]}`, "", "order.amount must be positive"},
		{`{"RESPONSECODE":"4004301","responseCode":"5005300","error":{"code":"x"}}`, "5005300", "General Error"},
		{`{"responseCode":4004301,"message":5}`, "4004301", ""},
		{`{"code":"E1","message":"generic"}`, "E1", "generic"},
		{"<html><body>502 Bad Gateway</body></html>", "", ""},
		{strings.Repeat("é", 150), "", ""},
		{`null`, "", ""}, {`[]`, "", ""}, {``, "", ""},
	} {
		f.Add([]byte(s[0]), s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, body []byte, code, msg string) {
		gotCode, gotMsg := decodeError(400, body)
		if !json.Valid(body) {
			if trimmed := strings.TrimSpace(string(body)); gotCode != "" || len(gotMsg) > 200 || !strings.HasPrefix(trimmed, gotMsg) || (len(trimmed) > 0 && gotMsg == "") {
				t.Fatalf("not JSON: code %q message %q", gotCode, gotMsg)
			}
		} else if gotCode != "" && !slices.Contains(errorCodes(body), gotCode) {
			t.Fatalf("code %q is not in the body (it carries %q)", gotCode, errorCodes(body))
		}

		// Round trips through the documented shapes. Real codes and
		// messages are short; longer ones only make the fuzzer's
		// minimisation (quadratic in their length) stall the run.
		if len(code) > 128 || len(msg) > 128 {
			return
		}
		check := func(shape, b, code, msg string) {
			if c, m := decodeError(400, []byte(b)); c != code || m != msg {
				t.Fatalf("%s %s: %q %q, want %q %q", shape, b, c, m, code, msg)
			}
		}
		wantCode, wantMsg := strings.TrimSpace(fixture.FromJSON(code)), fixture.FromJSON(msg)
		if wantCode == "" {
			wantMsg = "" // no responseCode: the generic decoder finds nothing
		}
		check("SNAP", `{"responseCode":`+fixture.QuoteJSON(code)+`,"responseMessage":`+fixture.QuoteJSON(msg)+`}`, wantCode, wantMsg)
		check("Checkout error", `{"error":{"code":`+fixture.QuoteJSON(code)+`,"message":`+fixture.QuoteJSON(msg)+`}}`, fixture.FromJSON(code), fixture.FromJSON(msg))
		if n, err := strconv.ParseUint(code, 10, 64); err == nil {
			n := strconv.FormatUint(n, 10)
			check("SNAP numeric", `{"responseCode":`+n+`,"responseMessage":`+fixture.QuoteJSON(msg)+`}`, n, fixture.FromJSON(msg))
		}
	})
}

// errorCodes lists every value a DOKU error body carries where an error
// code may be: responseCode (a string, trimmed, or a number, any key
// spelling, as encoding/json matches struct fields), error.code, and the
// generic decoder's code and error_code.
func errorCodes(body []byte) []string {
	m, ok := fixture.JSONObject(body)
	if !ok {
		return nil
	}
	out := fixture.GenericCodes(m)
	for k, v := range m {
		switch {
		case strings.EqualFold(k, "responseCode"):
			switch x := v.(type) {
			case string:
				out = append(out, strings.TrimSpace(x))
			case json.Number:
				out = append(out, x.String())
			}
		case strings.EqualFold(k, "error"):
			if e, ok := v.(map[string]any); ok {
				for ek, ev := range e {
					if s, ok := ev.(string); ok && strings.EqualFold(ek, "code") {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

// checkedKeys are the keys FuzzParsePrivateKey has checked in full.
var checkedKeys sync.Map

// keyMarkers expands, in FuzzParsePrivateKey's input, short markers into
// the base64 body of the test key (testdata/token_test_key.pem): {RSA} as
// PKCS#1 in 64-character lines, {RSA } with spaces for line breaks (a key
// pasted into a one-line box), {RSA-} with no breaks at all, and {PK8} as
// PKCS#8. The seeds name the key this way: a key-sized input (some 900
// bytes) makes the fuzzer's minimisation, quadratic in the input's length,
// stall the run, while the fuzzer's work is in the framing around the
// body, which rewrapPEM and pem.Decode read. Text without markers is
// parsed as it is.
func keyMarkers(f *testing.F) *strings.Replacer {
	b, err := os.ReadFile("testdata/token_test_key.pem")
	if err != nil {
		f.Fatal(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		f.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		f.Fatal(err)
	}
	lines := func(der []byte, sep string) string {
		s := base64.StdEncoding.EncodeToString(der)
		var out []string
		for len(s) > 64 {
			out, s = append(out, s[:64]), s[64:]
		}
		return strings.Join(append(out, s), sep)
	}
	return strings.NewReplacer("{RSA}", lines(block.Bytes, "\n"), "{RSA }", lines(block.Bytes, " "),
		"{RSA-}", lines(block.Bytes, ""), "{PK8}", lines(pkcs8, "\n"))
}

// FuzzParsePrivateKey: a pasted key never panics the parser. Refused input
// gives a nil key and an error that is ErrPrivateKey and does not echo the
// pasted text; an accepted key is a valid RSA key that signs a token
// request its public half verifies, and the same key written as PKCS#1 or
// PKCS#8 PEM, on one line with spaces or with no breaks at all (as a
// one-line box returns it), parses back to an equal key. The input may
// name the test key by a marker (keyMarkers).
func FuzzParsePrivateKey(f *testing.F) {
	// The test key in its forms, and two keys of other types, are in
	// testdata/fuzz/FuzzParsePrivateKey.
	for _, s := range []string{
		"not a key", "",
		"-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----",
		"-----BEGIN PRIVATE KEY-----\n{RSA}\n-----END PRIVATE KEY-----",
		"-----BEGIN RSA PRIVATE KEY-----\n{PK8}\n-----END RSA PRIVATE KEY-----",
		"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n{RSA}\n-----END RSA PRIVATE KEY-----",
		"-----BEGIN RSA PRIVATE KEY----- MIIB -----END RSA PRIVATE KEY-----",
		"-----BEGIN RSA PRIVATE KEY-----MIIB-----END ",
		"-----END RSA PRIVATE KEY----- -----BEGIN RSA PRIVATE KEY-----",
	} {
		f.Add(s)
	}
	markers := keyMarkers(f)
	f.Fuzz(func(t *testing.T, pemText string) {
		if strings.Count(pemText, "{") <= 4 {
			pemText = markers.Replace(pemText)
		}
		k, err := ParsePrivateKey(pemText)
		if err != nil {
			if k != nil || !errors.Is(err, ErrPrivateKey) {
				t.Fatalf("refused with key %v, error %v", k != nil, err)
			}
			for _, w := range strings.Fields(pemText) {
				if len(w) >= 40 && strings.Contains(err.Error(), w) {
					t.Fatalf("the error echoes the pasted text: %v", err)
				}
			}
			return
		}
		if k == nil || k.N == nil || k.N.Sign() <= 0 || len(k.Primes) < 2 {
			t.Fatalf("accepted an unusable key")
		}
		// What follows depends on the key only, and signing costs far more
		// than parsing while most accepted inputs are the test key in
		// another framing: check each key once per fuzzing process.
		if _, done := checkedKeys.LoadOrStore(k.N.String()+"/"+k.D.String(), true); done {
			return
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("accepted an invalid key: %v", err)
		}
		sig, err := TokenSignature(k, "BRN-0221-1693209567392", "2024-03-26T16:01:41+07:00")
		if err != nil || !VerifyTokenSignature(&k.PublicKey, "BRN-0221-1693209567392", "2024-03-26T16:01:41+07:00", sig) {
			t.Fatalf("the key does not sign: %v", err)
		}
		pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		pkcs1 := strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})))
		for name, form := range map[string]string{
			"PKCS#1":             pkcs1,
			"PKCS#8":             string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
			"one line":           strings.ReplaceAll(pkcs1, "\n", " "),
			"one line, no space": strings.ReplaceAll(pkcs1, "\n", ""),
		} {
			if k2, err := ParsePrivateKey(form); err != nil || !k2.Equal(k) {
				t.Fatalf("%s form of an accepted key: %v", name, err)
			}
		}
	})
}

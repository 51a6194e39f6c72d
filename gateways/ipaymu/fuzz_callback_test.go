package ipaymu

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/gateways"
)

// FuzzVerifyCallbackSigned: every fuzzed body is sent as JSON and as a form,
// three ways.
//
//   - Refused: without X-Signature, or with a signature made with a VA we
//     do not hold (the Postman example's), the callback is never verified.
//     The error is ErrSignature (it matches gateways.ErrCallbackAuth), or
//     gateways.ErrUnparseable when the body does not parse.
//   - Signed correctly with our VA (CallbackFields then CallbackSignature,
//     as TestWireCallbacks builds X-Signature), so the parser behind the
//     signature check runs. Then the body is read again here on its own
//     (wantCallback), and the result must agree with that reading:
//     refused with gateways.ErrUnparseable when there is no whole
//     status_code, with gateways.ErrUnknownStatus when the code is not one
//     of iPaymu's, never with ErrSignature; or accepted, Verified, with
//     ExternalID the body's reference_id, State the code's meaning
//     (transaction_status_code when status_code is 1), RawStatus the status
//     text, GatewayRef the trx_id and Amount exactly the amount when it is
//     whole rupiah (0 otherwise, never rounded).
//   - Changed after signing, with the good signature: the body plus one
//     byte, minus its last byte, with its middle byte flipped, and with
//     another reference_id. A change the signed text does not see (the
//     signature covers the fields, not the bytes: spaces, key order) must
//     give the same result; any other is refused with ErrSignature, or
//     gateways.ErrUnparseable when it no longer parses.
//
// It replaces the old FuzzVerifyCallback (ipaymu_test.go), which sent one
// fixed foreign signature, so no input ever reached the parser.
func FuzzVerifyCallbackSigned(f *testing.F) {
	// More seeds in testdata/fuzz/FuzzVerifyCallbackSigned.
	addFiles(f, "callback_")
	for _, s := range []string{
		`{"reference_id":"ORD-1","status":"pending","status_code":0,"amount":"5000","trx_id":7}`,
		`{"reference_id":"ORD-1","status":"berhasil","status_code":"1","transaction_status_code":"6","amount":100000.00}`,
		`{"reference_id":"ORD-1","status_code":1,"transaction_status_code":7,"amount":"1e5"}`,
		`{"reference_id":"ORD-1","status_code":-2,"amount":-5}`,
		`{"reference_id":7,"status_code":3,"amount":"100000.5"}`,
		`{"reference_id":"a/b","status_code":9,"amount":92233720368547758}`,
		`{"status_code":1.0}`,
		`{"status_code":1,"status_code":5}`,
		`{"reference_id":"ORD-1","status_code":1,"signature":"x","additional_info":[1]}`,
		"reference_id=ORD-1&status=berhasil&status_code=1&transaction_status_code=6&amount=100000&trx_id=9",
		"reference_id=ORD-2&status_code=2&amount=%2B007&is_escrow=true&additional_info=",
		"status_code=x&status_code=1",
		"status_code=1;x",
		`{}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	const va = "1179000899"
	c := New(Config{VA: va, Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
			fields, ferr := CallbackFields(ct, body)

			// Refused: no signature, a foreign one.
			for _, sig := range []string{"", "b1a5339f20226fcd8447219f2ff23003e9f1dd7501c02ebc4330a23c69f6c52d"} {
				h := http.Header{"Content-Type": {ct}}
				if sig != "" {
					h.Set("X-Signature", sig)
				}
				r, err := c.VerifyCallback(h, body)
				checkRefused(t, ct+" signature "+strconv.Quote(sig), r, err)
				switch {
				case sig == "" || ferr == nil:
					if !errors.Is(err, ErrSignature) || !errors.Is(err, gateways.ErrCallbackAuth) {
						t.Fatalf("%s, signature %q: %v, want ErrSignature", ct, sig, err)
					}
				case !errors.Is(err, gateways.ErrUnparseable) || errors.Is(err, ErrSignature):
					t.Fatalf("%s: unparseable body refused with %v", ct, err)
				}
			}
			if ferr != nil {
				if !errors.Is(ferr, gateways.ErrUnparseable) {
					t.Fatalf("%s: CallbackFields: %v", ct, ferr)
				}
				continue
			}

			// Signed with our VA: the parser runs.
			sig, err := CallbackSignature(fields, va)
			if err != nil {
				t.Fatalf("%s: cannot sign %q: %v", ct, body, err)
			}
			h := http.Header{"Content-Type": {ct}, "X-Signature": {sig}}
			r, err := c.VerifyCallback(h, body)
			want, wantErr := wantCallback(t, ct, body)
			checkCallback(t, ct, body, r, err, want, wantErr)

			// Changed after signing.
			signed, _ := CallbackString(fields)
			tampered := [][]byte{append(bytes.Clone(body), 'x'), reference(t, ct, body, fields)}
			if n := len(body); n > 0 {
				mid := bytes.Clone(body)
				mid[n/2] ^= 0x20
				tampered = append(tampered, bytes.Clone(body[:n-1]), mid)
			}
			for _, b := range tampered {
				r2, err2 := c.VerifyCallback(h, b)
				f2, ferr2 := CallbackFields(ct, b)
				if ferr2 != nil {
					checkRefused(t, ct+" changed", r2, err2)
					if !errors.Is(err2, gateways.ErrUnparseable) {
						t.Fatalf("%s: %q changed to %q, no longer parses: %v", ct, body, b, err2)
					}
					continue
				}
				if s2, _ := CallbackString(f2); s2 == signed {
					// Not a change of the signed fields: the same answer.
					if r2 != r || !sameErr(err2, err) {
						t.Fatalf("%s: %q and %q sign the same text but give %+v %v and %+v %v", ct, body, b, r, err, r2, err2)
					}
					continue
				}
				checkRefused(t, ct+" changed", r2, err2)
				if !errors.Is(err2, ErrSignature) || !errors.Is(err2, gateways.ErrCallbackAuth) {
					t.Fatalf("%s: %q changed to %q after signing: %+v %v, want ErrSignature", ct, body, b, r2, err2)
				}
			}
		}
	})
}

// checkRefused: a refused callback says nothing.
func checkRefused(t *testing.T, what string, r domain.PaymentResult, err error) {
	t.Helper()
	if err == nil || r != (domain.PaymentResult{State: domain.PaymentStateUnknown}) {
		t.Fatalf("%s: %+v %v, want refused", what, r, err)
	}
}

func sameErr(a, b error) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error())
}

// checkCallback compares VerifyCallback's answer for a correctly signed body
// with the body read independently.
func checkCallback(t *testing.T, ct string, body []byte, r domain.PaymentResult, err error, want domain.PaymentResult, wantErr error) {
	t.Helper()
	if errors.Is(err, ErrSignature) || errors.Is(err, gateways.ErrCallbackAuth) {
		t.Fatalf("%s: correctly signed %q refused as unsigned: %v", ct, body, err)
	}
	if wantErr != nil {
		checkRefused(t, ct+" signed", r, err)
		if !errors.Is(err, wantErr) {
			t.Fatalf("%s: signed %q: %v, want %v", ct, body, err, wantErr)
		}
		if wantErr == gateways.ErrUnparseable && errors.Is(err, gateways.ErrUnknownStatus) ||
			wantErr == gateways.ErrUnknownStatus && errors.Is(err, gateways.ErrUnparseable) {
			t.Fatalf("%s: signed %q: %v, want only %v", ct, body, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: signed %q refused: %v, want %+v", ct, body, err, want)
	}
	if want.RawStatus == anyStatus {
		want.RawStatus = r.RawStatus
	}
	if r != want {
		t.Fatalf("%s: signed %q:\n got %+v\nwant %+v", ct, body, r, want)
	}
	if r.Amount < 0 || !r.Verified {
		t.Fatalf("%s: %+v", ct, r)
	}
}

// wantCallback reads a callback body without CallbackFields: the JSON
// object's values as raw JSON, or the form's first values. It returns what
// a correctly signed callback must give, or the error it must be refused
// with.
func wantCallback(t *testing.T, ct string, body []byte) (domain.PaymentResult, error) {
	t.Helper()
	type value struct {
		text   string // a string's text, a number's literal, "<nil>" for null, true or false
		str    bool   // a JSON string or a form value
		number bool   // a JSON number
		nested bool   // a JSON object or array
	}
	vals := map[string]value{}
	if ct == "application/json" {
		var m map[string]json.RawMessage
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&m); err != nil || m == nil {
			t.Fatalf("CallbackFields read %q as JSON, the test cannot: %v", body, err)
		}
		for k, raw := range m {
			raw = bytes.TrimSpace(raw)
			var s string
			switch {
			case len(raw) > 0 && raw[0] == '"':
				if err := json.Unmarshal(raw, &s); err != nil {
					t.Fatal(err)
				}
				vals[k] = value{text: s, str: true}
			case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
				vals[k] = value{text: string(raw), number: true}
			case string(raw) == "null":
				vals[k] = value{text: "<nil>"}
			case string(raw) == "true" || string(raw) == "false":
				vals[k] = value{text: string(raw)}
			default:
				vals[k] = value{nested: true}
			}
		}
	} else {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatalf("CallbackFields read %q as a form, the test cannot: %v", body, err)
		}
		for k, v := range q {
			vals[k] = value{text: v[0], str: true}
		}
	}
	whole := func(k string) (int64, bool) {
		v, ok := vals[k]
		if !ok || !v.str && !v.number {
			return 0, false
		}
		n, err := strconv.ParseInt(v.text, 10, 64)
		return n, err == nil
	}
	code, ok := whole("status_code")
	if !ok {
		return domain.PaymentResult{}, gateways.ErrUnparseable
	}
	if tc, ok := whole("transaction_status_code"); ok && code == 1 {
		code = tc
	}
	// iPaymu's codes (transaction/check-transaction.en.mdx).
	var st domain.PaymentState
	switch code {
	case 1, 6:
		st = domain.PaymentStatePaid
	case 0, 7:
		st = domain.PaymentStatePending
	case 2, 3, 4, 5:
		st = domain.PaymentStateFailed
	case -2:
		st = domain.PaymentStateExpired
	default:
		return domain.PaymentResult{}, gateways.ErrUnknownStatus
	}
	r := domain.PaymentResult{State: st, Verified: true, RawStatus: "<nil>"} // absent: fmt.Sprint(nil)
	if v, ok := vals["reference_id"]; ok && v.str {
		r.ExternalID = v.text
	}
	if v, ok := vals["status"]; ok {
		r.RawStatus = v.text
		if v.nested {
			r.RawStatus = anyStatus // an object or array, as fmt prints it: not compared
		}
	}
	if v, ok := vals["amount"]; ok && (v.str || v.number) {
		r.Amount = wholeRupiah(v.text)
	}
	if id, ok := whole("trx_id"); ok {
		r.GatewayRef = strconv.FormatInt(id, 10)
	}
	return r, nil
}

// anyStatus marks a status that is an object or array (not compared).
const anyStatus = "\x00any"

var wholeRE = regexp.MustCompile(`^([+-]?)([0-9]+)(?:\.0*)?$`)

// wholeRupiah is an amount written as a whole number of rupiah (a fraction
// of zeros allowed), 0 .. MaxInt64/100; 0 for anything else (a fraction, a
// negative amount, an exponent): never rounded.
func wholeRupiah(s string) domain.Rupiah {
	m := wholeRE.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	n, ok := new(big.Int).SetString(m[2], 10)
	if !ok || m[1] == "-" && n.Sign() != 0 || n.Cmp(big.NewInt(math.MaxInt64/100)) > 0 {
		return 0
	}
	return domain.Rupiah(n.Int64())
}

// reference is body with another reference_id, in body's own encoding.
func reference(t *testing.T, ct string, body []byte, fields map[string]any) []byte {
	t.Helper()
	ref, _ := fields["reference_id"].(string)
	if ct == "application/json" {
		m := make(map[string]any, len(fields))
		for k, v := range fields {
			m[k] = v
		}
		m["reference_id"] = ref + "-X"
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	q, _ := url.ParseQuery(string(body))
	q.Del("reference_id")
	return []byte("reference_id=" + url.QueryEscape(ref+"-X") + "&" + strings.TrimPrefix(q.Encode(), "&"))
}

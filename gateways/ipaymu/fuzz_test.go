package ipaymu

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"lunas/gateways/fixture"
)

// FuzzDecodeError: iPaymu's error bodies ({"Status":401,"Message":
// "unauthorized"}, {"Status":400,"Message":...,"Error":{...}}, anything
// else) never panic. The code is empty or one the body carries
// (errorCodes); a body that is not JSON gives no code and at most its first
// 200 bytes as the message. An envelope built from the fuzzed Status and
// Message decodes to exactly that Status and Message (and to nothing when
// the Message is empty).
func FuzzDecodeError(f *testing.F) {
	// More seeds, in testdata/fuzz/FuzzDecodeError: the recorded 401 and 400.
	for _, s := range []struct {
		body   string
		status int
		msg    string
	}{
		{`{"Status":500,"Message":"Internal Server Error"}`, 500, "Internal Server Error"},
		{`{"Status":401,"Message":""}`, 401, ""},
		{`{"Message":"no status"}`, 0, "no status"},
		{`{"status":"401","message":"lower-case keys, Status a string"}`, 401, "x"},
		{`{"Status":4.01e2,"Message":"float status"}`, -1, "y"},
		{`{"Status":401,"Message":"a","MESSAGE":"b","code":"E1"}`, 1 << 40, "\xff"},
		{"<html><body>502 Bad Gateway</body></html>", 502, ""},
		{strings.Repeat("é", 150), 0, ""},
		{`null`, 0, ""}, {`[]`, 0, ""}, {``, 0, ""},
	} {
		f.Add([]byte(s.body), s.status, s.msg)
	}
	f.Fuzz(func(t *testing.T, body []byte, status int, msg string) {
		gotCode, gotMsg := decodeError(400, body)
		if !json.Valid(body) {
			if trimmed := strings.TrimSpace(string(body)); gotCode != "" || len(gotMsg) > 200 || !strings.HasPrefix(trimmed, gotMsg) || (len(trimmed) > 0 && gotMsg == "") {
				t.Fatalf("not JSON: code %q message %q", gotCode, gotMsg)
			}
		} else if gotCode != "" && !slices.Contains(errorCodes(body), gotCode) {
			t.Fatalf("code %q is not in the body (it carries %q)", gotCode, errorCodes(body))
		}

		// Round trip through iPaymu's envelope, with and without an Error
		// object. Real messages are short; longer ones only make the
		// fuzzer's minimisation (quadratic in their length) stall the run.
		if len(msg) > 128 {
			return
		}
		want, wantCode := fixture.FromJSON(msg), strconv.Itoa(status)
		if want == "" {
			wantCode = "" // no Message: the generic decoder finds nothing
		}
		env := `{"Status":` + strconv.Itoa(status) + `,"Message":` + fixture.QuoteJSON(msg)
		for _, b := range []string{env + `}`, env + `,"Error":{"product":[` + fixture.QuoteJSON(msg) + `]}}`} {
			if c, m := decodeError(400, []byte(b)); c != wantCode || m != want {
				t.Fatalf("%s: %q %q, want %q %q", b, c, m, wantCode, want)
			}
		}
	})
}

// errorCodes lists every code an iPaymu error body can be read as: its
// Status (an integer, any key spelling, as encoding/json matches struct
// fields; "0" when it has none), and the generic decoder's code and
// error_code.
func errorCodes(body []byte) []string {
	m, ok := fixture.JSONObject(body)
	if !ok {
		return nil
	}
	out := fixture.GenericCodes(m)
	status := false
	for k, v := range m {
		if n, ok := v.(json.Number); ok && strings.EqualFold(k, "Status") {
			if i, err := n.Int64(); err == nil {
				out, status = append(out, strconv.FormatInt(i, 10)), true
			}
		}
	}
	if !status {
		out = append(out, "0")
	}
	return out
}

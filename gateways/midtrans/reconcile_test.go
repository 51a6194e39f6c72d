package midtrans

import (
	"errors"
	"testing"
)

func TestParseIrisStatements(t *testing.T) {
	cases := []struct {
		name, body string
		n          int
		ref        string
		err        error
	}{
		{"array", `[{"account":"a","type":"Payout","amount":"100000.00","status":"debit","created_at":"2026-11-01T10:00:00Z","reference_no":"r1"}]`, 1, "r1", nil},
		{"wrapped", `{"statements":[{"type":"Topup","amount":"5.00"},{"type":"Payout","amount":"1.00","reference_no":"r2"}]}`, 2, "", nil},
		{"data", `{"data":[{"type":"Payout","amount":1000,"reference_no":"r3"}]}`, 1, "r3", nil},
		{"empty", `[]`, 0, "", nil},
		{"garbage", `<html>`, 0, "", ErrUnparseable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, err := ParseIrisStatements([]byte(c.body))
			if !errors.Is(err, c.err) && !(err == nil && c.err == nil) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if len(list) != c.n {
				t.Fatalf("%d statements, want %d", len(list), c.n)
			}
			if c.ref != "" && list[0].ReferenceNo != c.ref {
				t.Errorf("reference_no = %q", list[0].ReferenceNo)
			}
		})
	}
}

func FuzzParseIrisStatements(f *testing.F) {
	f.Add([]byte(`[{"type":"Payout","amount":"100000.00","reference_no":"r1"}]`))
	f.Add([]byte(`{"statements":[]}`))
	f.Add([]byte(`{"data":[{"amount":12}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseIrisStatements(b)
	})
}

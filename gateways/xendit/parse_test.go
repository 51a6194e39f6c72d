package xendit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lunas/domain"
	"lunas/gateways"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seeds adds every file of testdata/dir to the fuzz corpus.
func seeds(f *testing.F, dir string) {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/%s", dir)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "null", "{}", "[]", "[null]", `{"status":7}`, `{"amount":"x"}`, "\x00"} {
		f.Add([]byte(s))
	}
}

func TestPayoutResult(t *testing.T) {
	tests := []struct {
		file    string
		ref     string
		outcome domain.PayoutOutcome
		code    string
		amount  domain.Rupiah
		err     error
	}{
		{"payout/accepted.json", "REF-1", domain.OutcomeAccepted, "ACCEPTED", 10000, nil},
		{"payout/failed.json", "REF-2", domain.OutcomeFailed, "INVALID_DESTINATION", 50000, nil},
		{"payout/new_status.json", "REF-3", domain.OutcomeUnknown, "", 1, gateways.ErrUnknownStatus},
		{"payout/fraction.json", "REF-4", domain.OutcomeUnknown, "", 0, gateways.ErrUnparseable},
		{"payout/accepted.json", "REF-OTHER", domain.OutcomeUnknown, "", 10000, gateways.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.ref, func(t *testing.T) {
			p, err := parsePayout(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r, err := p.result(tt.ref)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if r.Outcome != tt.outcome || r.Amount != tt.amount || (tt.code != "" && r.Code != tt.code) {
				t.Fatalf("result %+v", r)
			}
			if r.Outcome == domain.OutcomeFailed && r.Reason == "" {
				t.Error("failure without reason")
			}
		})
	}
}

func TestParsePayoutListShapes(t *testing.T) {
	for _, tt := range []struct {
		file string
		n    int
		err  error
	}{
		{"payouts/array.json", 1, nil},
		{"payouts/data.json", 1, nil},
		{"payouts/empty.json", 0, nil},
		{"payouts/nodata.json", 0, gateways.ErrUnparseable},
	} {
		list, err := parsePayoutList(readTestdata(t, tt.file))
		if len(list) != tt.n || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%s: %d items, err %v", tt.file, len(list), err)
		}
	}
}

func TestInvoiceResult(t *testing.T) {
	for _, tt := range []struct {
		file   string
		state  domain.PaymentState
		amount domain.Rupiah
	}{
		{"invoice/pending.json", domain.PaymentStatePending, 250000},
		{"invoice/paid.json", domain.PaymentStatePaid, 250000},
		{"invoice/settled.json", domain.PaymentStatePaid, 99000},
	} {
		v, err := parseInvoice(readTestdata(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		r, err := v.result()
		if err != nil || r.State != tt.state || r.Amount != tt.amount || !r.Verified {
			t.Errorf("%s: %+v, %v", tt.file, r, err)
		}
	}
	list, err := parseInvoiceList(readTestdata(t, "invoices/list.json"))
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
}

func TestDecodeErrorBothKeys(t *testing.T) {
	for file, want := range map[string][2]string{
		"error/message.json":       {"DUPLICATE_ERROR", "A payout with this idempotency key already exists."},
		"error/error_message.json": {"DUPLICATE_TRANSACTION_ERROR", "Idempotency key has been used before"},
		"error/validation.json":    {"API_VALIDATION_ERROR", "Invalid input data. Please check your request"},
	} {
		code, msg := decodeError(400, readTestdata(t, file))
		if code != want[0] || msg != want[1] {
			t.Errorf("%s: %q %q", file, code, msg)
		}
	}
}

func TestParseBalance(t *testing.T) {
	if b, err := parseBalance(readTestdata(t, "balance/ok.json")); err != nil || b != 1_000_000_000 {
		t.Errorf("ok: %d %v", b, err)
	}
	if _, err := parseBalance(readTestdata(t, "balance/fraction.json")); !errors.Is(err, gateways.ErrUnparseable) {
		t.Errorf("fraction: %v", err)
	}
	if _, err := parseBalance([]byte(`{}`)); !errors.Is(err, gateways.ErrUnparseable) {
		t.Errorf("missing: %v", err)
	}
}

// checkPayoutInvariant: a payout parse either fails (and the caller reports
// unknown) or yields a result that is unknown exactly when it has an error.
func checkPayoutInvariant(t *testing.T, p payout, ref string) {
	r, err := p.result(ref)
	if err != nil && r.Outcome != domain.OutcomeUnknown {
		t.Fatalf("error %v with outcome %s", err, r.Outcome)
	}
	if err == nil && r.Outcome == domain.OutcomeUnknown {
		t.Fatal("unknown outcome without an error")
	}
}

func FuzzParsePayout(f *testing.F) {
	seeds(f, "payout")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePayout(b)
		if err != nil {
			if !errors.Is(err, gateways.ErrUnparseable) {
				t.Fatalf("error not ErrUnparseable: %v", err)
			}
			return
		}
		checkPayoutInvariant(t, p, p.ReferenceID)
	})
}

func FuzzParsePayoutList(f *testing.F) {
	seeds(f, "payouts")
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := parsePayoutList(b)
		if err != nil {
			if !errors.Is(err, gateways.ErrUnparseable) {
				t.Fatalf("error not ErrUnparseable: %v", err)
			}
			return
		}
		for _, p := range list {
			checkPayoutInvariant(t, p, p.ReferenceID)
		}
	})
}

func FuzzParseInvoice(f *testing.F) {
	seeds(f, "invoice")
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseInvoice(b)
		if err != nil {
			return
		}
		r, err := v.result()
		if (err != nil) != (r.State == domain.PaymentStateUnknown) {
			t.Fatalf("state %s with err %v", r.State, err)
		}
		if r.State == domain.PaymentStatePaid && !r.Verified {
			t.Fatal("paid but not verified")
		}
	})
}

func FuzzParseInvoiceList(f *testing.F) {
	seeds(f, "invoices")
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := parseInvoiceList(b)
		if err != nil && !errors.Is(err, gateways.ErrUnparseable) {
			t.Fatalf("error not ErrUnparseable: %v", err)
		}
		for _, v := range list {
			_, _ = v.result()
		}
	})
}

func FuzzParseBalance(f *testing.F) {
	seeds(f, "balance")
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseBalance(b); err != nil && !errors.Is(err, gateways.ErrUnparseable) {
			t.Fatalf("error not ErrUnparseable: %v", err)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	seeds(f, "error")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = decodeError(400, b) })
}

func FuzzParsePayoutEvent(f *testing.F) {
	seeds(f, "callback")
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := parsePayoutEvent(b)
		if err != nil && ev.Result.Outcome != domain.OutcomeUnknown {
			t.Fatalf("error %v with outcome %s", err, ev.Result.Outcome)
		}
	})
}

func FuzzParseChannels(f *testing.F) {
	seeds(f, "channels")
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseChannels(b); err != nil && !errors.Is(err, gateways.ErrUnparseable) {
			t.Fatalf("error not ErrUnparseable: %v", err)
		}
	})
}

package xendit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/fixture"
)

// readTestdata reads a synthetic input (testdata/synthetic: edge cases we
// made up, not wire facts).
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "synthetic", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wireBody is the body of a wire fixture (testdata/wire, each with its source).
func wireBody(t testing.TB, name string) []byte {
	t.Helper()
	return fixture.Load(t, fixture.Dir, name).Body
}

// seeds adds the synthetic inputs of testdata/synthetic/dir and the bodies of
// the wire fixtures whose names start with one of prefixes to the corpus.
func seeds(f *testing.F, dir string, prefixes ...string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "synthetic", dir, "*.json"))
	for _, p := range prefixes {
		w, _ := filepath.Glob(filepath.Join(fixture.Dir, p+"*.http"))
		files = append(files, w...)
	}
	if len(files) == 0 {
		f.Fatalf("no seeds for %s", dir)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasSuffix(p, ".http") {
			fx, err := fixture.Parse(p, b)
			if err != nil {
				f.Fatal(err)
			}
			b = fx.Body
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
		{"wire:payout_get_accepted_doc.http", "myref-1482928194", domain.OutcomeAccepted, "ACCEPTED", 10000, nil},
		{"payout/failed.json", "REF-2", domain.OutcomeFailed, "INVALID_DESTINATION", 50000, nil},
		{"payout/new_status.json", "REF-3", domain.OutcomeUnknown, "", 1, gateways.ErrUnknownStatus},
		{"payout/fraction.json", "REF-4", domain.OutcomeUnknown, "", 0, gateways.ErrUnparseable},
		{"wire:payout_get_accepted_doc.http", "REF-OTHER", domain.OutcomeUnknown, "", 10000, gateways.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.ref, func(t *testing.T) {
			body := readTestdata
			name := tt.file
			if n, ok := strings.CutPrefix(tt.file, "wire:"); ok {
				body, name = wireBody, n
			}
			p, err := parsePayout(body(t, name))
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
		{"wire:payout_list_requested_recorded.http", 1, nil},
		{"wire:payout_list_empty_recorded.http", 0, nil},
		{"payouts/data.json", 1, nil},
		{"payouts/empty.json", 0, nil},
		{"payouts/nodata.json", 0, gateways.ErrUnparseable},
	} {
		body := readTestdata
		name := tt.file
		if n, ok := strings.CutPrefix(tt.file, "wire:"); ok {
			body, name = wireBody, n
		}
		list, err := parsePayoutList(body(t, name))
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
		{"wire:invoice_create_pending_recorded.http", domain.PaymentStatePending, 100000},
		{"wire:invoice_callback_paid_bank_sdk.http", domain.PaymentStatePaid, 2000000},
		{"wire:invoice_get_settled_recorded.http", domain.PaymentStatePaid, 91000},
		{"wire:invoice_callback_expired_sdk.http", domain.PaymentStateExpired, 1000},
		{"invoice/settled.json", domain.PaymentStatePaid, 99000},
	} {
		body := readTestdata
		name := tt.file
		if n, ok := strings.CutPrefix(tt.file, "wire:"); ok {
			body, name = wireBody, n
		}
		v, err := parseInvoice(body(t, name))
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
	if list, err := parseInvoiceList(wireBody(t, "invoice_list_settled_recorded.http")); err != nil || len(list) != 1 || list[0].Status != "SETTLED" {
		t.Fatalf("recorded list: %v %v", list, err)
	}
}

func TestDecodeErrorBothKeys(t *testing.T) {
	for file, want := range map[string][2]string{
		"error_duplicate_409_recorded.http":           {"DUPLICATE_ERROR", "A payout with this idempotency key already exists. If you meant to execute a different request, please use another idempotency key."},
		"error_duplicate_400_doc.http":                {"DUPLICATE_ERROR", "A payout with this idempotency key already exists. If you meant to execute a different request, please use another idempotency key"},
		"error_duplicate_transaction_legacy.http":     {"DUPLICATE_TRANSACTION_ERROR", "Disbursement was duplicated"},
		"invoice_create_validation_400_recorded.http": {"API_VALIDATION_ERROR", "Invalid input data. Please check your request"},
		"error_rate_limit_429_doc.http":               {"RATE_LIMIT_EXCEEDED", ""},
	} {
		code, msg := decodeError(400, wireBody(t, file))
		if code != want[0] || msg != want[1] {
			t.Errorf("%s: %q %q", file, code, msg)
		}
	}
}

func TestParseBalance(t *testing.T) {
	if b, err := parseBalance(wireBody(t, "balance_recorded.http")); err != nil || b != 1_000_000_000 {
		t.Errorf("recorded: %d %v", b, err)
	}
	if b, err := parseBalance(wireBody(t, "balance_doc.http")); err != nil || b != 1241231 {
		t.Errorf("doc: %d %v", b, err)
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
	seeds(f, "payout", "payout_get", "payout_create", "payout_replay")
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
	seeds(f, "payouts", "payout_list")
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
	seeds(f, "invoice", "invoice_get", "invoice_create_pending", "invoice_callback")
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
	seeds(f, "invoices", "invoice_list")
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
	seeds(f, "balance", "balance")
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseBalance(b); err != nil && !errors.Is(err, gateways.ErrUnparseable) {
			t.Fatalf("error not ErrUnparseable: %v", err)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	seeds(f, "error", "error_", "invoice_create_validation", "invoice_get_not_found")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = decodeError(400, b) })
}

func FuzzParsePayoutEvent(f *testing.F) {
	seeds(f, "callback", "payout_webhook")
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := parsePayoutEvent(b)
		if err != nil && ev.Result.Outcome != domain.OutcomeUnknown {
			t.Fatalf("error %v with outcome %s", err, ev.Result.Outcome)
		}
	})
}

func FuzzParseChannels(f *testing.F) {
	seeds(f, "channels", "channels")
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseChannels(b); err != nil && !errors.Is(err, gateways.ErrUnparseable) {
			t.Fatalf("error not ErrUnparseable: %v", err)
		}
	})
}

package h2h

import (
	"errors"
	"testing"

	"lunas/domain"
	"lunas/gateways"
)

func defaultParser(t testing.TB) *Parser {
	p, err := NewParser(nil, nil, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Replies from gateways.md section 9 and the sandbox.
const (
	replySuccess = "R#359912451 MXD17. 48429495 SUCCESS. SN: 4779928. TRXID: 5a8ae07d-1f. SISA SALDO: 97.411.793 - 18.800 = 97.392.993 @15:25:39.484331 20/02/2024&refid=359912451"
	replyFailed  = "R#204900199 MXD40. 151443938 FAILED. REASON: FR_NOT_SELECTED. TRXID: 77ab. SISA SALDO: 31.515.657 - 0 = 31.473.857 @18:21:31 16/02/2024&refid=204900199"
	replyPending = "R#88 DNOPEN. 081111111111 INPROGRESS. TRXID: 14430673. @15:42:50 23/10/2024"
	replyReport  = "report?t=95847&refid=64525223&status=20&price=30442&message=TRANSAKSI LANCAR T#1 R#64525223 X10.0812 SUKSES. SN/Ref:038123"
)

func TestParseReplies(t *testing.T) {
	p := defaultParser(t)
	cases := []struct {
		name, text, ref string
		out             domain.PayoutOutcome
		err             error
		sn, reason, sup string
		saldo           domain.Rupiah
	}{
		{"success", replySuccess, "359912451", domain.OutcomeSucceeded, nil, "4779928", "", "5a8ae07d-1f", 97_392_993},
		{"failed", replyFailed, "204900199", domain.OutcomeFailed, nil, "", "FR_NOT_SELECTED", "77ab", 31_473_857},
		{"pending", replyPending, "88", domain.OutcomeAccepted, nil, "", "", "14430673", 0},
		{"report_callback", replyReport, "64525223", domain.OutcomeSucceeded, nil, "038123", "", "", 0},
		{"indonesian_gagal", "R#REF-1 GOPAY GOPAY.0812 GAGAL. REASON: NOMOR TIDAK VALID. TRXID: a1", "REF-1", domain.OutcomeFailed, nil, "", "NOMOR TIDAK VALID", "a1", 0},
		{"proses", "R#REF-1 GOPAY.0812 DIPROSES", "REF-1", domain.OutcomeAccepted, nil, "", "", "", 0},
		{"not_found", "R#REF-1 TIDAK DITEMUKAN.&refid=REF-1", "REF-1", domain.OutcomeNotFound, nil, "", "", "", 0},
		{"refund", "R#REF-1 GOPAY.0812 REFUND. REASON: DANA DIKEMBALIKAN", "REF-1", domain.OutcomeReversed, nil, "", "DANA DIKEMBALIKAN", "", 0},
		{"status_word_inside_refid", "R#REF-GAGAL-1 GOPAY.0812 SUKSES. SN: 1", "REF-GAGAL-1", domain.OutcomeSucceeded, nil, "1", "", "", 0},
		{"salah_kamar_other_refid", replySuccess, "359912452", domain.OutcomeUnknown, ErrWrongRefID, "", "", "", 0},
		{"salah_kamar_two_refids", "R#1 SUKSES. R#2 GAGAL.", "1", domain.OutcomeUnknown, ErrWrongRefID, "", "", "", 0},
		{"salah_kamar_suffix_disagrees", "R#1 SUKSES.&refid=2", "1", domain.OutcomeUnknown, ErrWrongRefID, "", "", "", 0},
		{"no_refid", "SUKSES. SN: 1", "1", domain.OutcomeUnknown, ErrNoRefID, "", "", "", 0},
		{"no_status", "R#1 TERIMA KASIH", "1", domain.OutcomeUnknown, gateways.ErrUnparseable, "", "", "", 0},
		{"contradicting_status", "R#1 SUKSES. sebelumnya GAGAL", "1", domain.OutcomeUnknown, gateways.ErrUnknownStatus, "", "", "", 0},
		{"pin_wrong_reply", "PIN SALAH", "1", domain.OutcomeUnknown, ErrNoRefID, "", "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := p.Parse(c.text, c.ref)
			if c.err == nil && err != nil || c.err != nil && !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if err != nil && !gateways.IsUnknown(err) {
				t.Fatalf("err %v is not unknown-class", err)
			}
			if r.Outcome != c.out || r.Serial != c.sn || r.Reason != c.reason || r.SupplierRef != c.sup || r.Balance != c.saldo {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestCustomPatternsAndWords(t *testing.T) {
	// A supplier with its own reply format, numeric OtomaX status codes and the
	// seed's Perl-style group syntax.
	p, err := NewParser([]string{`R#(?<trxid>\d+)\D*`, `status=(?P<status>\d+)`, `price=(?P<price>\d+)`}, nil, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Parse("report?t=1&refid=64525223&status=20&price=30442&message=R#64525223", "64525223")
	if err != nil || r.Outcome != domain.OutcomeSucceeded || r.Price != 30442 {
		t.Fatalf("got %+v, %v", r, err)
	}
	r, err = p.Parse("report?refid=5&status=40 R#5", "5")
	if err != nil || r.Outcome != domain.OutcomeFailed {
		t.Fatalf("got %+v, %v", r, err)
	}
	// Synonyms: a supplier that says "BERES" for success.
	p, err = NewParser(nil, nil, []string{"BERES"}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.Parse("R#9 BERES", "9"); err != nil || r.Outcome != domain.OutcomeSucceeded {
		t.Fatalf("synonym: %+v, %v", r, err)
	}
	if _, err := NewParser([]string{`(`}, nil, nil, nil, nil, nil, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad pattern: %v", err)
	}
}

func TestParseBalance(t *testing.T) {
	p := defaultParser(t)
	for text, want := range map[string]domain.Rupiah{
		"SALDO ANDA: Rp 97.392.993 @15:04:05": 97_392_993,
		"Saldo: 1.000.":                       1000,
		"BALANCE 250000":                      250_000,
	} {
		if got, err := p.ParseBalance(text); err != nil || got != want {
			t.Errorf("%q: %d, %v", text, got, err)
		}
	}
	for _, text := range []string{"PIN SALAH", "SALDO: 1.000 SALDO: 2.000", ""} {
		if _, err := p.ParseBalance(text); !gateways.IsUnparseable(err) {
			t.Errorf("%q: %v, want unparseable", text, err)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{replySuccess, replyFailed, replyPending, replyReport, "R#1 SUKSES. R#2", "", "R#", "SALDO: 9.9.9"} {
		f.Add(s, "359912451")
	}
	p := defaultParser(f)
	f.Fuzz(func(t *testing.T, text, ref string) {
		r, err := p.Parse(text, ref)
		if err != nil && r.Outcome != domain.OutcomeUnknown {
			t.Fatalf("error %v with outcome %s", err, r.Outcome)
		}
		if err == nil && (r.Outcome == domain.OutcomeUnknown || r.RefID != ref) {
			t.Fatalf("no error but outcome %s ref %q", r.Outcome, r.RefID)
		}
		_, _ = p.ParseBalance(text)
	})
}

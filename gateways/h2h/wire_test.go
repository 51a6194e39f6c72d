package h2h

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/fixture"
)

// The documented supplier replies (testdata/wire, sources in its README):
// the REFID Lunas put in the request, and what each reply must be read as.
var wireReplies = []struct {
	file, preset, refID   string
	err                   error // a reply that cannot be tied to our REFID
	out                   domain.PayoutOutcome
	sn, reason, supplier  string
	balance, price        domain.Rupiah
	product, dest, amount string
}{
	{"klikoo_success.http", "otomax", "359912451", nil, domain.OutcomeSucceeded, "4779928", "", "5a8ae07d-c01c-48c1-b38a-20a1f7ea0200", 97_392_993, 0, "MXD17", "48429495", "18800"},
	{"klikoo_failed.http", "otomax", "204900199", nil, domain.OutcomeFailed, "", "FR_NOT_SELECTED", "3f613573-893a-418d-90ce-2b84778e1454", 31_473_857, 0, "MXD40", "151443938", "1"},
	{"klikoo_inprogress_uuid.http", "otomax", "00f7ade1-68df-4d58-a7c9-297ec86e6632", nil, domain.OutcomeAccepted, "", "", "14430673", 0, 0, "DNOPEN", "081111111111", "10000"},
	{"klikoo_failed_no_amount_uuid.http", "otomax", "00f7ade1-68df-4d58-a7c9-297ec86e6632", nil, domain.OutcomeFailed, "", "Amount must be in numbers only", "-", 0, 0, "DNOPEN", "081111111111", "1"},
	{"klikoo_pln_success.http", "otomax", "13574661", nil, domain.OutcomeSucceeded, "2514-1798-8056-2280-2824/HASMALINDA/R1M/900VA/33.7", "", "20356853", 13_558_561, 0, "PLN50", "14444941364", "50102"},
	{"maxsi_report_success.http", "otomax-report", "64525223", nil, domain.OutcomeSucceeded, "038xxx2443623", "", "", 0, 30442, "IP30", "08575", "30442"},
	{"digiflazz_success.http", "digiflazz", "12345678", nil, domain.OutcomeSucceeded, "1234567890", "", "", 990_000, 10000, "S1", "087800001230", "10000"},
	{"digiflazz_failed.http", "digiflazz", "12345678", nil, domain.OutcomeFailed, "", "Nomor tujuan salah", "", 1_000_000, 0, "S1", "087800001232", "10000"},
	{"digiflazz_process.http", "digiflazz", "12345678", nil, domain.OutcomeAccepted, "", "", "", 990_000, 0, "S1", "087800001233", "10000"},
	{"sidopulsa_success.http", "digiflazz", "9932POO0", nil, domain.OutcomeSucceeded, "TRXHS031266584", "", "", 60_000, 8000, "TT5", "081299999999", "8000"},
	// "GAGAL, Dibatalkan Refund Rp.9.000": failed, its deposit refunded.
	{"sidopulsa_failed.http", "digiflazz", "99323879", nil, domain.OutcomeFailed, "", "Dibatalkan Refund Rp", "", 287_270, 0, "TT5", "081299999999", "9000"},
	{"sidopulsa_process.http", "digiflazz", "99323895", nil, domain.OutcomeAccepted, "", "", "", 17_221_364, 0, "TT5", "081298956177", "9000"},
	// Unmarked (TrxID= is the supplier's id): tied to the REFID Lunas sent,
	// which is nowhere in the reply.
	{"otomax_trxid_process.http", "otomax-trxid", "LNS-7", nil, domain.OutcomeAccepted, "", "", "8162890", 61_125, 0, "HIP5", "0857123456789", "10775"},
	{"st24_trxid_failed.http", "otomax-trxid", "LNS-7", nil, domain.OutcomeFailed, "", "", "b31sSA5fjp", 76_900, 0, "tsel5", "081200000000", "5775"},
	{"st24_trxid_process.http", "otomax-trxid", "LNS-7", nil, domain.OutcomeAccepted, "", "", "b31sSA5fjp", 66_125, 0, "tsel5", "081200000000", "5775"},
	// "sdh pernah jam 15:19, status Sukses" with no REFID: the earlier
	// transaction may be another one to the same number; never applied.
	{"otomax_trxid_success_repeat.http", "otomax-trxid", "LNS-7", ErrRepeatNoRefID, domain.OutcomeUnknown, "", "", "", 0, 0, "HIP5", "085770240384", "10775"},
	{"st24_trxid_success_repeat.http", "otomax-trxid", "LNS-7", ErrRepeatNoRefID, domain.OutcomeUnknown, "", "", "", 0, 0, "tsel5", "081200000000", "5775"},
	// The report a seller sends: the buyer's refid= and the seller's TrxID=.
	{"otomax_callback_trxid_success.http", "otomax-trxid", "205432004", nil, domain.OutcomeSucceeded, "01447000007482589790", "", "b31sSA5fjp", 66_125, 0, "tsel5", "081200000000", "5775"},
	{"otomax_callback_trxid_failed.http", "otomax-trxid", "205432004", nil, domain.OutcomeFailed, "", "", "b31sSA5fjp", 76_900, 0, "tsel5", "081200000000", "5775"},
}

// marked reports whether a documented reply names a REFID of its own (the
// others are tied to the REFID of the request they answer).
func marked(text string) bool {
	for _, m := range []string{"R#", "refid=", "CLIENTID="} {
		if strings.Contains(text, m) {
			return true
		}
	}
	return false
}

func wireText(t testing.TB, file string) string {
	return string(fixture.Load(t, fixture.Dir, file).Body)
}

// Every documented reply is read right by the default patterns and by its
// family's preset.
func TestWireRepliesDefaultAndPreset(t *testing.T) {
	for _, tt := range wireReplies {
		for _, preset := range []string{"", tt.preset} {
			t.Run(tt.file+"/"+preset, func(t *testing.T) {
				cfg := Config{Preset: preset}
				if err := applyPreset(&cfg); err != nil {
					t.Fatal(err)
				}
				p, err := NewParser(cfg.ReplyPatterns, nil, cfg.SuccessWords, cfg.FailedWords, cfg.PendingWords, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				r, err := p.Parse(wireText(t, tt.file), tt.refID)
				if tt.err != nil {
					if !errors.Is(err, tt.err) || !gateways.IsUnknown(err) || r.Outcome != domain.OutcomeUnknown {
						t.Fatalf("want %v and unknown, got %+v %v", tt.err, r, err)
					}
					return
				}
				if err != nil || r.Outcome != tt.out || r.Serial != tt.sn || r.Reason != tt.reason || r.SupplierRef != tt.supplier || r.Balance != tt.balance || r.Price != tt.price {
					t.Fatalf("%+v %v", r, err)
				}
			})
		}
	}
}

// A reply whose REFID is not the one Lunas sent is never applied to the
// transfer, however well it reads otherwise: the supplier's own TRXID can
// never stand in for ours. (Unmarked replies name no REFID to compare:
// TestWireUnmarkedRepliesTakeTheSentRefID.)
func TestWireReplyForAnotherRefIDIsNeverApplied(t *testing.T) {
	for _, tt := range wireReplies {
		if !marked(wireText(t, tt.file)) {
			continue
		}
		for _, preset := range []string{"", tt.preset} {
			cfg := Config{Preset: preset}
			if err := applyPreset(&cfg); err != nil {
				t.Fatal(err)
			}
			p, err := NewParser(cfg.ReplyPatterns, nil, nil, nil, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			text := wireText(t, tt.file)
			for _, other := range []string{tt.refID + "0", "X" + tt.refID, tt.supplier} {
				if other == "" || other == "-" {
					continue
				}
				r, err := p.Parse(text, other)
				if !errors.Is(err, ErrWrongRefID) || r.Outcome != domain.OutcomeUnknown || !gateways.IsUnknown(err) {
					t.Errorf("%s (preset %q) applied to REFID %q: %+v %v", tt.file, preset, other, r, err)
				}
			}
		}
	}
}

// An unmarked reply (TrxID=<the supplier's id>, no REFID) is the answer to
// the request that carried our REFID: its result is about that REFID and
// keeps the supplier's id as the gateway reference, whatever REFID was
// sent, even one equal to the supplier's id. Without the supplier's id it
// is not the documented shape and is not applied; an unmarked repeat is
// never applied.
func TestWireUnmarkedRepliesTakeTheSentRefID(t *testing.T) {
	p, err := NewParser(nil, nil, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tt := range wireReplies {
		text := wireText(t, tt.file)
		if marked(text) || tt.err != nil {
			continue
		}
		n++
		for _, sent := range []string{tt.refID, "LNS-8", tt.supplier} {
			r, err := p.Parse(text, sent)
			if err != nil || r.RefID != sent || r.SupplierRef != tt.supplier || r.Outcome != tt.out {
				t.Errorf("%s sent as %q: %+v %v", tt.file, sent, r, err)
			}
		}
		// The same text without its TrxID is no documented reply.
		bare := strings.Replace(text, "TrxID="+tt.supplier+" ", "", 1)
		if r, err := p.Parse(bare, tt.refID); !errors.Is(err, ErrNoRefID) || r.Outcome != domain.OutcomeUnknown {
			t.Errorf("%s without TrxID: %+v %v", tt.file, r, err)
		}
	}
	if n < 3 {
		t.Fatalf("only %d unmarked fixtures", n)
	}
}

// A preset reads only its family: a reply in another style names no REFID
// the preset knows, so it stays unknown rather than being misread.
func TestWirePresetsAreNarrow(t *testing.T) {
	for _, tt := range []struct{ file, preset, refID string }{
		{"digiflazz_success.http", "otomax", "12345678"},
		{"klikoo_success.http", "digiflazz", "359912451"},
		{"st24_trxid_process.http", "digiflazz", "LNS-7"},
	} {
		cfg := Config{Preset: tt.preset}
		if err := applyPreset(&cfg); err != nil {
			t.Fatal(err)
		}
		p, _ := NewParser(cfg.ReplyPatterns, nil, nil, nil, nil, nil, nil)
		if r, err := p.Parse(wireText(t, tt.file), tt.refID); !errors.Is(err, ErrNoRefID) || r.Outcome != domain.OutcomeUnknown {
			t.Errorf("%s with %s: %+v %v", tt.file, tt.preset, r, err)
		}
	}
	if err := applyPreset(&Config{Preset: "nope"}); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown preset: %v", err)
	}
}

// Over real HTTP: the channel sends our REFID and reads each documented
// reply to it.
func TestWireRepliesOverHTTP(t *testing.T) {
	ctx := context.Background()
	for _, tt := range wireReplies {
		t.Run(tt.file, func(t *testing.T) {
			var sent string
			srv := fixture.Serve(t, fixture.Route{Method: "GET", Path: "/trx", File: fixture.Load(t, fixture.Dir, tt.file),
				Check: func(t testing.TB, r *http.Request) { sent = r.URL.Query().Get("refID") }})
			ch, err := New(Config{Name: "wire", BaseURL: srv.URL + "/", MemberID: "M1", PIN: "1", Password: "p", Preset: tt.preset}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			amount := domain.Rupiah(1)
			if v, err := domain.ParseRupiah(tt.amount); err == nil {
				amount = v
			}
			res, err := ch.Send(ctx, domain.PayoutRequest{RefID: tt.refID, Channel: tt.product, AccountNumber: tt.dest, Amount: amount})
			if sent != tt.refID {
				t.Fatalf("sent refID %q", sent)
			}
			if tt.err != nil {
				if !errors.Is(err, tt.err) || res.Outcome != domain.OutcomeUnknown {
					t.Fatalf("want %v and unknown: %+v %v", tt.err, res, err)
				}
				return
			}
			if err != nil || res.Outcome != tt.out || res.Serial != tt.sn || res.GatewayRef != tt.supplier || res.RefID != tt.refID {
				t.Fatalf("%+v %v", res, err)
			}
		})
	}
}

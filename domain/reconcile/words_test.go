package reconcile_test

import (
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/reconcile"
)

// codes are the words a person must never read in a reason: result kinds,
// statuses and outcomes as the code spells them.
func codes() []string {
	var out []string
	for _, k := range reconcile.Kinds {
		if k != reconcile.Matched { // "matched" is a word too
			out = append(out, string(k))
		}
	}
	for _, s := range domain.AllTransferStatuses {
		if strings.Contains(string(s), "_") {
			out = append(out, string(s))
		}
	}
	return append(out, string(domain.OutcomeNotFound), "clearing:", "paidout:", "h2h:")
}

// TestSentencesArePlainWords renders every kind of item, for every area,
// local status and gateway answer, in Indonesian and English: each is a
// sentence (a capital, a full stop) naming the record, in its language, and
// none shows a code (amount_mismatch, awaiting_approval, not_found, an
// account name). The balance sentence names each part of the expectation.
func TestSentencesArePlainWords(t *testing.T) {
	var items []reconcile.Item
	for _, k := range reconcile.Kinds {
		for _, ts := range domain.AllTransferStatuses {
			for _, o := range []domain.PayoutOutcome{domain.OutcomeAccepted, domain.OutcomeSucceeded, domain.OutcomeFailed, domain.OutcomeNotFound, ""} {
				items = append(items, reconcile.Item{Kind: k, Area: reconcile.AreaTransfer, Gateway: "h2h:pulsa", Subject: "LNS-1",
					LocalStatus: string(ts), RemoteStatus: "SUKSES", RemoteState: string(o), LocalAmount: 85000, RemoteAmount: 80000})
			}
		}
		for _, ps := range []domain.PaymentStatus{domain.PaymentPending, domain.PaymentSettled, domain.PaymentFlagged, domain.PaymentExpired} {
			for _, st := range []domain.PaymentState{domain.PaymentStatePaid, domain.PaymentStatePending, domain.PaymentStateExpired} {
				items = append(items, reconcile.Item{Kind: k, Area: reconcile.AreaPayment, Gateway: "xendit", Subject: "BTK-1",
					LocalStatus: string(ps), RemoteStatus: "SETTLED", RemoteState: string(st), LocalAmount: 100000, RemoteAmount: 99000})
			}
		}
		items = append(items, reconcile.Item{Kind: k, Area: reconcile.AreaPayment, Gateway: "midtrans"}, // a list that failed
			reconcile.Item{Kind: k, Area: reconcile.AreaBalance, Gateway: "iris", Subject: "iris", LocalAmount: 5, RemoteAmount: 7,
				Balance: &reconcile.BalanceDetail{Read: true, Ledger: 5, Flagged: 9000, FlaggedCount: 1, InTransit: 4000, InTransitCount: 2, Unrecorded: 100, UnrecordedCount: 1}},
			reconcile.Item{Kind: k, Area: reconcile.AreaBalance, Gateway: "doku", Subject: "doku", Balance: &reconcile.BalanceDetail{Unsure: 1}})
	}
	for _, it := range items {
		id, en := it.Sentence(domain.LangIndonesian), it.Sentence(domain.LangEnglish)
		for lang, s := range map[string]string{"id": id, "en": en} {
			if s == "" || !strings.HasSuffix(s, ".") || strings.ToUpper(s[:1]) != s[:1] {
				t.Errorf("%s %+v: not a sentence: %q", lang, it, s)
			}
			for _, c := range codes() {
				if strings.Contains(s, c) {
					t.Errorf("%s %+v: shows the code %q: %q", lang, it, c, s)
				}
			}
			words := strings.Fields(s)
			for i := 1; i < len(words); i++ {
				if strings.EqualFold(words[i], words[i-1]) {
					t.Errorf("%s: %q twice: %q", lang, words[i], s)
				}
			}
			if it.Subject != "" && !strings.Contains(s, it.Subject) && it.Area != reconcile.AreaBalance {
				t.Errorf("%s: does not name %s: %q", lang, it.Subject, s)
			}
		}
		if id == en || strings.Contains(id, " the ") || strings.Contains(en, " tidak ") {
			t.Errorf("languages mixed up:\n id %q\n en %q", id, en)
		}
	}
	// A balance difference explains itself.
	it := reconcile.Item{Kind: reconcile.AmountMismatch, Area: reconcile.AreaBalance, Gateway: "xendit", Subject: "xendit",
		LocalAmount: 0, RemoteAmount: 1_000_000_000, Balance: &reconcile.BalanceDetail{Read: true}}
	for lang, want := range map[string][]string{
		domain.LangEnglish:    {"The balance at Xendit is Rp1,000,000,000, but the books expect Rp0: Rp1,000,000,000 more than expected.", "No opening balance is recorded for Xendit", "--opening"},
		domain.LangIndonesian: {"Saldo di Xendit Rp1.000.000.000, tetapi menurut catatan seharusnya Rp0: Rp1.000.000.000 lebih banyak dari seharusnya.", "Saldo awal Xendit tidak tercatat"},
	} {
		s := it.Sentence(lang)
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s balance sentence lacks %q: %q", lang, w, s)
			}
		}
	}
	for _, l := range []string{domain.LangIndonesian, domain.LangEnglish} {
		if s := (reconcile.Report{Counts: map[reconcile.Kind]int{reconcile.MissingAtGateway: 1}}).SummaryIn(l); strings.Contains(s, "_") {
			t.Errorf("summary %s: %q", l, s)
		}
	}
}

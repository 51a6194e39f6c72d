package ui

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"lunas/domain"
	"lunas/domain/reconcile"
)

// sentenceReconciler answers with real reconciliation sentences in the
// desktop's language: one difference and one record a step ahead.
type sentenceReconciler struct{}

func (sentenceReconciler) Reconcile(context.Context, domain.Actor, time.Time, time.Time) (ReconcileResult, error) {
	l := Language()
	diff := reconcile.Item{Kind: reconcile.AmountMismatch, Area: reconcile.AreaBalance, Gateway: "iris", Subject: "iris",
		LocalAmount: 998_950_000, RemoteAmount: 999_000_000, Balance: &reconcile.BalanceDetail{Read: true, OpeningRecorded: true,
			InTransit: 1_050_000, InTransitCount: 1}}
	ahead := reconcile.Item{Kind: reconcile.Behind, Area: reconcile.AreaPayment, Gateway: "xendit", Subject: "BTK-081940-0012",
		LocalStatus: string(domain.PaymentPending), RemoteState: string(domain.PaymentStatePaid), RemoteStatus: "PAID"}
	return ReconcileResult{Matched: 41, Mismatches: []string{diff.Sentence(l)}, Behind: []string{ahead.Sentence(l)}}, nil
}

// TestReconcileResultReadable: the Reports screen's reconciliation shows
// the count, each difference and each record a step ahead as its sentence
// in the chosen language (no result code), nothing cut off, at 1366x768.
// LUNAS_SHOTS=DIR also writes DIR/<lang>/reports-reconcile.png.
func TestReconcileResultReadable(t *testing.T) {
	defer SetLanguage(LangEnglish)
	for _, lang := range []string{LangIndonesian, LangEnglish} {
		env := newTestEnv(t, false)
		svc := env.services()
		svc.Reconciler = sentenceReconciler{}
		u := newTestUI(t, svc, domain.RoleOwner)
		SetLanguage(lang)
		u.win.Resize(screenSize)
		u.Navigate(ScreenReports)
		waitIdle(u)
		s := u.screens[ScreenReports].(*reportsScreen)
		s.reconcile()
		var texts []string
		waitFor(t, time.Second, "the reconciliation result", func() bool {
			texts = nil
			for _, o := range s.recon.Objects {
				if l, ok := o.(*widget.Label); ok {
					texts = append(texts, l.Text)
				}
			}
			return len(texts) == 4
		})
		all := strings.Join(texts, "\n")
		want := map[string][]string{
			LangEnglish:    {"41 matched, 1 differences.", "The balance at Iris (Midtrans) is Rp999,000,000", "Lunas records that at its next check"},
			LangIndonesian: {"41 cocok, 1 selisih.", "Saldo di Iris (Midtrans) Rp999.000.000", "Lunas mencatatnya pada pengecekan berikutnya"},
		}[lang]
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: the result lacks %q:\n%s", lang, w, all)
			}
		}
		for _, code := range []string{"amount_mismatch", "behind", "pending"} {
			if strings.Contains(all, code) {
				t.Errorf("%s: the result shows the code %q:\n%s", lang, code, all)
			}
		}
		if c := cutOff(u.win.Content()); len(c) > 0 {
			t.Errorf("%s: cut off: %q", lang, c)
		}
		if dir := os.Getenv("LUNAS_SHOTS"); dir != "" {
			out := filepath.Join(dir, lang, "reports-reconcile.png")
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, u.win.Canvas().Capture()); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

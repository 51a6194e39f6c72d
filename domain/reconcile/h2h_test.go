package reconcile_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/reconcile"
	"lunas/domain/sqlite"
	"lunas/gateways/h2h"
	"lunas/gateways/sandbox"
)

// TestReconcileH2HByStatusChecks: an H2H supplier has no list, so each local
// REFID is checked one by one (real HTTP to the sandbox's OtomaX-style
// supplier), and its balance is compared with the ledger.
func TestReconcileH2HByStatusChecks(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Step: time.Second})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	creds := sandbox.DefaultCredentials()
	ch, err := h2h.New(h2h.Config{Name: "pulsa", BaseURL: srv.URL + sandbox.H2HPath, MemberID: creds.H2HMemberID,
		PIN: creds.H2HPin, Password: creds.H2HPassword}, h2h.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		ref, dest string
		amt       domain.Rupiah
	}{{"H-OK", "081234567890", 50000}, {"H-ST", sandbox.H2HFailDest, 25000}, {"H-2", "081234567891", 10000}} {
		if _, err := ch.Send(ctx, domain.PayoutRequest{RefID: s.ref, Amount: s.amt, Channel: "GOPAY", AccountNumber: s.dest}); err != nil {
			t.Fatalf("send %s: %v", s.ref, err)
		}
	}
	control(t, srv.URL, "POST", "/_control/advance", map[string]float64{"seconds": 30})

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lunas.db"), sqlite.Options{Cipher: newGCM(t), SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Write(ctx, func(tx domain.Tx) error {
		y := domain.Payee{Name: "Ani", Channel: "GOPAY", AccountNumber: "081234567890"}
		if err := tx.CreatePayee(&y); err != nil {
			return err
		}
		for _, x := range []domain.Transfer{
			{RefID: "H-OK", Amount: 50000, Status: domain.TransferSucceeded},
			{RefID: "H-ST", Amount: 25000, Status: domain.TransferSucceeded}, // the supplier says GAGAL
			{RefID: "H-2", Amount: 10000, Status: domain.TransferSucceeded},  // H2H replies carry no amount: status only
			{RefID: "H-GONE", Amount: 5000, Status: domain.TransferAccepted}, // never reached the supplier
		} {
			x.PayeeID, x.Channel = y.ID, ch.Name()
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
			if x.RefID == "H-OK" || x.RefID == "H-2" {
				p := domain.PayoutPosting(&x, false)
				if err := tx.Post(&p); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var progress [][2]int
	rep, err := reconcile.Run(ctx, db, reconcile.Gateways{Payouts: []reconcile.PayoutChecker{ch}}, time.Time{}, time.Time{},
		reconcile.Options{Opening: map[string]domain.Rupiah{ch.Name(): sb.Config().StartBalance},
			Progress: func(done, total int) { progress = append(progress, [2]int{done, total}) }})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]reconcile.Kind{}
	for _, it := range rep.Items {
		got[it.Subject] = it.Kind
		t.Logf("%-8s %-10s %-18s local %s/%v remote %s/%v %s", it.Area, it.Subject, it.Kind, it.LocalStatus, it.LocalAmount, it.RemoteStatus, it.RemoteAmount, it.Note)
	}
	for k, w := range map[string]reconcile.Kind{
		"h2h:pulsa": reconcile.Matched, // start balance minus the two successful payouts
		// H2H status replies carry no amount: the status agrees, the money is not verified.
		"H-OK": reconcile.AmountNotChecked, "H-2": reconcile.AmountNotChecked, "H-ST": reconcile.StatusMismatch, "H-GONE": reconcile.MissingAtGateway,
	} {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if len(progress) != 4 || progress[3] != [2]int{4, 4} {
		t.Errorf("progress = %v, want 1..4 of 4", progress)
	}
	// Each local REFID was asked about once: no list call exists.
	if n := sb.Hits("h2h.trx"); n < 3+4 {
		t.Errorf("h2h.trx hits = %d, want the 3 sends and 4 status checks", n)
	}
	if rep.Counts[reconcile.Matched] != 1 || rep.Counts[reconcile.AmountNotChecked] != 2 {
		t.Errorf("counts = %v, want only the balance matched and 2 amounts not checked", rep.Counts)
	}
}

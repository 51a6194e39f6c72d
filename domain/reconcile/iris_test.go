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
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
)

// TestReconcileIrisStatements: Iris payouts are listed from its statements,
// so a payout Lunas has no record of is found (missing locally), and it
// shows up again as the difference between Iris's balance and the ledger.
func TestReconcileIrisStatements(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Step: time.Second})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	creds := sandbox.DefaultCredentials()
	iris := midtrans.NewIris(midtrans.IrisConfig{BaseURL: srv.URL + "/iris", CreatorKey: creds.IrisCreatorKey,
		ApproverKey: creds.IrisApproverKey, OTP: midtrans.StaticOTP(creds.IrisOTP), Timeout: 5 * time.Second})
	for _, s := range []struct {
		ref string
		amt domain.Rupiah
	}{{"I-OK", 100000}, {"I-GHOST", 40000}} {
		res, err := iris.Send(ctx, domain.PayoutRequest{RefID: s.ref, Amount: s.amt, Channel: "BCA",
			AccountNumber: "0611101146", AccountHolder: "Ani", Description: "test"})
		if err != nil {
			t.Fatalf("send %s: %+v %v", s.ref, res, err)
		}
	}
	control(t, srv.URL, "POST", "/_control/advance", map[string]float64{"seconds": 60})

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lunas.db"), sqlite.Options{Cipher: newGCM(t), SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Write(ctx, func(tx domain.Tx) error {
		y := domain.Payee{Name: "Ani", Channel: "BCA", AccountNumber: "0611101146"}
		if err := tx.CreatePayee(&y); err != nil {
			return err
		}
		for _, x := range []domain.Transfer{
			{RefID: "I-OK", Amount: 100000, Status: domain.TransferSucceeded},
			{RefID: "I-GONE", Amount: 30000, Status: domain.TransferSucceeded},
		} {
			x.PayeeID, x.Channel = y.ID, "iris"
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
		}
		p := domain.PayoutPosting(&domain.Transfer{RefID: "I-OK", PayeeID: y.ID, Channel: "iris", Amount: 100000}, false)
		return tx.Post(&p)
	})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-24 * time.Hour)
	rep, err := reconcile.Run(ctx, db, reconcile.Gateways{Payouts: []reconcile.PayoutChecker{iris}}, from, time.Now().Add(24*time.Hour),
		reconcile.Options{Opening: map[string]domain.Rupiah{"iris": sb.Config().StartBalance}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]reconcile.Item{}
	for _, it := range rep.Items {
		got[it.Subject] = it
		t.Logf("%-8s %-10s %-18s local %s/%v remote %s/%v %s", it.Area, it.Subject, it.Kind, it.LocalStatus, it.LocalAmount, it.RemoteStatus, it.RemoteAmount, it.Note)
	}
	for k, w := range map[string]reconcile.Kind{
		"I-OK": reconcile.Matched, "I-GHOST": reconcile.MissingLocally, "I-GONE": reconcile.MissingAtGateway, "iris": reconcile.AmountMismatch,
	} {
		if got[k].Kind != w {
			t.Errorf("%s = %q, want %q", k, got[k].Kind, w)
		}
	}
	if g := got["I-GHOST"]; g.RemoteAmount != 40000 || g.Gateway != "iris" {
		t.Errorf("ghost = %+v", g)
	}
	if b := got["iris"]; b.RemoteAmount-b.LocalAmount != -40000 {
		t.Errorf("balance difference = %v, want -40000 (the unknown payout)", b.RemoteAmount-b.LocalAmount)
	}
	if len(rep.Items) != 4 {
		t.Errorf("%d items, want 4", len(rep.Items))
	}
}

package reconcile_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/reconcile"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

type gcm struct{ a cipher.AEAD }

func newGCM(t *testing.T) *gcm {
	key := make([]byte, 32)
	rand.Read(key)
	b, _ := aes.NewCipher(key)
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return &gcm{a}
}

func ad(r domain.FieldRef) []byte { return fmt.Appendf(nil, "%s/%s/%d", r.Table, r.Column, r.Row) }

func (g *gcm) Seal(p string, r domain.FieldRef) ([]byte, error) {
	n := make([]byte, g.a.NonceSize())
	rand.Read(n)
	return g.a.Seal(n, n, []byte(p), ad(r)), nil
}

func (g *gcm) Open(c []byte, r domain.FieldRef) (string, error) {
	n := g.a.NonceSize()
	if len(c) < n {
		return "", errors.New("short")
	}
	p, err := g.a.Open(nil, c[:n], c[n:], ad(r))
	return string(p), err
}

// control calls the sandbox control API over HTTP.
func control(t *testing.T, base, method, path string, body any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
}

// TestReconcileSandboxScenario plants every kind of mismatch at the sandbox
// (real HTTP through the Xendit adapter) and in the local store, and checks
// that the reconciliation finds each one and nothing else.
func TestReconcileSandboxScenario(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Step: time.Second})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	creds := sandbox.DefaultCredentials()
	xc := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: creds.XenditSecretKey, Timeout: 5 * time.Second})

	start := time.Now().Add(-time.Hour)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lunas.db"), sqlite.Options{Cipher: newGCM(t), SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Payments at the gateway.
	for _, p := range []struct {
		ext  string
		amt  domain.Rupiah
		paid bool
	}{
		{"PAY-OK", 100000, true},   // matched
		{"PAY-AMT", 100000, true},  // Lunas recorded a different paid amount
		{"PAY-ST", 50000, false},   // Lunas says settled, the gateway says pending
		{"PAY-GHOST", 75000, true}, // paid at the gateway, unknown to Lunas
		{"PAY-LATE", 20000, false}, // pending on both sides: matched
	} {
		if _, err := xc.CreatePayment(ctx, domain.PaymentRequest{ExternalID: p.ext, Amount: p.amt, Description: "test"}); err != nil {
			t.Fatal(err)
		}
		if p.paid {
			control(t, srv.URL, "POST", "/_control/xendit/invoices/"+p.ext+"/pay", nil)
		}
	}
	// Payouts at the gateway.
	for _, s := range []struct {
		ref string
		amt domain.Rupiah
	}{{"R-OK", 90000}, {"R-AMT", 80000}, {"R-ST", 70000}} {
		res, err := xc.Send(ctx, domain.PayoutRequest{RefID: s.ref, Amount: s.amt, Channel: "BCA",
			AccountNumber: "1234567890", AccountHolder: "Ani", Description: "test"})
		if err != nil || res.Outcome != domain.OutcomeAccepted {
			t.Fatalf("send %s: %+v, %v", s.ref, res, err)
		}
	}
	control(t, srv.URL, "POST", "/_control/advance", map[string]float64{"seconds": 30})

	// Local records.
	err = db.Write(ctx, func(tx domain.Tx) error {
		y := domain.Payee{Name: "Ani", Channel: "BCA", AccountNumber: "1234567890"}
		if err := tx.CreatePayee(&y); err != nil {
			return err
		}
		for i, p := range []domain.Payment{
			{ExternalID: "PAY-OK", Amount: 100000, PaidAmount: 100000, Status: domain.PaymentSettled},
			{ExternalID: "PAY-AMT", Amount: 100000, PaidAmount: 150000, Status: domain.PaymentSettled},
			{ExternalID: "PAY-ST", Amount: 50000, PaidAmount: 50000, Status: domain.PaymentSettled},
			{ExternalID: "PAY-GONE", Amount: 30000, Status: domain.PaymentPending},
			{ExternalID: "PAY-LATE", Amount: 20000, Status: domain.PaymentPending},
		} {
			o := domain.Order{ExternalID: fmt.Sprintf("ORD-%d", i), Status: domain.OrderOpen,
				Items: []domain.OrderItem{{Name: "x", Qty: 1, UnitPrice: p.Amount}}}
			if err := tx.CreateOrder(&o); err != nil {
				return err
			}
			p.OrderID, p.Gateway = o.ID, "xendit"
			if err := tx.CreatePayment(&p); err != nil {
				return err
			}
		}
		for _, x := range []domain.Transfer{
			{RefID: "R-OK", Amount: 90000, Status: domain.TransferSucceeded},
			{RefID: "R-AMT", Amount: 85000, Status: domain.TransferSucceeded},
			{RefID: "R-ST", Amount: 70000, Status: domain.TransferFailed},
			{RefID: "R-GONE", Amount: 60000, Status: domain.TransferSucceeded},
			{RefID: "R-HELD", Amount: 50000, Status: domain.TransferAwaitingApproval},
		} {
			x.PayeeID, x.Channel = y.ID, "xendit"
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
		}
		// The ledger: one settlement into clearing:xendit and one payout out of it.
		for _, p := range []domain.Posting{
			domain.SettlementPosting("xendit", "payment:PAY-OK", 100000, []domain.Portion{{Role: domain.RoleSeller, PayeeID: y.ID, Amount: 100000}}),
			domain.PayoutPosting(&domain.Transfer{RefID: "R-OK", PayeeID: y.ID, Channel: "xendit", Amount: 90000}, false),
		} {
			if err := tx.Post(&p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const opening = 1_000_000
	// The channel balance the ledger expects: opening + 100000 - 90000.
	control(t, srv.URL, "POST", "/_control/balance", map[string]any{"channel": "xendit", "amount": opening + 10000 + 2500})

	gw := reconcile.Gateways{Payments: []reconcile.PaymentChecker{xc}, Payouts: []reconcile.PayoutChecker{xc}}
	rep, err := reconcile.Run(ctx, db, gw, start, time.Now().Add(time.Hour), reconcile.Options{Opening: map[string]domain.Rupiah{"xendit": opening}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]reconcile.Kind{}
	for _, it := range rep.Items {
		got[string(it.Area)+":"+it.Subject] = it.Kind
		t.Logf("%-8s %-10s %-18s local %s/%v remote %s/%v %s", it.Area, it.Subject, it.Kind, it.LocalStatus, it.LocalAmount, it.RemoteStatus, it.RemoteAmount, it.Note)
	}
	want := map[string]reconcile.Kind{
		"payment:PAY-OK":    reconcile.Matched,
		"payment:PAY-LATE":  reconcile.Matched,
		"payment:PAY-AMT":   reconcile.AmountMismatch,
		"payment:PAY-ST":    reconcile.StatusMismatch,
		"payment:PAY-GONE":  reconcile.MissingAtGateway,
		"payment:PAY-GHOST": reconcile.MissingLocally,
		"transfer:R-OK":     reconcile.Matched,
		"transfer:R-AMT":    reconcile.AmountMismatch,
		"transfer:R-ST":     reconcile.StatusMismatch,
		"transfer:R-GONE":   reconcile.MissingAtGateway,
		"balance:xendit":    reconcile.AmountMismatch,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d items, want %d (a held, never-sent transfer must not appear)", len(got), len(want))
	}
	for _, it := range rep.Items {
		if it.Area == reconcile.AreaBalance && it.RemoteAmount-it.LocalAmount != 2500 {
			t.Errorf("balance difference = %v, want 2500", it.RemoteAmount-it.LocalAmount)
		}
	}

	// With the balance put right, the balance matches.
	control(t, srv.URL, "POST", "/_control/balance", map[string]any{"channel": "xendit", "amount": opening + 10000})
	rep, err = reconcile.Run(ctx, db, gw, start, time.Now().Add(time.Hour), reconcile.Options{Opening: map[string]domain.Rupiah{"xendit": opening}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if it.Area == reconcile.AreaBalance && it.Kind != reconcile.Matched {
			t.Errorf("balance = %+v, want matched", it)
		}
	}
	if rep.Counts[reconcile.Matched] != 4 { // PAY-OK, PAY-LATE, R-OK and the balance
		t.Errorf("matched = %d, want 4", rep.Counts[reconcile.Matched])
	}
}

// TestReconcileGatewayDown: a gateway that does not answer makes items
// unchecked, never mismatched.
func TestReconcileGatewayDown(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb)
	creds := sandbox.DefaultCredentials()
	xc := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: creds.XenditSecretKey, Timeout: time.Second})
	srv.Close() // nothing listens any more
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lunas.db"), sqlite.Options{Cipher: newGCM(t), SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Write(ctx, func(tx domain.Tx) error {
		y := domain.Payee{Name: "Ani", Channel: "BCA", AccountNumber: "1234567890"}
		if err := tx.CreatePayee(&y); err != nil {
			return err
		}
		return tx.CreateTransfer(&domain.Transfer{RefID: "R-1", PayeeID: y.ID, Channel: "xendit", Amount: 1000, Status: domain.TransferSucceeded})
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reconcile.Run(ctx, db, reconcile.Gateways{Payouts: []reconcile.PayoutChecker{xc}}, time.Time{}, time.Time{}, reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if it.Kind != reconcile.Unchecked {
			t.Errorf("%s %s = %s, want unchecked", it.Area, it.Subject, it.Kind)
		}
	}
	if rep.Counts[reconcile.Unchecked] != 2 { // the transfer and the balance
		t.Errorf("unchecked = %d, want 2", rep.Counts[reconcile.Unchecked])
	}
}

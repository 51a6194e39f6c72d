package app

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/postgres/pgtest"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// paidShop is a SQLite shop whose engine paid n buyers at the sandbox.
func paidShop(t *testing.T, n int) *testShop {
	t.Helper()
	ctx := context.Background()
	s := newTestShop(t, nil)
	shop, err := seedDemo(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	s.setting(settingLimitPerTransfer, "0")
	s.setting(settingLimitPayeeDaily, "0")
	sb := sandbox.New(sandbox.Config{Step: 50 * time.Millisecond, Seed: 5})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	defer sb.Close()
	eng, err := buildEngine(ctx, s.DB, crashEngineOptions(srv.URL, ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range n {
		ext, _, err := demoBuyer(ctx, s.DB, x, shop, rng, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.PayXenditInvoice(ext, 0); err != nil {
			t.Fatal(err)
		}
	}
	waitAllPaid(t, s.DB, n)
	return s
}

// TestDBCopyToPostgres moves a shop from its file to PostgreSQL: the copy is
// verified (counts, ledger, audit chain with the shop's key), the shop opens
// there with the same vault and the same data, and a second copy onto the
// now non-empty database is refused without touching it.
func TestDBCopyToPostgres(t *testing.T) {
	ctx := context.Background()
	s := paidShop(t, 3)
	var want domain.Payee
	var wantBal map[domain.Account]domain.Rupiah
	s.DB.Read(ctx, func(tx domain.ReadTx) error {
		ps, _ := tx.ListPayees(domain.Page{Limit: 1})
		want = ps[0]
		wantBal, _ = tx.Balances()
		return nil
	})
	s.DB.Close()
	target := pgtest.NewDatabase(t)
	useKeychain(t, nil)
	t.Setenv("LUNAS_PASSWORD", testPassword)
	code, out, errs := runLunas(t, "db", "copy", "--from", s.Path, "--to", target)
	if code != 0 || !strings.Contains(out, "every balance the same") || !strings.Contains(out, "verified with the shop's key") {
		t.Fatalf("db copy = %d\n%s\n%s", code, out, errs)
	}
	t.Log(out)
	// The shop opens on the server through its own vault.
	sh, err := unlockShop(ctx, &env{DBPath: target}, false)
	if err != nil {
		t.Fatal(err)
	}
	sh.DB.Read(ctx, func(tx domain.ReadTx) error {
		got, err := tx.GetPayee(want.ID)
		if err != nil || got.AccountNumber != want.AccountNumber || got.Name != want.Name {
			t.Errorf("payee on the server = %+v, %v; want %+v", got, err, want)
		}
		bal, _ := tx.Balances()
		if len(bal) != len(wantBal) || bal["commission"] != wantBal["commission"] {
			t.Errorf("balances %v, want %v", bal, wantBal)
		}
		return nil
	})
	// New rows get new ids (the sequences moved past the copied ones).
	if err := sh.DB.Write(ctx, func(tx domain.Tx) error {
		p := domain.Payee{Name: "Baru"}
		if err := tx.CreatePayee(&p); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{Actor: "sari", Action: "after.copy"})
	}); err != nil {
		t.Fatalf("write after the copy: %v", err)
	}
	sh.Close()
	code, out, errs = runLunas(t, "db", "copy", "--from", s.Path, "--to", target)
	if code != 1 || !strings.Contains(errs, "not empty") || !strings.Contains(errs, "tidak kosong") {
		t.Fatalf("second copy = %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := runLunas(t, "--db", target, "audit", "verify"); code != 0 {
		t.Errorf("audit verify after the refused copy = %d, %s", code, out)
	}
	for _, args := range [][]string{{"db", "copy", "--from", s.Path}, {"db", "copy", "--from", target, "--to", s.Path}} {
		if code, _, _ := runLunas(t, args...); code != 2 {
			t.Errorf("%v = %d, want usage", args, code)
		}
	}
}

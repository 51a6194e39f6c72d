package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
)

// TestCommandsEnforceTheSignedInRole: the command line acts as LUNAS_USER.
// A viewer (vault opened by the key the owner remembered on this computer)
// may export, masked only, and every export is in the audit log under the
// viewer's name; a viewer may not import.
func TestCommandsEnforceTheSignedInRole(t *testing.T) {
	ctx := context.Background()
	kc := useKeychain(t, nil)
	s := newTestShop(t, kc)
	s.addUser("akuntan", domain.RoleViewer)
	if err := s.Sec.RememberVault(ctx, s.Owner, true); err != nil {
		t.Fatal(err)
	}
	s.DB.Close()
	dir := t.TempDir()
	e := &env{DBPath: s.Path, Stdout: &syncBuffer{}, Stderr: &syncBuffer{}}
	payees := filepath.Join(dir, "penerima.csv")
	if err := os.WriteFile(payees, []byte("Nama;Bank;No Rekening\nBu Ani;BCA;1234567890\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "laporan.xlsx")

	t.Setenv("LUNAS_USER", "akuntan")
	t.Setenv("LUNAS_PASSWORD", testPassword)
	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"viewer import payees", func() error { return runImport(e, []string{"payees", payees}) }, domain.ErrPermission},
		{"viewer import orders", func() error { return runImport(e, []string{"orders", payees}) }, domain.ErrPermission},
		{"viewer unmasked export", func() error { return runExport(e, []string{"--unmask", "--out", out}) }, domain.ErrPermission},
		{"viewer export", func() error { return runExport(e, []string{"--out", out}) }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	t.Setenv("LUNAS_PASSWORD", "")
	if err := runExport(e, []string{"--out", out}); !errors.Is(err, errNeedSignIn) {
		t.Fatalf("export with no password: %v", err)
	}

	// The owner imports and exports unmasked.
	t.Setenv("LUNAS_USER", "")
	t.Setenv("LUNAS_PASSWORD", testPassword)
	if err := runImport(e, []string{"payees", payees}); err != nil {
		t.Fatal(err)
	}
	if err := runExport(e, []string{"--unmask", "--out", out}); err != nil {
		t.Fatal(err)
	}

	sh, err := unlockShop(ctx, &env{DBPath: s.Path}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	var n int
	sh.DB.Read(ctx, func(tx domain.ReadTx) error {
		ps, err := tx.ListPayees(domain.Page{})
		n = len(ps)
		return err
	})
	if n != 1 {
		t.Fatalf("%d payees, want the owner's 1 (the viewer's import must write nothing)", n)
	}
	for _, who := range []string{"akuntan", "sari"} {
		if !auditHas(t, sh.DB, who, "export.report") {
			t.Errorf("no audited export by %s", who)
		}
	}
}

// TestServeEngineRefusesSelfApprovalWithTwoUsers: the engine serve builds
// counts the shop's active users, so the owner who created a transfer may
// not approve it while another user exists; with that user disabled the
// owner is alone and may (with a fresh authenticator code).
func TestServeEngineRefusesSelfApprovalWithTwoUsers(t *testing.T) {
	ctx := context.Background()
	useKeychain(t, nil)
	s := newTestShop(t, nil)
	staff := s.addUser("admin", domain.RoleStaff)
	s.secret(secretXenditKey, "xnd_development_unused")
	err := s.DB.Write(ctx, func(tx domain.Tx) error {
		p := domain.Payee{Name: "Bu Ani", Channel: "BCA", AccountNumber: "1234567890", AccountHolder: "Bu Ani", Verification: domain.VerifyOK}
		if err := tx.CreatePayee(&p); err != nil {
			return err
		}
		return tx.CreateTransfer(&domain.Transfer{RefID: "T-SELF", PayeeID: p.ID, Channel: "xendit", Amount: 90000,
			Status: domain.TransferAwaitingApproval, CreatedBy: s.Owner.Name})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.DB.Close()

	t.Setenv("LUNAS_USER", "")
	t.Setenv("LUNAS_PASSWORD", testPassword)
	sh, err := unlockShop(ctx, &env{DBPath: s.Path}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	cs, err := shopChannels(ctx, sh, gatewayURLs{Sandbox: "http://127.0.0.1:1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := shopEngine(ctx, sh, cs, engineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(s.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := time.Now()
	if err := eng.Approve(ctx, s.Owner, code(now), "T-SELF"); !errors.Is(err, domain.ErrPermission) {
		t.Fatalf("self-approval with two users: %v, want ErrPermission", err)
	}
	if err := sh.Sec.SetDisabled(ctx, s.Owner, staff.UserID, true); err != nil {
		t.Fatal(err)
	}
	if err := eng.Approve(ctx, s.Owner, code(now.Add(30*time.Second)), "T-SELF"); err != nil {
		t.Fatalf("the only active user approving: %v", err)
	}
	var st domain.TransferStatus
	sh.DB.Read(ctx, func(tx domain.ReadTx) error {
		tr, err := tx.GetTransfer("T-SELF")
		st = tr.Status
		return err
	})
	if st != domain.TransferApproved {
		t.Fatalf("status %s, want approved", st)
	}
}

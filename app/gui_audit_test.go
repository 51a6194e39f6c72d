package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/ui"
)

// TestGUIExportIsAuditedAndChainSigned: a report exported from the desktop
// leaves an audit entry naming who exported what, and the desktop's chain
// check uses the shop's key (the anchor is signed while the vault is open).
func TestGUIExportIsAuditedAndChainSigned(t *testing.T) {
	dir := t.TempDir()
	g, owner := newOwnerShop(t, filepath.Join(dir, "shop.db"))
	defer g.Close()
	ctx := context.Background()

	out := filepath.Join(dir, "laporan.xlsx")
	if err := g.Export(ctx, owner, ui.ExportRequest{}, out, func(int, int) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("export file: %v", err)
	}
	var found *domain.AuditEntry
	if err := g.store.Read(ctx, func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(0, 0)
		for i := range es {
			if strings.HasPrefix(es[i].Action, "export.") {
				found = &es[i]
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if found == nil {
		t.Fatal("no export.* audit entry after a desktop export")
	}
	if found.Actor != owner.Name || found.Subject != "file:laporan.xlsx" {
		t.Fatalf("export audit entry = %+v, want actor %q and subject file:laporan.xlsx", *found, owner.Name)
	}

	// Someone without the export permission gets nothing and no file.
	nobody := domain.Actor{Name: "x", Role: domain.Role("none")}
	if err := g.Export(ctx, nobody, ui.ExportRequest{}, filepath.Join(dir, "x.xlsx"), func(int, int) {}); !errors.Is(err, domain.ErrPermission) {
		t.Fatalf("export without permission: err = %v, want ErrPermission", err)
	}

	n, err := g.VerifyAudit(ctx, owner)
	if err != nil || n == 0 {
		t.Fatalf("VerifyAudit = %d, %v; want entries and no error", n, err)
	}
}

// TestAuditVerifyChecksSignatureWithPassword: `lunas audit verify` checks the
// anchor's signature when LUNAS_PASSWORD opens the vault, says so, and still
// works (links and anchor head only, "not verified", never "ok") without it.
func TestAuditVerifyChecksSignatureWithPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	g, _ := newOwnerShop(t, path)
	g.Close()

	t.Setenv("LUNAS_USER", "")
	t.Setenv("LUNAS_PASSWORD", "")
	code, out, errs := runLunas(t, "--db", path, "audit", "verify")
	if code != 0 || !strings.HasPrefix(out, "not verified:") || strings.Contains(out, "signature verified") || !strings.Contains(out, "without the key") {
		t.Fatalf("without password: code %d\n%s\n%s", code, out, errs)
	}

	t.Setenv("LUNAS_PASSWORD", "batik-tulis-2026")
	code, out, errs = runLunas(t, "--db", path, "audit", "verify")
	if code != 0 || !strings.Contains(out, "anchor signature verified") {
		t.Fatalf("with password: code %d\n%s\n%s", code, out, errs)
	}

	t.Setenv("LUNAS_PASSWORD", "wrong-password-123")
	if code, out, _ = runLunas(t, "--db", path, "audit", "verify"); code == 0 {
		t.Fatalf("a wrong LUNAS_PASSWORD must not pass silently:\n%s", out)
	}
}

package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/gateways/sandbox"
	"lunas/ui"
)

// TestGUIDemoSettlesAndPaysWithinAMinute is the desktop's "one click" path
// without a display: the services the window is given start the demo shop,
// and within a minute the events the screens listen to report a settled
// payment and a completed transfer, and the store shows them.
func TestGUIDemoSettlesAndPaysWithinAMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo shop for several seconds")
	}
	g, err := newGUIServices(context.Background(), filepath.Join(t.TempDir(), "own.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	svc := g.Services()
	info, err := svc.Demo.StartDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Actor.Role != domain.RoleOwner || info.CodeNow == nil {
		t.Fatalf("demo actor %+v", info.Actor)
	}
	var settled, paid atomic.Int32
	cancel := svc.Events.Subscribe(func(ev ui.Event) {
		switch ev.Kind {
		case ui.EventPaymentSettled:
			settled.Add(1)
		case ui.EventTransferSucceeded:
			paid.Add(1)
		}
	})
	defer cancel()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && (settled.Load() == 0 || paid.Load() == 0) {
		time.Sleep(100 * time.Millisecond)
	}
	if settled.Load() == 0 || paid.Load() == 0 {
		t.Fatalf("after a minute: %d settled, %d paid events", settled.Load(), paid.Load())
	}
	var n int
	if err := svc.Store.Read(context.Background(), func(tx domain.ReadTx) error {
		n, err = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSucceeded}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no succeeded transfer in the store the window reads")
	}
	// A wrong demo code is refused before the engine is asked.
	if err := svc.Transfers.Approve(context.Background(), info.Actor, []string{"RF-NONE"}, "000000"); err == nil {
		t.Fatal("approval with a wrong code accepted")
	}
}

// TestGUIImportWithMapping is the desktop's import: the proposed mapping for
// a marketplace-style file, corrected by the person (the price column has
// an unusual name), then imported; importing again changes nothing.
func TestGUIImportWithMapping(t *testing.T) {
	dir := t.TempDir()
	g, err := newGUIServices(context.Background(), filepath.Join(dir, "own.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	path := filepath.Join(dir, "produk.csv")
	if err := os.WriteFile(path, []byte("Kode,Nama Produk,Harga Tokopedia\nBTK-9,Kain batik Parang,\"Rp850.000\"\nBTK-10,Selendang sogan,275000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pv, err := g.PreviewImport(context.Background(), "products", path)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Rows != 2 || pv.Proposed["name"] != "Nama Produk" || pv.Proposed["sku"] != "Kode" {
		t.Fatalf("preview = %+v", pv)
	}
	if len(pv.Missing) != 1 || pv.Missing[0] != "price" {
		t.Fatalf("missing = %v, want [price]", pv.Missing)
	}
	mapping := map[string]string{"sku": "Kode", "name": "Nama Produk", "price": "Harga Tokopedia"}
	owner := domain.Actor{Name: "sari", Role: domain.RoleOwner}
	viewer := domain.Actor{Name: "akuntan", Role: domain.RoleViewer}
	if _, err := g.Import(context.Background(), viewer, "products", path, mapping); !errors.Is(err, domain.ErrPermission) {
		t.Fatalf("viewer import: %v, want ErrPermission", err)
	}
	res, err := g.Import(context.Background(), owner, "products", path, mapping)
	if err != nil || res.Created != 2 {
		t.Fatalf("import = %+v, %v", res, err)
	}
	res, err = g.Import(context.Background(), owner, "products", path, mapping)
	if err != nil || res.Created != 0 || res.Unchanged != 2 {
		t.Fatalf("second import = %+v, %v", res, err)
	}
}

// TestGUIShopEngineStartsWithItsKey: a real shop set up in the wizard (owner
// with TOTP, then the Xendit key stored through the vault) gets its engine,
// pointed here at a loopback sandbox; "Test connection" uses the same key.
func TestGUIShopEngineStartsWithItsKey(t *testing.T) {
	sb, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("LUNAS_XENDIT_URL", url)
	g, err := newGUIServices(context.Background(), filepath.Join(t.TempDir(), "own.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx := context.Background()
	if has, err := g.HasUsers(ctx); err != nil || has {
		t.Fatalf("fresh shop has users: %v %v", has, err)
	}
	enr, err := g.BeginOwner(ctx, "sari", "batik-tulis-2026")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, time.Now())
	owner, err := g.FinishOwner(ctx, "sari", "batik-tulis-2026", enr, code)
	if err != nil || owner.Role != domain.RoleOwner {
		t.Fatalf("owner: %+v, %v", owner, err)
	}
	if !g.Paused() {
		t.Fatal("an engine runs before any gateway key is stored")
	}
	key := sb.Credentials().XenditSecretKey
	if err := g.TestConnection(ctx, "xendit", map[string]string{"key1": "xnd_wrong"}); err == nil {
		t.Fatal("a wrong key passed the connection test")
	}
	if err := g.TestConnection(ctx, "xendit", map[string]string{"key1": key}); err != nil {
		t.Fatalf("connection test: %v", err)
	}
	staff := domain.Actor{Name: "admin", Role: domain.RoleStaff}
	if err := g.SaveSetting(ctx, staff, "gateway.xendit.key1", key); !errors.Is(err, domain.ErrPermission) {
		t.Fatalf("staff stored a key: %v", err)
	}
	if err := g.SaveSetting(ctx, owner, "gateway.xendit.key1", key); err != nil {
		t.Fatal(err)
	}
	if g.Paused() {
		t.Fatal("no engine after the key was stored")
	}
	bal, err := g.Balances(ctx)
	if err != nil || bal["Xendit"] <= 0 {
		t.Fatalf("balances = %v, %v", bal, err)
	}
	// The key is sealed: the settings table does not hold it.
	var plain string
	_ = g.store.Read(ctx, func(tx domain.ReadTx) error {
		plain, _ = tx.GetSetting("gateway.xendit.key1")
		return nil
	})
	if plain != "" {
		t.Fatal("the gateway key is stored as a plain setting")
	}

	// Limits are typed as people write rupiah and stored as the engine reads
	// them; AML thresholds land in the risk configuration.
	for key, typed := range map[string]string{"limits.per_transfer": "Rp1.500.000", "aml.single_limit": "Rp20.000.000", "aml.velocity_max": "7"} {
		if err := g.SaveSetting(ctx, owner, key, typed); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if got, err := g.Setting(ctx, owner, key); err != nil || got != typed {
			t.Errorf("%s reads back %q, %v; want %q", key, got, err, typed)
		}
	}
	_ = g.store.Read(ctx, func(tx domain.ReadTx) error {
		plain, _ = tx.GetSetting("limits.per_transfer")
		return nil
	})
	if plain != "1500000" {
		t.Errorf("stored limit = %q, want 1500000", plain)
	}
	if err := g.SaveSetting(ctx, owner, "limits.per_transfer", "satu juta"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("garbage limit: %v, want ErrInvalid", err)
	}
	if err := g.SaveSetting(ctx, staff, "aml.single_limit", "Rp1"); !errors.Is(err, domain.ErrPermission) {
		t.Errorf("staff changed AML: %v", err)
	}
}

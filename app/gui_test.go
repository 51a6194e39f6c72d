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

	"lunas/domain"
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

package app

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
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
	// The minute is the demo's own pace (its sandbox and buyers); a loaded
	// machine only adds to it, so the wait ends when nothing moves any more.
	var events atomic.Int32
	cancelAll := svc.Events.Subscribe(func(ui.Event) { events.Add(1) })
	defer cancelAll()
	if !waitProgress(t, func() bool { return settled.Load() > 0 && paid.Load() > 0 }, func() string { return fmt.Sprint(events.Load()) }) {
		t.Fatalf("the demo stopped moving: %d settled, %d paid events", settled.Load(), paid.Load())
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
	if err := g.CheckDatabase(ctx); err != nil { // the window runs it once it is up
		t.Fatal(err)
	}
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
	if err := g.TestConnection(ctx, "xendit", map[string]string{"key1": key}); !errors.Is(err, ui.ErrTestMode) {
		t.Fatalf("connection test: %v, want connected in test mode (a sandbox key)", err)
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

// newOwnerShop is a real shop on disk with the owner sari signed in.
func newOwnerShop(t *testing.T, path string) (*guiServices, domain.Actor) {
	t.Helper()
	g, err := newGUIServices(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	enr, err := g.BeginOwner(context.Background(), "sari", "batik-tulis-2026")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, time.Now())
	owner, err := g.FinishOwner(context.Background(), "sari", "batik-tulis-2026", enr, code)
	if err != nil {
		g.Close()
		t.Fatal(err)
	}
	return g, owner
}

// corrupt overwrites b-tree pages of a closed database file (page 1, the
// header and schema, stays), so integrity_check fails.
func corrupt(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096 * 2; i < len(data)-4096; i += 4096 {
		copy(data[i+100:i+300], make([]byte, 200))
		data[i] = 0xff
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestGUIEngineWaitsForDatabaseCheck: the shop's engine starts only after
// the full integrity check passed, never on a file found damaged.
func TestGUIEngineWaitsForDatabaseCheck(t *testing.T) {
	sb, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("LUNAS_XENDIT_URL", url)
	ctx := context.Background()
	key := sb.Credentials().XenditSecretKey
	for _, tc := range []struct {
		name    string
		outcome error // nil: the real check runs
		starts  bool
	}{
		{"check passes", nil, true},
		{"file damaged", &sqlite.DamagedError{Path: "shop.db", Detail: "test"}, false},
		{"check could not run", os.ErrPermission, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, owner := newOwnerShop(t, filepath.Join(t.TempDir(), "own.db"))
			defer g.Close()
			// Signing in already started a check; this one stands for the
			// window's check, not run yet or with the outcome given.
			chk := newIntegrityCheck()
			if tc.outcome != nil {
				chk.finish(tc.outcome)
			}
			g.mu.Lock()
			g.check = chk
			g.mu.Unlock()
			// The window has not run the check yet: storing the key must
			// not start sending before the check has an answer.
			if err := g.SaveSetting(ctx, owner, "gateway.xendit.key1", key); err != nil {
				t.Fatal(err)
			}
			if tc.starts {
				waitProgress(t, func() bool { return !g.Paused() }, nil)
				if g.Paused() {
					t.Fatal("the engine did not start after the check passed")
				}
				if err := g.CheckDatabase(ctx); err != nil {
					t.Fatal(err)
				}
				return
			}
			time.Sleep(200 * time.Millisecond)
			if !g.Paused() {
				t.Fatal("the engine started although the check failed")
			}
			if err := g.startShopEngine(ctx); !errors.Is(err, tc.outcome) {
				t.Fatalf("startShopEngine = %v, want %v", err, tc.outcome)
			}
		})
	}
}

// TestGUIDamagedFileRestoredFromBackup: a damaged shop file still opens a
// window (every call says why); restoring a verified backup replaces it,
// keeps the damaged file aside, audits, and the owner signs in again.
func TestGUIDamagedFileRestoredFromBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, backup := filepath.Join(dir, "own.db"), filepath.Join(dir, "backup.db")
	g, owner := newOwnerShop(t, path)
	if err := g.Backup(ctx, owner, backup); err != nil {
		t.Fatal(err)
	}
	g.Close()
	corrupt(t, path)

	g, err := newGUIServices(ctx, path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("a damaged file gives no window: %v", err)
	}
	defer g.Close()
	if err := g.CheckDatabase(ctx); !errors.Is(err, domain.ErrDamaged) {
		t.Fatalf("check of a damaged file = %v", err)
	}
	if err := g.VerifyBackup(ctx, path); !errors.Is(err, domain.ErrDamaged) {
		t.Fatalf("the damaged file verifies as a backup: %v", err)
	}
	notLunas := filepath.Join(dir, "other.db")
	if err := sqlite.BackupFile(ctx, backup, notLunas); err != nil {
		t.Fatal(err)
	}
	q, err := sql.Open("sqlite", notLunas)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Exec("DROP TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	q.Close()
	if err := g.Restore(ctx, domain.Actor{}, notLunas); !errors.Is(err, errNotLunasBackup) {
		t.Fatalf("restore of a non-Lunas file = %v", err)
	}

	// Nobody can sign in to a damaged file, so the restore needs no actor.
	if err := g.Restore(ctx, domain.Actor{}, backup); err != nil {
		t.Fatal(err)
	}
	if err := g.CheckDatabase(ctx); err != nil {
		t.Fatalf("check after restore: %v", err)
	}
	if has, err := g.HasUsers(ctx); err != nil || !has {
		t.Fatalf("restored shop has users: %v, %v", has, err)
	}
	aside, _ := filepath.Glob(path + ".before-restore-*")
	if len(aside) == 0 {
		t.Fatal("the damaged file was not kept aside")
	}
	var restored bool
	if err := g.store.Read(ctx, func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(0, 0)
		// Written while the vault is locked: it waits outside the chain
		// until the owner's next entry with the key chains it.
		pending, perr := tx.(interface {
			ListAuditPending() ([]domain.AuditEntry, error)
		}).ListAuditPending()
		for _, e := range append(es, pending...) {
			restored = restored || e.Action == "db.restore"
		}
		return errors.Join(err, perr)
	}); err != nil {
		t.Fatal(err)
	}
	if !restored {
		t.Fatal("the restore is not in the audit log nor waiting for it")
	}
}

// TestGUIRestoreNeedsTheOwner: on a healthy file only the owner restores.
func TestGUIRestoreNeedsTheOwner(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	g, owner := newOwnerShop(t, filepath.Join(dir, "own.db"))
	defer g.Close()
	if err := g.CheckDatabase(ctx); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "b.db")
	if err := g.Backup(ctx, owner, backup); err != nil {
		t.Fatal(err)
	}
	for _, who := range []domain.Actor{{}, {Name: "budi", Role: domain.RoleStaff}} {
		if err := g.Restore(ctx, who, backup); !errors.Is(err, domain.ErrPermission) {
			t.Errorf("restore by %+v = %v, want ErrPermission", who, err)
		}
	}
	if err := g.Restore(ctx, owner, backup); err != nil {
		t.Fatal(err)
	}
	if err := g.CheckDatabase(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestGUIUsersAndErase: role changes, disabling and erasure go through the
// security service (owner only; the last owner stays).
func TestGUIUsersAndErase(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "own.db")
	g, owner := newOwnerShop(t, dbPath)
	defer g.Close()
	if _, err := g.AddUser(ctx, owner, "budi", domain.RoleStaff, "kasir-toko-2026"); err != nil {
		t.Fatal(err)
	}
	us, err := g.ListUsers(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, u := range us {
		ids[u.Name] = u.ID
	}
	staff := domain.Actor{Name: "budi", Role: domain.RoleStaff, UserID: ids["budi"]}
	if err := g.SetRole(ctx, staff, ids["budi"], domain.RoleOwner); !errors.Is(err, domain.ErrPermission) {
		t.Errorf("staff promoted: %v", err)
	}
	if err := g.SetRole(ctx, owner, ids["sari"], domain.RoleViewer); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("last owner demoted: %v", err)
	}
	if err := g.SetDisabled(ctx, owner, ids["budi"], true); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Login(ctx, "budi", "kasir-toko-2026", "000000"); !errors.Is(err, ui.ErrLockedOut) && !errors.Is(err, ui.ErrBadLogin) {
		t.Errorf("disabled user signs in: %v", err)
	}
	p := domain.Payee{Name: "Bu Wati", Channel: "BRI", AccountNumber: "002201234567", AccountHolder: "WATI"}
	if err := g.SavePayee(ctx, owner, &p); err != nil {
		t.Fatal(err)
	}
	if err := g.ErasePayee(ctx, staff, p.ID); !errors.Is(err, domain.ErrPermission) {
		t.Errorf("staff erased: %v", err)
	}
	// The raw scan below can fail: before the erasure the file holds the
	// name (the payees row), so it would find a copy left anywhere else,
	// such as the append-only audit log, which erasure cannot change (the
	// desktop's save once wrote the name into its audit entry).
	needles := []string{"Bu Wati", "WATI", "002201234567"}
	if !rawHas(t, dbPath, needles[0]) {
		t.Fatalf("the raw scan does not see %q before the erasure", needles[0])
	}
	if err := g.ErasePayee(ctx, owner, p.ID); err != nil {
		t.Fatal(err)
	}
	for _, n := range needles {
		if rawHas(t, dbPath, n) {
			t.Errorf("%q is still in the shop's files after the erasure", n)
		}
	}
}

// rawHas reports whether the bytes of the database file or its WAL hold s.
func rawHas(t *testing.T, path, s string) bool {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

var (
	guiBenchRows = flag.Int("gui.rows", 1_000_000, "transfers in BenchmarkGUIOpen's database")
	guiBenchDB   = flag.String("gui.db", "", "BenchmarkGUIOpen: build (if missing) and keep the database at this path, e.g. for scripts/startup-bench.sh")
)

// BenchmarkGUIOpen measures what the desktop does before its window can be
// shown (opening the shop's file, migrations, the security service) with
// *gui.rows transfers: "full" is the old start with integrity_check on open,
// "none" is the start now; then the full check the window runs in the
// background once it is up (check-ms).
func BenchmarkGUIOpen(b *testing.B) {
	ctx := context.Background()
	path := *guiBenchDB
	if path == "" {
		path = filepath.Join(b.TempDir(), "big.db")
	}
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		db, err := sqlite.Open(ctx, path, sqlite.Options{SyncNormal: true})
		if err != nil {
			b.Fatal(err)
		}
		err = db.WriteTx(ctx, func(tx *sqlite.Tx) error {
			stx, c := tx.SQL()
			now := time.Now().UnixMicro()
			if _, err := stx.ExecContext(c, `INSERT INTO payees(name, channel, created_at, updated_at) VALUES ('Bu Ani', 'BCA', ?, ?), ('Pak Budi', 'BRI', ?, ?), ('Bu Citra', 'MANDIRI', ?, ?)`,
				now, now, now, now, now, now); err != nil {
				return err
			}
			_, err := stx.ExecContext(c, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?)
				INSERT INTO transfers(refid, payee_id, channel, amount, status, created_by, created_at, updated_at)
				SELECT printf('RF-BENCH-%07d', x), (SELECT MIN(id) FROM payees) + x % 3, 'xendit', 10000 + x % 5000 * 100,
				  CASE WHEN x % 1000 = 1 THEN 'awaiting_approval' WHEN x % 1000 = 2 THEN 'failed' ELSE 'succeeded' END,
				  'engine', ? - x * 31536, ? - x * 31536 FROM c`, *guiBenchRows, now, now)
			return err
		})
		db.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d transfers in %s", *guiBenchRows, time.Since(start).Round(time.Millisecond))
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, level := range []struct {
		name  string
		check sqlite.CheckLevel
	}{{"full", sqlite.CheckFull}, {"none", sqlite.CheckNone}} {
		b.Run(level.name, func(b *testing.B) {
			old := guiOpenCheck
			guiOpenCheck = level.check
			defer func() { guiOpenCheck = old }()
			var check time.Duration
			for i := 0; i < b.N; i++ {
				g, err := newGUIServices(ctx, path, log)
				if err != nil {
					b.Fatal(err)
				}
				if level.check == sqlite.CheckNone && i == 0 {
					b.StopTimer()
					start := time.Now()
					if err := g.CheckDatabase(ctx); err != nil {
						b.Fatal(err)
					}
					check = time.Since(start)
					b.StartTimer()
				}
				g.Close()
			}
			if check > 0 {
				b.ReportMetric(float64(check.Milliseconds()), "check-ms")
			}
		})
	}
}

// TestGUITestConnectionEveryGateway: "Test connection" against the sandbox
// over loopback for each gateway the wizard offers; right keys pass, wrong
// keys fail.
func TestGUITestConnectionEveryGateway(t *testing.T) {
	sb, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("LUNAS_SANDBOX_URL", url)
	g, err := newGUIServices(context.Background(), filepath.Join(t.TempDir(), "own.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	c := sb.Credentials()
	for _, tc := range []struct {
		name, gateway string
		keys          map[string]string
		ok            bool
	}{
		{"xendit", "xendit", map[string]string{"key1": c.XenditSecretKey}, true},
		{"xendit wrong key", "xendit", map[string]string{"key1": "xnd_development_wrong"}, false},
		{"midtrans and iris", "midtrans", map[string]string{"key1": c.MidtransServerKey, "key2": c.IrisApproverKey}, true},
		{"midtrans only", "midtrans", map[string]string{"key1": c.MidtransServerKey}, true},
		{"iris creator key only", "midtrans", map[string]string{"key2": c.IrisCreatorKey}, true},
		{"midtrans wrong server key", "midtrans", map[string]string{"key1": "SB-Mid-server-wrong", "key2": c.IrisApproverKey}, false},
		{"iris wrong key", "midtrans", map[string]string{"key1": c.MidtransServerKey, "key2": "IRIS-wrong"}, false},
		{"midtrans no keys", "midtrans", map[string]string{}, false},
		{"h2h", "h2h", map[string]string{"member_id": c.H2HMemberID, "key1": c.H2HPassword, "key2": c.H2HPin}, true},
		{"h2h wrong pin", "h2h", map[string]string{"member_id": c.H2HMemberID, "key1": c.H2HPassword, "key2": "0000"}, false},
		{"h2h no member", "h2h", map[string]string{"key1": c.H2HPassword, "key2": c.H2HPin}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := g.TestConnection(context.Background(), tc.gateway, tc.keys)
			if ok := err == nil || errors.Is(err, ui.ErrTestMode); ok != tc.ok {
				t.Fatalf("TestConnection = %v, want ok=%v", err, tc.ok)
			}
			// Sandbox keys are test-mode keys; a refused key is said so.
			if strings.HasPrefix(tc.keys["key1"], "xnd_development_") && tc.ok && !errors.Is(err, ui.ErrTestMode) {
				t.Fatalf("TestConnection = %v, want the test-mode note", err)
			}
			if strings.Contains(tc.name, "wrong") && tc.gateway != "h2h" && !errors.Is(err, ui.ErrKeyRefused) {
				t.Fatalf("TestConnection = %v, want key refused", err)
			}
		})
	}
	// Nothing listens on port 1 of this machine: unreachable, said so.
	t.Setenv("LUNAS_SANDBOX_URL", "http://127.0.0.1:1")
	if err := g.TestConnection(context.Background(), "xendit", map[string]string{"key1": c.XenditSecretKey}); !errors.Is(err, ui.ErrUnreachable) {
		t.Fatalf("closed port: %v, want unreachable", err)
	}
}

// TestAppLogFile: the desktop's log is logs/lunas.log beside the database;
// the connection test's detail lands there with the key typed redacted, and
// Fyne's own errors (the standard logger) land in the same file.
func TestAppLogFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "lunas.db")
	var stderr strings.Builder
	alog, err := openAppLog(db, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGUIServices(context.Background(), db, alog.Logger)
	if err != nil {
		t.Fatal(err)
	}
	g.redact, g.logPath = alog.Redact, alog.Path
	t.Setenv("LUNAS_SANDBOX_URL", "http://127.0.0.1:1")
	secret := "xnd_production_VerySecretKeyTyped0001"
	if err := g.TestConnection(context.Background(), "xendit", map[string]string{"key1": secret}); !errors.Is(err, ui.ErrUnreachable) {
		t.Fatalf("closed port: %v", err)
	}
	log.Printf("Fyne error: something with %s", secret)
	g.Close()
	if err := alog.Close(); err != nil {
		t.Fatal(err)
	}
	if alog.Path != filepath.Join(dir, "logs", "lunas.log") {
		t.Fatalf("log at %s", alog.Path)
	}
	b, err := os.ReadFile(alog.Path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !strings.Contains(text, "test connection failed") || !strings.Contains(text, "Fyne error: something with") {
		t.Fatalf("log lacks the connection test or Fyne's error:\n%s", text)
	}
	if strings.Contains(text, secret) || strings.Contains(stderr.String(), secret) {
		t.Fatalf("the key typed reached the log:\n%s", text)
	}
}

// TestGUIShopEngineUsesEveryChannel: keys stored in Settings for Midtrans,
// Iris and an H2H supplier (no Xendit) give the desktop's own engine those
// channels, as "lunas serve" builds them; the dashboard sees their balances.
func TestGUIShopEngineUsesEveryChannel(t *testing.T) {
	sb, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("LUNAS_SANDBOX_URL", url)
	g, owner := newOwnerShop(t, filepath.Join(t.TempDir(), "own.db"))
	defer g.Close()
	ctx := context.Background()
	if err := g.CheckDatabase(ctx); err != nil {
		t.Fatal(err)
	}
	c := sb.Credentials()
	// The order of the Settings screen's gateway section.
	for _, kv := range [][2]string{
		{"gateway.midtrans.key1", c.MidtransServerKey},
		{"gateway.midtrans.key2", c.IrisApproverKey},
		{"gateway.iris.key_creator", c.IrisCreatorKey},
		{"gateway.h2h.url", url + sandbox.H2HPath},
		{"gateway.h2h.member_id", c.H2HMemberID},
		{"gateway.h2h.key1", c.H2HPassword},
		{"gateway.h2h.key2", c.H2HPin},
	} {
		if err := g.SaveSetting(ctx, owner, kv[0], kv[1]); err != nil {
			t.Fatalf("%s: %v", kv[0], err)
		}
	}
	if g.Paused() {
		t.Fatal("no engine with Midtrans, Iris and H2H keys")
	}
	// The engine started with the first key and is rebuilt with the rest
	// a second after the last change: the H2H supplier joins.
	waitProgress(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		_, h := g.channels["h2h:h2h"]
		return h && g.shopEngine != nil
	}, nil)
	g.mu.Lock()
	names := make([]string, 0, len(g.channels))
	for n := range g.channels {
		names = append(names, n)
	}
	running := g.shopEngine != nil
	g.mu.Unlock()
	if !running || len(names) != 2 {
		t.Fatalf("after the settings: engine running %v, channels %v (want iris and the H2H supplier)", running, names)
	}
	if p, err := g.paymentGateway(""); err != nil || p.Name() != "midtrans" {
		t.Fatalf("payment links through %v, %v; want midtrans", p, err)
	}
	bal, err := g.Balances(ctx)
	if err != nil || bal["Midtrans Iris"] <= 0 || bal["H2H h2h"] <= 0 {
		t.Fatalf("balances = %v, %v", bal, err)
	}
	// Reconciliation asks the same channels (no Xendit needed).
	if _, err := g.Reconcile(ctx, owner, time.Now().Add(-time.Hour), time.Now()); err != nil {
		t.Fatalf("reconcile without Xendit: %v", err)
	}
}

// TestGUIReviewConflictAndDestination is the desktop's conflict review on
// the shop's own engine: the sandbox pays a REFID the shop recorded failed,
// a status check records the conflict, the window's services list it with
// the destination fixed at creation, staff may not settle it, the owner does.
func TestGUIReviewConflictAndDestination(t *testing.T) {
	sb, url, stop, err := startSandbox(sandbox.Config{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("LUNAS_XENDIT_URL", url)
	g, owner := newOwnerShop(t, filepath.Join(t.TempDir(), "own.db"))
	defer g.Close()
	ctx := context.Background()
	svc := g.Services()
	if _, err := svc.Review.Conflicts(ctx); !errors.Is(err, ui.ErrNotAvailable) {
		t.Fatalf("conflicts without an engine: %v", err)
	}
	if err := g.CheckDatabase(ctx); err != nil {
		t.Fatal(err)
	}
	key := sb.Credentials().XenditSecretKey
	if err := g.SaveSetting(ctx, owner, "gateway.xendit.key1", key); err != nil {
		t.Fatal(err)
	}
	const ref = "RF-CONFLICT-1"
	err = g.store.Write(ctx, func(tx domain.Tx) error {
		p := domain.Payee{Name: "Pak Joko", Channel: "BNI", AccountNumber: "0001000012", AccountHolder: "Joko Santoso", Verification: domain.VerifyOK}
		if err := tx.CreatePayee(&p); err != nil {
			return err
		}
		o := domain.Order{ExternalID: "BTK-9", Source: "test", BuyerName: "Rina", Items: []domain.OrderItem{{Name: "Kain", Qty: 1, UnitPrice: 189000}},
			Status: domain.OrderPaid, CreatedAt: time.Now()}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		pay := domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: "BTK-9", Amount: 189000, PaidAmount: 189000, Status: domain.PaymentSettled, CreatedAt: time.Now()}
		if err := tx.CreatePayment(&pay); err != nil {
			return err
		}
		ob := domain.Obligation{PaymentID: pay.ID, OrderID: o.ID, PayeeID: p.ID, Role: domain.RoleSeller, Amount: 189000, Status: domain.ObligationOpen, CreatedAt: time.Now()}
		if err := tx.CreateObligation(&ob); err != nil {
			return err
		}
		return tx.CreateTransfer(&domain.Transfer{RefID: ref, ObligationID: ob.ID, PayeeID: p.ID, Channel: "xendit", Amount: 189000,
			Status: domain.TransferFailed, FailureCode: "INVALID_DESTINATION", FailureReason: "account closed", CreatedAt: time.Now(), CreatedBy: "engine"})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The gateway paid that REFID after all.
	x := xendit.New(xendit.Config{BaseURL: url, SecretKey: key, Timeout: 5 * time.Second})
	if _, err := x.Send(ctx, domain.PayoutRequest{RefID: ref, Amount: 189000, Channel: "BNI", AccountNumber: "0001000012", AccountHolder: "Joko Santoso", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sandbox to pay", func() bool {
		r, err := x.Status(ctx, ref)
		return err == nil && r.Outcome == domain.OutcomeSucceeded
	})
	if err := svc.Transfers.CheckStatus(ctx, owner, ref); err != nil {
		t.Fatal(err)
	}
	cs, err := svc.Review.Conflicts(ctx)
	if err != nil || len(cs) != 1 || cs[0].RefID != ref || cs[0].Stored != domain.TransferFailed || cs[0].News != domain.OutcomeSucceeded {
		t.Fatalf("conflicts = %+v, %v", cs, err)
	}
	d, err := svc.Review.Destination(ctx, ref)
	if err != nil || d.Bank != "BNI" || d.AccountNumber != "0001000012" || d.AccountHolder != "Joko Santoso" {
		t.Fatalf("destination = %+v, %v", d, err)
	}
	if _, err := svc.Transfers.SendAgain(ctx, owner, ref, ""); !errors.Is(err, domain.ErrUnsafe) {
		t.Fatalf("send again during a conflict: %v", err)
	}
	staff := domain.Actor{Name: "admin", Role: domain.RoleStaff}
	if err := svc.Review.ConfirmPaidAfterAll(ctx, staff, ref, "seen"); !errors.Is(err, domain.ErrPermission) {
		t.Fatalf("staff corrected a transfer: %v", err)
	}
	if err := svc.Review.ResolveConflict(ctx, owner, ref, "  "); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("resolve without a note: %v", err)
	}
	if err := svc.Review.ConfirmPaidAfterAll(ctx, owner, ref, "BNI statement shows it"); err != nil {
		t.Fatal(err)
	}
	if cs, err := svc.Review.Conflicts(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("conflicts after the correction = %+v, %v", cs, err)
	}
	var st domain.TransferStatus
	_ = g.store.Read(ctx, func(tx domain.ReadTx) error {
		tr, err := tx.GetTransfer(ref)
		st = tr.Status
		return err
	})
	if st != domain.TransferSucceeded {
		t.Errorf("status after the correction = %s", st)
	}
	if !auditHas(t, g.store, owner.Name, "transfer.corrected") {
		t.Error("the correction is not audited")
	}
	if n := sb.PaidCount("xendit", ref); n != 1 {
		t.Errorf("sandbox paid %d times", n)
	}
}

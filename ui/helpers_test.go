package ui

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// gcmCipher is a real AES-256-GCM field cipher bound to the field reference
// (the vault's job in the application).
type gcmCipher struct{ a cipher.AEAD }

func newGCM(t testing.TB) *gcmCipher {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	b, _ := aes.NewCipher(key)
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmCipher{a}
}

func (g *gcmCipher) ad(r domain.FieldRef) []byte {
	return []byte(fmt.Sprintf("%s/%s/%d", r.Table, r.Column, r.Row))
}

func (g *gcmCipher) Seal(p string, r domain.FieldRef) ([]byte, error) {
	n := make([]byte, g.a.NonceSize())
	if _, err := rand.Read(n); err != nil {
		return nil, err
	}
	return g.a.Seal(n, n, []byte(p), g.ad(r)), nil
}

func (g *gcmCipher) Open(c []byte, r domain.FieldRef) (string, error) {
	ns := g.a.NonceSize()
	if len(c) < ns {
		return "", errors.New("short ciphertext")
	}
	p, err := g.a.Open(nil, c[:ns], c[ns:], g.ad(r))
	return string(p), err
}

// fixedNow is the test clock: 22 Nov 2026 10:00 WIB.
var fixedNow = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// openStore opens a real SQLite store in a temporary folder.
func openStore(t testing.TB, now func() time.Time) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lunas.db"),
		sqlite.Options{Cipher: newGCM(t), Now: now, SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seeded is what seedShop stored.
type seeded struct {
	payees    []domain.Payee
	awaiting  []string // REFIDs awaiting approval
	failed    string
	unknown   string
	succeeded string
}

// seedShop stores a small batik shop: three makers, products, an order with
// a settled payment, and transfers in every interesting state. Times are
// fixed so that renders are reproducible.
func seedShop(t testing.TB, st domain.Store) seeded {
	t.Helper()
	var s seeded
	at := func(min int) time.Time { return fixedNow.Add(time.Duration(-min) * time.Minute) }
	err := st.Write(context.Background(), func(tx domain.Tx) error {
		for i, m := range []struct{ name, bank, acct string }{
			{"Bu Ani (Batik Tulis Solo)", "BCA", "0611101146"},
			{"Pak Joko (Batik Cap)", "BNI", "0001000012"},
			{"Mbak Wulan (Ecoprint)", "GOPAY", "08123450000"},
		} {
			p := domain.Payee{Name: m.name, Channel: m.bank, AccountNumber: m.acct, AccountHolder: m.name,
				Verification: domain.VerifyOK, Email: fmt.Sprintf("maker%d@example.com", i)}
			if err := tx.CreatePayee(&p); err != nil {
				return err
			}
			s.payees = append(s.payees, p)
			pr := domain.Product{SKU: fmt.Sprintf("BTK-%03d", i+1), Name: "Kain batik " + m.bank, Price: domain.Rupiah(250000 * (i + 1)), PayeeID: p.ID, Active: true}
			if err := tx.CreateProduct(&pr); err != nil {
				return err
			}
		}
		o := domain.Order{ExternalID: "BTK-0001", Source: "demo", BuyerName: "Rina Kartika", BuyerEmail: "rina@example.com",
			Items: []domain.OrderItem{{Name: "Kain batik BCA", Qty: 2, UnitPrice: 250000}}, Shipping: 15000,
			Status: domain.OrderPaid, CreatedAt: at(120)}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		pay := domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: "BTK-0001", GatewayRef: "inv_1", Amount: 515000,
			PaidAmount: 515000, Status: domain.PaymentPending, URL: "https://checkout.sandbox/inv_1", CreatedAt: at(120)}
		if err := tx.CreatePayment(&pay); err != nil {
			return err
		}
		if err := tx.SetPaymentStatus(pay.ID, domain.PaymentPending, domain.PaymentSettled, 515000, "", at(110)); err != nil {
			return err
		}
		mk := func(ref string, payee int, amt domain.Rupiah, st domain.TransferStatus, min int, why string) error {
			ob := domain.Obligation{PaymentID: pay.ID, OrderID: o.ID, PayeeID: s.payees[payee].ID, Role: domain.RoleSeller,
				Amount: amt, Status: domain.ObligationOpen, CreatedAt: at(min)}
			if err := tx.CreateObligation(&ob); err != nil {
				return err
			}
			tr := domain.Transfer{RefID: ref, ObligationID: ob.ID, PayeeID: s.payees[payee].ID, Channel: "xendit", Amount: amt, Status: st,
				CreatedAt: at(min), CreatedBy: "engine"}
			switch st {
			case domain.TransferAwaitingApproval:
				tr.HoldReason = why
			case domain.TransferFailed:
				tr.FailureCode, tr.FailureReason = "INVALID_DESTINATION", why
			}
			return tx.CreateTransfer(&tr)
		}
		s.awaiting = []string{"RF-20261122-0001", "RF-20261122-0002", "RF-20261122-0003"}
		for i, ref := range s.awaiting {
			if err := mk(ref, i, domain.Rupiah(1_250_000+i*100_000), domain.TransferAwaitingApproval, 30-i, "above the automatic limit Rp1.000.000"); err != nil {
				return err
			}
		}
		s.failed, s.unknown, s.succeeded = "RF-20261122-0010", "RF-20261122-0011", "RF-20261122-0012"
		if err := mk(s.failed, 1, 189000, domain.TransferFailed, 50, "account closed"); err != nil {
			return err
		}
		if err := mk(s.unknown, 2, 65000, domain.TransferUnknown, 45, ""); err != nil {
			return err
		}
		if err := mk(s.succeeded, 0, 425000, domain.TransferSucceeded, 60, ""); err != nil {
			return err
		}
		if err := mk("RF-20261122-0013", 0, 95000, domain.TransferAccepted, 5, ""); err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			if err := tx.AppendAudit(&domain.AuditEntry{At: at(10 - i), Actor: "engine", Action: "transfer.status",
				Subject: "transfer:" + s.awaiting[i], Detail: "awaiting_approval"}); err != nil {
				return err
			}
		}
		return tx.SetSetting(SettingShopName, "Batik Sari")
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// totpCodes is the security service's job in the application: a real TOTP
// check against one secret.
type totpCodes struct{ secret string }

func (c totpCodes) VerifyCode(_ context.Context, _ domain.Actor, code string) error {
	if !totp.Validate(code, c.secret) {
		return ErrBadCode
	}
	return nil
}

// engineActor adapts the engine's manual actions to TransferActor, as app does.
type engineActor struct{ e *engine.Engine }

func (a engineActor) Approve(ctx context.Context, actor domain.Actor, refIDs []string, code string) error {
	return a.e.Approve(ctx, actor, code, refIDs...)
}

func (a engineActor) Reject(ctx context.Context, actor domain.Actor, refIDs []string, reason string) error {
	for _, r := range refIDs {
		if err := a.e.Reject(ctx, actor, r, reason); err != nil {
			return err
		}
	}
	return nil
}

func (a engineActor) CheckStatus(ctx context.Context, actor domain.Actor, refID string) error {
	_, err := a.e.CheckNow(ctx, actor, refID)
	return err
}

func (a engineActor) Retry(ctx context.Context, actor domain.Actor, refID string) error {
	_, err := a.e.Retry(ctx, actor, refID)
	return err
}

func (a engineActor) SendAgain(ctx context.Context, actor domain.Actor, refID, ch string) (string, error) {
	t, err := a.e.SendAgain(ctx, actor, refID, ch)
	return t.RefID, err
}

func (a engineActor) Cancel(ctx context.Context, actor domain.Actor, refID string) error {
	_, err := a.e.Cancel(ctx, actor, refID)
	return err
}

// engineReview adapts the engine's conflicts and destinations to
// TransferReview, as app does.
type engineReview struct{ e *engine.Engine }

func (r engineReview) Conflicts(ctx context.Context) ([]Conflict, error) {
	cs, err := r.e.Conflicts(ctx)
	out := make([]Conflict, len(cs))
	for i, c := range cs {
		out[i] = Conflict{RefID: c.RefID, Stored: c.Stored, News: c.News, Detail: c.Detail, At: c.At}
	}
	return out, err
}

func (r engineReview) Destination(ctx context.Context, refID string) (Destination, error) {
	d, err := r.e.Destination(ctx, refID)
	return Destination{Bank: d.Bank, AccountNumber: d.AccountNumber, AccountHolder: d.AccountHolder}, err
}

func (r engineReview) ResolveConflict(ctx context.Context, actor domain.Actor, refID, note string) error {
	return r.e.ResolveConflict(ctx, actor, refID, note)
}

func (r engineReview) ConfirmPaidAfterAll(ctx context.Context, actor domain.Actor, refID, note string) error {
	return r.e.ConfirmPaidAfterAll(ctx, actor, refID, note)
}

// testEnv is a store with the shop, the sandbox on loopback, and the real
// engine talking to it over HTTP.
type testEnv struct {
	store  *sqlite.DB
	seed   seeded
	eng    *engine.Engine
	sb     *sandbox.Server
	x      *xendit.Client // the engine's channel, for tests that talk to the sandbox directly
	secret string
}

func newTestEnv(t *testing.T, start bool) *testEnv {
	t.Helper()
	return newTestEnvWith(t, start, nil)
}

// newTestEnvWith is newTestEnv with the engine's configuration changed by cfg.
func newTestEnvWith(t *testing.T, start bool, cfg func(*engine.Config)) *testEnv {
	t.Helper()
	st := openStore(t, nil)
	env := &testEnv{store: st, seed: seedShop(t, st)}
	env.sb = sandbox.New(sandbox.Config{Step: 50 * time.Millisecond})
	srv := httptest.NewServer(env.sb)
	t.Cleanup(srv.Close)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Lunas test", AccountName: "sari"})
	if err != nil {
		t.Fatal(err)
	}
	env.secret = key.Secret()
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: env.sb.Credentials().XenditSecretKey, Timeout: 5 * time.Second})
	env.x = x
	ecfg := engine.Config{
		Store:    st,
		Payments: map[string]domain.PaymentGateway{"xendit": x},
		Channels: map[string]domain.PayoutChannel{"xendit": x}, DefaultChannel: "xendit",
		Codes: totpCodes{env.secret}, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Intervals: engine.Intervals{PollFirst: 50 * time.Millisecond, List: 50 * time.Millisecond,
			TrackFirst: 50 * time.Millisecond, TrackMax: 200 * time.Millisecond, Send: 50 * time.Millisecond, Balance: time.Second},
	}
	if cfg != nil {
		cfg(&ecfg)
	}
	env.eng, err = engine.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	if start {
		ctx, cancel := context.WithCancel(context.Background())
		if err := env.eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); env.eng.Stop() })
	}
	return env
}

// services is the desktop's view of the test environment.
func (env *testEnv) services() Services {
	return Services{Store: env.store, Now: func() time.Time { return fixedNow }, Location: time.UTC,
		Transfers: engineActor{env.eng}, Review: engineReview{env.eng}, Channels: []string{"xendit"}}
}

// newTestUI builds the desktop in fyne's test driver for a signed-in actor.
func newTestUI(t *testing.T, svc Services, role domain.Role) *UI {
	t.Helper()
	a := test.NewTempApp(t)
	SetLanguage(LangEnglish)
	u := New(a, svc, Options{})
	u.win.Resize(fyne.NewSize(1180, 760))
	u.ShowMain(domain.Actor{Name: string(role), Role: role})
	waitIdle(u)
	t.Cleanup(u.Close)
	return u
}

// uiQueue stands in for fyne.Do in tests: background work queues its widget
// changes and the test goroutine runs them, so widgets are only ever touched
// from one goroutine (as on the real UI thread).
type uiQueue struct {
	mu  sync.Mutex
	fns []func()
}

var testQueue = &uiQueue{}

func init() { runOnUI = testQueue.push }

func (q *uiQueue) push(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
}

// drain runs what is queued; it reports whether it ran anything.
func (q *uiQueue) drain() bool {
	ran := false
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return ran
		}
		ran = true
		for _, f := range fns {
			f()
		}
	}
}

// waitIdle waits for every screen's background loads and applies them.
func waitIdle(u *UI) {
	for i := 0; i < 10; i++ { // a load may start another (count, then rows)
		testQueue.drain()
		for _, s := range u.screens {
			switch v := s.(type) {
			case *transfersScreen:
				v.wg.wait()
				for _, tb := range v.tables {
					tb.table.Refresh()
					tb.pager.Wait()
				}
			case *dashboard:
				v.wg.wait()
			case *ordersScreen:
				v.table.table.Refresh()
				v.table.pager.Wait()
				v.wg.wait()
			case *payeesScreen:
				v.table.table.Refresh()
				v.table.pager.Wait()
				v.wg.wait()
			case *productsScreen:
				v.table.table.Refresh()
				v.table.pager.Wait()
			case *monitoringScreen:
				v.audit.table.Refresh()
				v.audit.pager.Wait()
				v.wg.wait()
			}
		}
		if !testQueue.drain() {
			return
		}
	}
}

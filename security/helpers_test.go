package security

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/sqlite"
)

// testParams keep Argon2id cheap in unit tests; the real cost is measured
// by BenchmarkUnlock.
var testParams = Params{Time: 1, MemoryKiB: 256, Threads: 1}

const ownerPW = "batik-sari-2026!"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	path  string
	clk   *clock
	vault *Vault
	db    *sqlite.DB
	svc   *Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "lunas.db"),
		clk: &clock{t: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)}}
	f.vault = NewVault(VaultOptions{Params: testParams})
	f.open()
	t.Cleanup(func() { f.db.Close() })
	return f
}

// open (re)opens the database with the fixture's vault as cipher.
func (f *fixture) open() {
	f.t.Helper()
	db, err := sqlite.Open(f.ctx, f.path, sqlite.Options{Cipher: f.vault, Now: f.clk.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	f.db = db
	f.svc = New(db, f.vault, Options{Now: f.clk.Now, PasswordParams: testParams})
}

// code returns the TOTP code for secret at the fixture's current time.
func (f *fixture) code(secret string) string {
	f.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, f.clk.Now(), totpOpts)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// owner runs the first run and signs the owner in.
func (f *fixture) owner() (domain.Actor, Enrolment) {
	f.t.Helper()
	enr, err := f.svc.CreateOwner(f.ctx, "sari", ownerPW)
	if err != nil {
		f.t.Fatal(err)
	}
	a, err := f.svc.Login(f.ctx, "sari", ownerPW, f.code(enr.Secret))
	if err != nil {
		f.t.Fatal(err)
	}
	f.clk.Add(30 * time.Second) // the next code is a new time step
	return a, enr
}

// user adds a user with role and signs them in once.
func (f *fixture) user(owner domain.Actor, name string, role domain.Role) (domain.Actor, Enrolment) {
	f.t.Helper()
	enr, err := f.svc.AddUser(f.ctx, owner, name, role, name+"-password-1")
	if err != nil {
		f.t.Fatal(err)
	}
	a, err := f.svc.Login(f.ctx, name, name+"-password-1", f.code(enr.Secret))
	if err != nil {
		f.t.Fatal(err)
	}
	f.clk.Add(30 * time.Second)
	return a, enr
}

// payee stores a payee through the store (account encrypted by the vault).
func (f *fixture) payee(name, acct, holder string) domain.Payee {
	f.t.Helper()
	p := domain.Payee{Name: name, Channel: "BCA", AccountNumber: acct, AccountHolder: holder, Verification: domain.VerifyOK}
	if err := f.db.Write(f.ctx, func(tx domain.Tx) error { return tx.CreatePayee(&p) }); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// settled stores an order with a settled payment and one obligation to payee.
func (f *fixture) settled(ext string, payeeID int64, total, owed domain.Rupiah) domain.Obligation {
	f.t.Helper()
	var ob domain.Obligation
	err := f.db.Write(f.ctx, func(tx domain.Tx) error {
		o := domain.Order{ExternalID: ext, Items: []domain.OrderItem{{Name: "batik", Qty: 1, UnitPrice: total}}, Status: domain.OrderPaid}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		p := domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: "pay-" + ext, Amount: total, PaidAmount: total, Status: domain.PaymentSettled}
		if err := tx.CreatePayment(&p); err != nil {
			return err
		}
		ob = domain.Obligation{PaymentID: p.ID, OrderID: o.ID, PayeeID: payeeID, Role: domain.RoleSeller, Amount: owed}
		return tx.CreateObligation(&ob)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return ob
}

// Package storetest is the store contract: one suite of tests that every
// Lunas store (domain/sqlite, domain/postgres) passes against its real
// database. A store method the application uses belongs here: add its test
// to the suite when you add the method, and implement it in every store.
//
// Use it from a store's tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, storetest.Backend{Name: "sqlite", ReadOnly: ErrReadOnly, New: ...})
//	}
package storetest

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/risk"
	"lunas/domain/xlsx"
)

// Options are what a test opens a store with.
type Options struct {
	Cipher domain.FieldCipher // nil: locked
	Now    func() time.Time   // nil: time.Now
}

// Backend is one kind of store under test.
type Backend struct {
	Name string
	// New creates an empty database for t and returns a function that
	// opens it: every call opens the same database again (a second
	// process, or a restart), with opts. Stores are closed when t ends.
	New func(t *testing.T) (open func(opts Options) domain.Store)
	// ReadOnly is the error a write inside Read matches.
	ReadOnly error
}

// Tx is every method the application calls on a store transaction beyond
// domain.Tx, gathered from the interfaces its users declare: the engine's
// ports, the security services, the reports, the desktop's queries. Each
// store's transaction type implements all of it.
type Tx interface {
	domain.Tx
	domain.AuditRows // the keyed audit chain (domain.AppendAuditChained)
	domain.LeaseTx   // one engine at a time (domain/lease.go)
	engine.OutboxTx
	engine.OutboxReader
	engine.QueueReader
	engine.DestinationTx
	engine.DestinationReader
	engine.ConflictTx
	engine.ConflictReader
	engine.RecentReader
	engine.PendingSpanReader
	engine.WatchStore
	engine.FinalCheckReader
	engine.CorrectionTx
	engine.NoteTx
	engine.TrustTx // per-payee trust rules (migration 0011)
	xlsx.Rows
	xlsx.Counter

	// The desktop (ui.TransferSeeker, ui.DashboardQuerier).
	ListTransfersPage(f domain.TransferFilter, beforeID int64, offset, limit int) ([]domain.Transfer, error)
	SettledByDay(from, to time.Time, loc *time.Location) (map[string]domain.Rupiah, error)
	PaidOutByDay(from, to time.Time, loc *time.Location) (map[string]domain.Rupiah, error)
	CountPayments(f domain.PaymentFilter) (int, error)

	// The engine's dashboard and tests.
	MailStats() (queued, sent int, err error)

	// Security (security.secReader, secWriter, vaultTx).
	VaultHeader() ([]byte, error)
	PutVaultHeader(h []byte) error
	GetUser(id int64) (domain.User, error)
	GetUserByName(name string) (domain.User, error)
	GetUserCredentials(name string) (domain.User, error)
	ListUsers() ([]domain.User, error)
	CountUsers() (int, error)
	CreateUser(u *domain.User) error
	UpdateUser(u *domain.User) error
	SetUserAuthState(id int64, failures int, lockedUntil time.Time, lastStep int64) error
	ClaimTOTPStep(id, step int64) (bool, error)
	ReplaceRecoveryCodes(userID int64, hashes []string) error
	UseRecoveryCode(userID int64, hash string) (bool, error)
	RecoveryCodesLeft(userID int64) (int, error)
	SetSecret(name, value, by string) error
	Secret(name string) (string, error)
	SecretNames() ([]string, error)
	DeleteSecret(name string) error
	CreateFlag(f *domain.Flag) error
	GetFlag(id int64) (domain.Flag, error)
	ListFlags(status domain.FlagStatus, refID string, pg domain.Page) ([]domain.Flag, error)
	ResolveFlag(id int64, to domain.FlagStatus, note, by string) error
	ReplaceWatchlist(list []risk.WatchEntry) error
	Watchlist() ([]risk.WatchEntry, error)
	PayeeRecentTransfers(payeeID int64, since time.Time, exceptRefID string) ([]risk.Recent, error)
	PayeeSucceededPayouts(payeeID int64) (int, error)
	AccountPaidBefore(payeeID int64, fp string) (bool, error)
	RecordAccountUse(refID string, payeeID int64, fp string) error
	OrderPayoutTotal(orderID int64, exceptRefID string) (domain.Rupiah, error)
	PayeeOpenWork(payeeID int64) (int, error)
	PseudonymiseFlags(payeeID int64, names []string, repl string) error
	ErasePayeeCopies(payeeID int64, names []string, email, alias string) error
	SecureDelete() error
	ListAuditPending() ([]domain.AuditEntry, error)
	CountAuditPending() (int, error)
}

// Run runs the whole contract against b, the tests in parallel (each has
// its own database).
func Run(t *testing.T, b Backend) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"ReopenKeepsData", testReopen},
		{"TwoStoresOneDatabase", testTwoStores},
		{"RoundTripEveryEntity", testRoundTrip},
		{"Duplicates", testDuplicates},
		{"CompareAndSet", testCompareAndSet},
		{"PostingsAndBalances", testPostings},
		{"AuditChainAndAnchor", testAuditChain},
		{"ListsFiltersAndPaging", testLists},
		{"EncryptedColumnsNeedTheKey", testEncrypted},
		{"ReadTxRefusesWrites", testReadOnly},
		{"WriteSurvivesPanic", testPanic},
		{"Destinations", testDestinations},
		{"Conflicts", testConflicts},
		{"WatchPoints", testWatchPoints},
		{"Outbox", testOutbox},
		{"EngineQueries", testEngineQueries},
		{"Users", testUsers},
		{"SecretsAndVault", testSecrets},
		{"FlagsAndWatchlist", testFlags},
		{"RiskFacts", testRiskFacts},
		{"ErasePayeeCopies", testErasePayeeCopies},
		{"Reports", testReports},
		{"TransferPages", testTransferPages},
		{"DashboardDaySums", testDashboard},
		{"EngineLease", testLease},
		{"EngineLeaseTwoHandles", testLeaseTwoHandles},
		{"ChangesReachOtherHandles", testChanges},
		{"OpeningBalanceOnce", testOpening},
		{"TrustRules", testTrustRules},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, b)
		})
	}
}

var ctx = context.Background()

// env is one test's database.
type env struct {
	t     *testing.T
	open  func(Options) domain.Store
	clock *Clock
	ciph  *GCM
	db    domain.Store
}

// newEnv opens a fresh database with a key and a clock at start.
func newEnv(t *testing.T, b Backend, start time.Time) *env {
	t.Helper()
	e := &env{t: t, open: b.New(t), clock: &Clock{t: start}, ciph: NewGCM(t)}
	e.db = e.open(Options{Cipher: e.ciph, Now: e.clock.Now})
	return e
}

var day0 = time.Date(2026, 11, 22, 9, 0, 0, 123456789, time.UTC)

func (e *env) write(fn func(tx Tx) error) {
	e.t.Helper()
	if err := e.db.Write(ctx, func(tx domain.Tx) error { return fn(full(e.t, tx)) }); err != nil {
		e.t.Fatalf("Write: %v", err)
	}
}

func (e *env) tryWrite(fn func(tx Tx) error) error {
	return e.db.Write(ctx, func(tx domain.Tx) error { return fn(full(e.t, tx)) })
}

func (e *env) read(fn func(tx Tx) error) {
	e.t.Helper()
	if err := e.db.Read(ctx, func(tx domain.ReadTx) error { return fn(full(e.t, tx.(domain.Tx))) }); err != nil {
		e.t.Fatalf("Read: %v", err)
	}
}

func full(t *testing.T, tx domain.Tx) Tx {
	f, ok := tx.(Tx)
	if !ok {
		t.Fatalf("%T does not implement storetest.Tx (every store method the application uses)", tx)
	}
	return f
}

// Seed is one of every record, built through the store API.
type Seed struct {
	Payee    domain.Payee
	Rule     domain.PayoutRule
	Order    domain.Order
	Payment  domain.Payment
	Oblig    domain.Obligation
	Transfer domain.Transfer
}

func (e *env) seed() Seed {
	e.t.Helper()
	var s Seed
	e.write(func(tx Tx) error {
		s.Rule = domain.PayoutRule{Name: "konsinyasi"}
		if err := tx.CreatePayoutRule(&s.Rule); err != nil {
			return err
		}
		s.Payee = domain.Payee{Name: "Bu Ratna", Channel: "BCA", AccountNumber: "8410099887", AccountHolder: "Ratna", Email: "r@example.com", PayoutRuleID: s.Rule.ID}
		if err := tx.CreatePayee(&s.Payee); err != nil {
			return err
		}
		s.Order = domain.Order{ExternalID: "INV-1", BuyerName: "Andi", BuyerEmail: "andi@example.com", Items: []domain.OrderItem{{Name: "Batik", Qty: 2, UnitPrice: 150000}}, Shipping: 20000}
		if err := tx.CreateOrder(&s.Order); err != nil {
			return err
		}
		s.Payment = domain.Payment{OrderID: s.Order.ID, Gateway: "xendit", ExternalID: "PAY-1", Amount: 320000}
		if err := tx.CreatePayment(&s.Payment); err != nil {
			return err
		}
		s.Oblig = domain.Obligation{PaymentID: s.Payment.ID, OrderID: s.Order.ID, PayeeID: s.Payee.ID, Role: domain.RoleSeller, Amount: 256000}
		if err := tx.CreateObligation(&s.Oblig); err != nil {
			return err
		}
		s.Transfer = domain.Transfer{RefID: "LNS-1", ObligationID: s.Oblig.ID, PayeeID: s.Payee.ID, Channel: "xendit", Amount: 256000, CreatedBy: "engine"}
		return tx.CreateTransfer(&s.Transfer)
	})
	return s
}

// GCM is a real AES-256-GCM FieldCipher: the nonce is prepended and the
// FieldRef is the additional data, so a ciphertext moved to another row
// does not open.
type GCM struct{ aead cipher.AEAD }

// NewGCM returns a GCM with a random key.
func NewGCM(t testing.TB) *GCM {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return &GCM{aead: aead}
}

func refAD(r domain.FieldRef) []byte {
	return []byte(r.Table + "\x00" + r.Column + "\x00" + strconv.FormatInt(r.Row, 10))
}

// Seal implements domain.FieldCipher.
func (c *GCM) Seal(plaintext string, ref domain.FieldRef) ([]byte, error) {
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return c.aead.Seal(nonce, nonce, []byte(plaintext), refAD(ref)), nil
}

// Open implements domain.FieldCipher.
func (c *GCM) Open(ct []byte, ref domain.FieldRef) (string, error) {
	n := c.aead.NonceSize()
	if len(ct) < n {
		return "", errors.New("ciphertext too short")
	}
	pt, err := c.aead.Open(nil, ct[:n], ct[n:], refAD(ref))
	return string(pt), err
}

// Clock is a settable clock for deterministic timestamps.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func errOnly[T any](_ T, err error) error { return err }

func refids(ts []domain.Transfer) []string {
	var out []string
	for _, x := range ts {
		out = append(out, x.RefID)
	}
	return out
}

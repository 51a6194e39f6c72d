package engine_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
)

// gcm is a real AES-256-GCM field cipher bound to the field reference, as
// the vault's; the vault itself is another package's work.
type gcm struct{ a cipher.AEAD }

func newGCM(t testing.TB) *gcm {
	key := make([]byte, 32)
	rand.Read(key)
	b, _ := aes.NewCipher(key)
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return &gcm{a}
}

func (g *gcm) ad(r domain.FieldRef) []byte {
	return []byte(fmt.Sprintf("%s/%s/%d", r.Table, r.Column, r.Row))
}

func (g *gcm) Seal(p string, r domain.FieldRef) ([]byte, error) {
	n := make([]byte, g.a.NonceSize())
	rand.Read(n)
	return g.a.Seal(n, n, []byte(p), g.ad(r)), nil
}

func (g *gcm) Open(c []byte, r domain.FieldRef) (string, error) {
	ns := g.a.NonceSize()
	if len(c) < ns {
		return "", errors.New("short")
	}
	p, err := g.a.Open(nil, c[:ns], c[ns:], g.ad(r))
	return string(p), err
}

// script is what the test channel does with the next calls for a REFID.
type step string

const (
	stepOK        step = ""          // process normally
	stepDrop      step = "drop"      // process, then lose the answer (unknown)
	stepLost      step = "lost"      // never arrives (unknown, nothing processed)
	stepFail      step = "fail"      // process as a definite failure
	stepAccept    step = "accept"    // process but stay pending until Settle
	stepStatus5xx step = "status5xx" // status query gives no answer
	stepFailDrop  step = "faildrop"  // process as a definite failure, then lose the answer
)

// channel is a payout channel simulator with a payout book: it processes a
// REFID at most once and answers every later send or query with the stored
// status (the REFID rule), which is what the sandbox does over HTTP.
type channel struct {
	name   string
	mu     sync.Mutex
	state  map[string]domain.PayoutOutcome
	paid   map[string]int // refid -> times money actually left
	sends  map[string]int
	next   []step            // applied to successive Send calls without a plan
	plans  map[string][]step // per REFID, applied to its successive Send calls
	status []step            // applied to successive Status calls
	window time.Duration
	bal    domain.Rupiah
	cancel bool
	asked  map[string]int // refid -> status queries
}

func newChannel(name string) *channel {
	return &channel{name: name, state: map[string]domain.PayoutOutcome{}, paid: map[string]int{}, sends: map[string]int{}, bal: 1_000_000_000}
}

type cancelChannel struct{ *channel }

func (c cancelChannel) Cancel(ctx context.Context, ref string) (domain.PayoutResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state[ref] == domain.OutcomeAccepted {
		c.state[ref] = domain.OutcomeCancelled
		c.paid[ref]--
		c.bal += 0
	}
	st, ok := c.state[ref]
	if !ok {
		return domain.PayoutResult{RefID: ref, Outcome: domain.OutcomeNotFound}, nil
	}
	return domain.PayoutResult{RefID: ref, Outcome: st}, nil
}

func (c *channel) Name() string { return c.name }

func (c *channel) pop(q *[]step) step {
	if len(*q) == 0 {
		return stepOK
	}
	s := (*q)[0]
	*q = (*q)[1:]
	return s
}

func (c *channel) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sends[req.RefID]++
	var s step
	if q, ok := c.plans[req.RefID]; ok {
		s = c.pop(&q)
		c.plans[req.RefID] = q
	} else {
		s = c.pop(&c.next)
	}
	if st, ok := c.state[req.RefID]; ok {
		// Known REFID: report the earlier status, never process again.
		if s == stepDrop || s == stepLost {
			return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeUnknown}, errors.New("connection reset")
		}
		return domain.PayoutResult{RefID: req.RefID, Outcome: st}, nil
	}
	switch s {
	case stepLost:
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeUnknown}, errors.New("timeout")
	case stepFailDrop:
		c.state[req.RefID] = domain.OutcomeFailed
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeUnknown}, errors.New("response dropped")
	case stepFail:
		c.state[req.RefID] = domain.OutcomeFailed
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeFailed, Code: "INVALID_DESTINATION", Reason: "account closed"}, nil
	case stepAccept:
		c.state[req.RefID] = domain.OutcomeAccepted
		c.paid[req.RefID]++
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeAccepted}, nil
	}
	c.state[req.RefID] = domain.OutcomeSucceeded
	c.paid[req.RefID]++
	c.bal -= req.Amount
	if s == stepDrop {
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeUnknown}, errors.New("response dropped")
	}
	return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeSucceeded}, nil
}

func (c *channel) Status(ctx context.Context, ref string) (domain.PayoutResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.asked == nil {
		c.asked = map[string]int{}
	}
	c.asked[ref]++
	if c.pop(&c.status) == stepStatus5xx {
		return domain.PayoutResult{RefID: ref, Outcome: domain.OutcomeUnknown}, errors.New("503")
	}
	st, ok := c.state[ref]
	if !ok {
		return domain.PayoutResult{RefID: ref, Outcome: domain.OutcomeNotFound}, nil
	}
	return domain.PayoutResult{RefID: ref, Outcome: st}, nil
}

// askedCount is how many status queries ref got.
func (c *channel) askedCount(ref string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.asked[ref]
}

// plan scripts the next Send calls for ref.
func (c *channel) plan(ref string, steps ...step) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.plans == nil {
		c.plans = map[string][]step{}
	}
	c.plans[ref] = steps
}

func (c *channel) set(ref string, o domain.PayoutOutcome) {
	c.mu.Lock()
	c.state[ref] = o
	c.mu.Unlock()
}

func (c *channel) paidCount(ref string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paid[ref]
}

func (c *channel) Balance(ctx context.Context) (domain.Rupiah, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bal, nil
}

func (c *channel) ValidateAccount(ctx context.Context, ch, acct string) (domain.AccountInfo, error) {
	return domain.AccountInfo{Channel: ch, AccountNumber: acct, Valid: true}, nil
}

// KeyWindow: the test channel follows the REFID rule for ever (it reports
// the stored status of every REFID it has seen), unless windowed.
func (c *channel) KeyWindow() domain.KeyWindow { return domain.KeyWindow{Forever: true} }

// windowed gives the channel an idempotency window of c.window.
type windowed struct{ *channel }

func (w windowed) KeyWindow() domain.KeyWindow { return domain.KeyWindow{For: w.window} }

// gateway is a payment gateway whose answers the test sets.
type gateway struct {
	mu  sync.Mutex
	res map[string]domain.PaymentResult
}

func (g *gateway) Name() string { return "xendit" }
func (g *gateway) CreatePayment(ctx context.Context, r domain.PaymentRequest) (domain.PaymentLink, error) {
	return domain.PaymentLink{ExternalID: r.ExternalID}, nil
}
func (g *gateway) PaymentStatus(ctx context.Context, id string) (domain.PaymentResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.res[id]
	if !ok {
		return domain.PaymentResult{ExternalID: id, State: domain.PaymentStatePending, Verified: true}, nil
	}
	return r, nil
}
func (g *gateway) pay(id string, amt domain.Rupiah) {
	g.mu.Lock()
	g.res[id] = domain.PaymentResult{ExternalID: id, State: domain.PaymentStatePaid, Amount: amt, Verified: true, RawStatus: "PAID"}
	g.mu.Unlock()
}

// clock is a settable time source.
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
	t      *testing.T
	db     domain.Store                 // *sqlite.DB unless newFixtureOn says otherwise
	reopen func() (domain.Store, error) // the same shop, another connection
	e      *engine.Engine
	gw     *gateway
	ch     *channel
	clk    *clock
	ciph   *gcm
	cfg    engine.Config // what e was built with
	payees []domain.Payee
	rule   domain.PayoutRule
	seq    int
}

type opt func(*engine.Config)

// newFixture is a shop on a SQLite file, or with LUNAS_ENGINE_STORE=postgres
// on a PostgreSQL database (CI runs the suite both ways).
func newFixture(t *testing.T, opts ...opt) *fixture {
	t.Helper()
	if os.Getenv("LUNAS_ENGINE_STORE") == "postgres" {
		return newPostgresFixture(t, opts...)
	}
	path := filepath.Join(t.TempDir(), "lunas.db")
	opened := false
	return newFixtureOn(t, func(ciph *gcm, clk *clock) (domain.Store, error) {
		o := sqlite.Options{Cipher: ciph, Now: clk.Now, SyncNormal: true}
		if opened {
			o.OpenCheck = sqlite.CheckNone // another process on a file in use
		}
		opened = true
		return sqlite.Open(context.Background(), path, o)
	}, opts...)
}

// newFixtureOn is newFixture on the store open returns; open is called
// again for each further process on the same shop (second).
func newFixtureOn(t *testing.T, open func(*gcm, *clock) (domain.Store, error), opts ...opt) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)}
	ciph := newGCM(t)
	db, err := open(ciph, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, db: db, gw: &gateway{res: map[string]domain.PaymentResult{}}, ch: newChannel("xendit"), clk: clk, ciph: ciph,
		reopen: func() (domain.Store, error) { return open(ciph, clk) }}
	err = db.Write(ctx, func(tx domain.Tx) error {
		for i, name := range []string{"Batik Bu Ani", "Pak Joko"} {
			p := domain.Payee{Name: name, Channel: "BCA", AccountNumber: fmt.Sprintf("061110114%d", i), AccountHolder: name,
				Verification: domain.VerifyOK, Email: fmt.Sprintf("p%d@example.com", i)}
			if err := tx.CreatePayee(&p); err != nil {
				return err
			}
			f.payees = append(f.payees, p)
		}
		f.rule = domain.PayoutRule{Name: "consignment", Shares: []domain.Share{
			{Role: domain.RoleSeller, PayeeID: f.payees[0].ID, BPS: 7000},
			{Role: domain.RoleSupplier, PayeeID: f.payees[1].ID, Fixed: 10000},
			{Role: domain.RoleGatewayFee, Fixed: 4500},
		}}
		return tx.CreatePayoutRule(&f.rule)
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := engine.Config{
		Store: db, Payments: map[string]domain.PaymentGateway{"xendit": f.gw},
		Channels: map[string]domain.PayoutChannel{"xendit": f.ch}, DefaultChannel: "xendit",
		Now: clk.Now, Concurrency: 4,
	}
	for _, o := range opts {
		o(&cfg)
	}
	f.cfg = cfg
	f.e, err = engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// order creates an open order of total amt with a pending payment; it returns the payment's external id.
func (f *fixture) order(amt domain.Rupiah) string {
	f.t.Helper()
	f.seq++
	ext := fmt.Sprintf("ORD-%04d", f.seq)
	err := f.db.Write(context.Background(), func(tx domain.Tx) error {
		o := domain.Order{ExternalID: ext, Source: "test", BuyerName: "Rina", BuyerEmail: "rina@example.com",
			Items: []domain.OrderItem{{Name: "Batik tulis", Qty: 1, UnitPrice: amt}}, PayoutRuleID: f.rule.ID, Status: domain.OrderOpen, CreatedAt: f.clk.Now()}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		p := domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: ext, Amount: amt, Status: domain.PaymentPending,
			CreatedAt: f.clk.Now(), ExpiresAt: f.clk.Now().Add(24 * time.Hour)}
		return tx.CreatePayment(&p)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return ext
}

// settle makes the gateway report ext paid and polls once.
func (f *fixture) settle(ext string, amt domain.Rupiah) {
	f.t.Helper()
	f.gw.pay(ext, amt)
	if err := f.e.PollNow(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) transfers(st ...domain.TransferStatus) []domain.Transfer {
	f.t.Helper()
	var out []domain.Transfer
	err := f.db.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		out, err = tx.ListTransfers(domain.TransferFilter{Statuses: st})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) transfer(ref string) domain.Transfer {
	f.t.Helper()
	var t domain.Transfer
	err := f.db.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		t, err = tx.GetTransfer(ref)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func (f *fixture) send() {
	f.t.Helper()
	if _, err := f.e.SendNow(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) track() {
	f.t.Helper()
	if err := f.e.TrackNow(context.Background(), true); err != nil {
		f.t.Fatal(err)
	}
}

// checkLedger fails unless every account sums to zero overall.
func (f *fixture) checkLedger() map[domain.Account]domain.Rupiah {
	f.t.Helper()
	var bal map[domain.Account]domain.Rupiah
	err := f.db.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		bal, err = tx.Balances()
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	var sum domain.Rupiah
	for _, v := range bal {
		sum += v
	}
	if sum != 0 {
		f.t.Fatalf("ledger does not balance: %v", bal)
	}
	return bal
}

var (
	owner  = domain.Actor{Name: "sari", Role: domain.RoleOwner}
	owner2 = domain.Actor{Name: "budi", Role: domain.RoleOwner}
	staff  = domain.Actor{Name: "dewi", Role: domain.RoleStaff}
	viewer = domain.Actor{Name: "akuntan", Role: domain.RoleViewer}
)

package sqlite

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"lunas/domain"
)

// gcmCipher is a real AES-256-GCM FieldCipher: the nonce is prepended and
// the FieldRef is the additional data, so a ciphertext moved to another row
// does not open.
type gcmCipher struct{ aead cipher.AEAD }

func newGCM(t testing.TB) *gcmCipher {
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
	return &gcmCipher{aead: aead}
}

func refAD(r domain.FieldRef) []byte {
	return []byte(r.Table + "\x00" + r.Column + "\x00" + strconv.FormatInt(r.Row, 10))
}

func (c *gcmCipher) Seal(plaintext string, ref domain.FieldRef) ([]byte, error) {
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return c.aead.Seal(nonce, nonce, []byte(plaintext), refAD(ref)), nil
}

func (c *gcmCipher) Open(ct []byte, ref domain.FieldRef) (string, error) {
	n := c.aead.NonceSize()
	if len(ct) < n {
		return "", errors.New("ciphertext too short")
	}
	pt, err := c.aead.Open(nil, ct[:n], ct[n:], refAD(ref))
	return string(pt), err
}

// fixedClock is a settable clock for deterministic timestamps.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var ctx = context.Background()

func openTest(t testing.TB, path string, opts Options) *DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "lunas.db")
	}
	db, err := Open(ctx, path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func write(t testing.TB, db *DB, fn func(tx domain.Tx) error) {
	t.Helper()
	if err := db.Write(ctx, fn); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// seed is one of every record, built through the store API.
type seed struct {
	payee    domain.Payee
	rule     domain.PayoutRule
	order    domain.Order
	payment  domain.Payment
	oblig    domain.Obligation
	transfer domain.Transfer
}

func makeSeed(t testing.TB, db *DB) seed {
	t.Helper()
	var s seed
	write(t, db, func(tx domain.Tx) error {
		s.rule = domain.PayoutRule{Name: "konsinyasi"}
		if err := tx.CreatePayoutRule(&s.rule); err != nil {
			return err
		}
		s.payee = domain.Payee{Name: "Bu Ratna", Channel: "BCA", AccountNumber: "8410099887", Email: "r@example.com", PayoutRuleID: s.rule.ID}
		if err := tx.CreatePayee(&s.payee); err != nil {
			return err
		}
		s.order = domain.Order{ExternalID: "INV-1", BuyerName: "Andi", Items: []domain.OrderItem{{Name: "Batik", Qty: 2, UnitPrice: 150000}}, Shipping: 20000}
		if err := tx.CreateOrder(&s.order); err != nil {
			return err
		}
		s.payment = domain.Payment{OrderID: s.order.ID, Gateway: "xendit", ExternalID: "PAY-1", Amount: 320000}
		if err := tx.CreatePayment(&s.payment); err != nil {
			return err
		}
		s.oblig = domain.Obligation{PaymentID: s.payment.ID, OrderID: s.order.ID, PayeeID: s.payee.ID, Role: domain.RoleSeller, Amount: 256000}
		if err := tx.CreateObligation(&s.oblig); err != nil {
			return err
		}
		s.transfer = domain.Transfer{RefID: "LNS-1", ObligationID: s.oblig.ID, PayeeID: s.payee.ID, Channel: "xendit", Amount: 256000, CreatedBy: "engine"}
		return tx.CreateTransfer(&s.transfer)
	})
	return s
}

func TestOpenMigratesEmptyAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub dir?#", "lunas.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db := openTest(t, path, Options{})
	migs, err := embeddedMigrations.load()
	if err != nil {
		t.Fatal(err)
	}
	var n, maxV int
	if err := db.w.QueryRowContext(ctx, "SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&n, &maxV); err != nil {
		t.Fatal(err)
	}
	if n != len(migs) || maxV != migs[len(migs)-1].Version {
		t.Fatalf("schema_migrations has %d rows up to %d, want %d up to %d", n, maxV, len(migs), migs[len(migs)-1].Version)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2"} {
		var got string
		if err := db.w.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("writer PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
	db.Close()
	db2 := openTest(t, path, Options{}) // nothing left to apply
	if err := db2.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(migs) {
		t.Fatalf("after reopen %d migrations, %v", n, err)
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lunas.db")
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, path, Options{})
			if err == nil {
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
}

func TestRoundTripEveryEntity(t *testing.T) {
	clock := &fixedClock{t: time.Date(2026, 11, 22, 9, 0, 0, 123456789, time.UTC)}
	db := openTest(t, "", Options{Cipher: newGCM(t), Now: clock.Now})
	s := makeSeed(t, db)
	now := clock.t.Truncate(time.Microsecond)
	write(t, db, func(tx domain.Tx) error {
		p := domain.Product{SKU: "BTK-1", Name: "Batik", Price: 150000, PayeeID: s.payee.ID, Active: true}
		if err := tx.CreateProduct(&p); err != nil {
			return err
		}
		p.Price = 175000
		if err := tx.UpdateProduct(&p); err != nil {
			return err
		}
		if err := tx.SetSetting("shop.name", "Batik Sari"); err != nil {
			return err
		}
		if err := tx.SetSetting("shop.name", "Batik Sari 2"); err != nil {
			return err
		}
		r := domain.PayoutRule{Name: "80/fee", Shares: []domain.Share{{Role: domain.RoleSeller, PayeeID: s.payee.ID, BPS: 8000}, {Role: domain.RoleGatewayFee, Fixed: 4500}}}
		return tx.CreatePayoutRule(&r)
	})
	err := db.Read(ctx, func(tx domain.ReadTx) error {
		p, err := tx.GetProduct(1)
		if err != nil || p.Price != 175000 || p.SKU != "BTK-1" || !p.Active || !p.Created.Equal(now) {
			t.Errorf("product = %+v, %v", p, err)
		}
		if v, err := tx.GetSetting("shop.name"); err != nil || v != "Batik Sari 2" {
			t.Errorf("setting = %q, %v", v, err)
		}
		if _, err := tx.GetSetting("nope"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("missing setting: %v", err)
		}
		pe, err := tx.GetPayee(s.payee.ID)
		if err != nil || pe.AccountNumber != "8410099887" || pe.Verification != domain.VerifyNone || pe.PayoutRuleID != s.rule.ID {
			t.Errorf("payee = %+v, %v", pe, err)
		}
		o, err := tx.GetOrderByExternalID("INV-1")
		if err != nil || len(o.Items) != 1 || o.Items[0].Qty != 2 || o.Status != domain.OrderOpen || !o.CreatedAt.Equal(now) {
			t.Errorf("order = %+v, %v", o, err)
		}
		pay, err := tx.GetPaymentByExternalID("PAY-1")
		if err != nil || pay.Amount != 320000 || pay.Status != domain.PaymentPending || pay.OrderID != o.ID {
			t.Errorf("payment = %+v, %v", pay, err)
		}
		obs, err := tx.ListObligationsByPayment(pay.ID)
		if err != nil || len(obs) != 1 || obs[0] != s.oblig {
			t.Errorf("obligations = %+v, %v; want %+v", obs, err, s.oblig)
		}
		tr, err := tx.GetTransfer("LNS-1")
		if err != nil || tr != s.transfer {
			t.Errorf("transfer = %+v, %v\nwant %+v", tr, err, s.transfer)
		}
		rules, err := tx.ListPayoutRules()
		if err != nil || len(rules) != 2 || len(rules[1].Shares) != 2 || rules[1].Shares[1].Fixed != 4500 {
			t.Errorf("rules = %+v, %v", rules, err)
		}
		r, err := tx.GetPayoutRule(rules[1].ID)
		if err != nil || r.Name != "80/fee" || len(r.Shares) != 2 || r.Shares[0].PayeeID != s.payee.ID {
			t.Errorf("rule = %+v, %v", r, err)
		}
		for name, err := range map[string]error{
			"product": errOnly(tx.GetProduct(99)), "order": errOnly(tx.GetOrder(99)), "payment": errOnly(tx.GetPayment(99)),
			"payee": errOnly(tx.GetPayee(99)), "rule": errOnly(tx.GetPayoutRule(99)), "obligation": errOnly(tx.GetObligation(99)),
			"transfer": errOnly(tx.GetTransfer("nope")),
		} {
			if !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("missing %s: %v, want ErrNotFound", name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rawDB opens a file with the driver only: no pragmas, no migrations.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func errOnly[T any](_ T, err error) error { return err }

func TestDuplicates(t *testing.T) {
	db := openTest(t, "", Options{Cipher: newGCM(t)})
	s := makeSeed(t, db)
	tests := []struct {
		name string
		fn   func(tx domain.Tx) error
		want error
		not  error
	}{
		{"refid", func(tx domain.Tx) error {
			x := domain.Transfer{RefID: "LNS-1", PayeeID: s.payee.ID, Amount: 1}
			return tx.CreateTransfer(&x)
		}, domain.ErrDuplicateRefID, nil},
		{"order external id", func(tx domain.Tx) error {
			o := s.order
			return tx.CreateOrder(&o)
		}, domain.ErrDuplicate, domain.ErrDuplicateRefID},
		{"payment external id", func(tx domain.Tx) error {
			p := s.payment
			return tx.CreatePayment(&p)
		}, domain.ErrDuplicate, domain.ErrDuplicateRefID},
		{"product sku", func(tx domain.Tx) error {
			a, b := domain.Product{SKU: "X", Name: "a"}, domain.Product{SKU: "X", Name: "b"}
			if err := tx.CreateProduct(&a); err != nil {
				return err
			}
			return tx.CreateProduct(&b)
		}, domain.ErrDuplicate, nil},
		{"missing parent refid", func(tx domain.Tx) error {
			x := domain.Transfer{RefID: "LNS-2", ParentRefID: "nope", PayeeID: s.payee.ID, Amount: 1}
			return tx.CreateTransfer(&x)
		}, domain.ErrInvalid, domain.ErrDuplicateRefID},
	}
	for _, tt := range tests {
		err := db.Write(ctx, tt.fn)
		if !errors.Is(err, tt.want) || tt.not != nil && errors.Is(err, tt.not) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// A refused duplicate inside a larger transaction leaves the rest usable,
	// and the caller decides: here it commits what came before.
	write(t, db, func(tx domain.Tx) error {
		a := domain.Transfer{RefID: "LNS-3", PayeeID: s.payee.ID, Amount: 5}
		if err := tx.CreateTransfer(&a); err != nil {
			return err
		}
		dup := domain.Transfer{RefID: "LNS-3", PayeeID: s.payee.ID, Amount: 6}
		if err := tx.CreateTransfer(&dup); !errors.Is(err, domain.ErrDuplicateRefID) {
			t.Errorf("duplicate in same tx: %v", err)
		}
		return nil
	})
	db.Read(ctx, func(tx domain.ReadTx) error {
		if x, err := tx.GetTransfer("LNS-3"); err != nil || x.Amount != 5 {
			t.Errorf("LNS-3 = %+v, %v", x, err)
		}
		return nil
	})
}

func TestCompareAndSet(t *testing.T) {
	db := openTest(t, "", Options{Cipher: newGCM(t)})
	s := makeSeed(t, db)
	ref := s.transfer.RefID
	write(t, db, func(tx domain.Tx) error {
		if err := tx.MoveTransfer(ref, domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferPatch{ApprovedBy: "sari"}); err != nil {
			return err
		}
		return tx.MoveTransfer(ref, domain.TransferApproved, domain.TransferSending, domain.TransferPatch{IncAttempts: true, MarkSent: true})
	})
	tests := []struct {
		name string
		fn   func(tx domain.Tx) error
		want error
	}{
		{"stale transfer", func(tx domain.Tx) error {
			return tx.MoveTransfer(ref, domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferPatch{})
		}, domain.ErrConflict},
		{"illegal transfer move", func(tx domain.Tx) error {
			return tx.MoveTransfer(ref, domain.TransferSending, domain.TransferApproved, domain.TransferPatch{})
		}, domain.ErrInvalidTransition},
		{"missing transfer", func(tx domain.Tx) error {
			return tx.MoveTransfer("nope", domain.TransferSending, domain.TransferUnknown, domain.TransferPatch{})
		}, domain.ErrNotFound},
		{"stale order", func(tx domain.Tx) error {
			return tx.SetOrderStatus(s.order.ID, domain.OrderPaid, domain.OrderFlagged)
		}, domain.ErrConflict},
		{"missing order", func(tx domain.Tx) error { return tx.SetOrderStatus(99, domain.OrderOpen, domain.OrderPaid) }, domain.ErrNotFound},
		{"stale payment", func(tx domain.Tx) error {
			return tx.SetPaymentStatus(s.payment.ID, domain.PaymentSettled, domain.PaymentFlagged, 1, "x", time.Time{})
		}, domain.ErrConflict},
		{"missing payment", func(tx domain.Tx) error {
			return tx.SetPaymentStatus(99, domain.PaymentPending, domain.PaymentSettled, 1, "", time.Time{})
		}, domain.ErrNotFound},
		{"stale obligation", func(tx domain.Tx) error {
			return tx.SetObligationStatus(s.oblig.ID, domain.ObligationPaid, domain.ObligationReopened)
		}, domain.ErrConflict},
		{"missing obligation", func(tx domain.Tx) error {
			return tx.SetObligationStatus(99, domain.ObligationOpen, domain.ObligationPaid)
		}, domain.ErrNotFound},
		{"missing poll", func(tx domain.Tx) error { return tx.SchedulePoll(99, time.Now(), time.Now()) }, domain.ErrNotFound},
	}
	for _, tt := range tests {
		if err := db.Write(ctx, tt.fn); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	settled := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	write(t, db, func(tx domain.Tx) error {
		if err := tx.SetOrderStatus(s.order.ID, domain.OrderOpen, domain.OrderPaid); err != nil {
			return err
		}
		if err := tx.SetPaymentStatus(s.payment.ID, domain.PaymentPending, domain.PaymentSettled, 320000, "", settled); err != nil {
			return err
		}
		if err := tx.SetObligationStatus(s.oblig.ID, domain.ObligationOpen, domain.ObligationPaid); err != nil {
			return err
		}
		return tx.MoveTransfer(ref, domain.TransferSending, domain.TransferUnknown, domain.TransferPatch{FailureReason: "timeout"})
	})
	db.Read(ctx, func(tx domain.ReadTx) error {
		x, _ := tx.GetTransfer(ref)
		if x.Status != domain.TransferUnknown || x.ApprovedBy != "sari" || x.Attempts != 1 || x.SentAt.IsZero() || x.FailureReason != "timeout" {
			t.Errorf("transfer after moves = %+v", x)
		}
		p, _ := tx.GetPayment(s.payment.ID)
		if p.Status != domain.PaymentSettled || p.PaidAmount != 320000 || !p.SettledAt.Equal(settled) {
			t.Errorf("payment = %+v", p)
		}
		return nil
	})

	// Two writers race the same compare-and-set: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Write(ctx, func(tx domain.Tx) error {
				return tx.MoveTransfer(ref, domain.TransferUnknown, domain.TransferSucceeded, domain.TransferPatch{GatewayRef: fmt.Sprint("g", i)})
			})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("racing move: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d racing moves won, want 1", wins)
	}
}

func TestPostingsAndBalances(t *testing.T) {
	db := openTest(t, "", Options{})
	unbalanced := domain.Posting{Ref: "payment:X", Lines: []domain.PostingLine{{Account: "clearing:xendit", Amount: 100}, {Account: "commission", Amount: -99}}}
	err := db.Write(ctx, func(tx domain.Tx) error { return tx.Post(&unbalanced) })
	if !errors.Is(err, domain.ErrUnbalanced) {
		t.Fatalf("unbalanced posting: %v", err)
	}
	rule := domain.PayoutRule{Name: "r", Shares: []domain.Share{{Role: domain.RoleSeller, PayeeID: 7, BPS: 8000}, {Role: domain.RoleGatewayFee, Fixed: 4500}}}
	portions, _ := rule.Split(370001)
	settle := domain.SettlementPosting("xendit", "payment:PAY-1", 370001, portions)
	tr := domain.Transfer{RefID: "R1", PayeeID: 7, Channel: "xendit", Amount: 296000}
	out := domain.PayoutPosting(&tr, false)
	write(t, db, func(tx domain.Tx) error {
		if err := tx.Post(&settle); err != nil {
			return err
		}
		return tx.Post(&out)
	})
	db.Read(ctx, func(tx domain.ReadTx) error {
		bal, err := tx.Balances()
		if err != nil {
			t.Fatal(err)
		}
		var sum domain.Rupiah
		for _, v := range bal {
			sum += v
		}
		if sum != 0 || bal["clearing:xendit"] != 370001 || bal["payable:7"] != 0 || bal["paidout:xendit"] != -296000 {
			t.Errorf("balances %v (sum %d)", bal, sum)
		}
		ps, err := tx.ListPostings("payment:PAY-1")
		if err != nil || len(ps) != 1 || len(ps[0].Lines) != len(settle.Lines) || ps[0].Lines[0] != settle.Lines[0] {
			t.Errorf("postings = %+v, %v", ps, err)
		}
		all, _ := tx.ListPostings("")
		if len(all) != 2 {
			t.Errorf("%d postings, want 2 (the unbalanced one must not be stored)", len(all))
		}
		return nil
	})
	// The SQL-level guard catches lines that bypassed Validate.
	err = db.WriteTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, "INSERT INTO postings(ref, memo, created_at) VALUES ('x', '', 1)")
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if _, err := tx.tx.ExecContext(ctx, "INSERT INTO posting_lines VALUES (?, 0, 'a', 5), (?, 1, 'b', -4)", id, id); err != nil {
			return err
		}
		return tx.checkBalanced(id)
	})
	if !errors.Is(err, domain.ErrUnbalanced) {
		t.Errorf("SQL guard: %v", err)
	}
}

func TestAuditChain(t *testing.T) {
	clock := &fixedClock{t: time.Date(2026, 11, 22, 9, 0, 0, 999, time.UTC)}
	db := openTest(t, "", Options{Now: clock.Now})
	for i := range 3 {
		clock.Add(time.Second)
		write(t, db, func(tx domain.Tx) error {
			e := domain.AuditEntry{Actor: "sari", Action: "test", Subject: fmt.Sprint("n:", i), Detail: "d"}
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
			if e.Seq != int64(i+1) || e.Hash == "" || (i == 0) != (e.PrevHash == "") {
				t.Errorf("entry %d = %+v", i, e)
			}
			return nil
		})
	}
	db.Read(ctx, func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(0, 0)
		if err != nil || len(es) != 3 {
			t.Fatalf("ListAudit = %d, %v", len(es), err)
		}
		prev := ""
		for _, e := range es {
			if e.PrevHash != prev || e.ComputeHash(prev) != e.Hash || e.At.Location() != time.UTC || e.At.Nanosecond()%1000 != 0 {
				t.Errorf("entry %+v does not chain", e)
			}
			prev = e.Hash
		}
		tail, _ := tx.ListAudit(1, 1)
		if len(tail) != 1 || tail[0].Seq != 2 {
			t.Errorf("ListAudit(1,1) = %+v", tail)
		}
		return nil
	})
	if err := db.Write(ctx, func(tx domain.Tx) error { return tx.AppendAudit(&domain.AuditEntry{}) }); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("empty audit entry: %v", err)
	}
}

func TestListsFiltersAndPaging(t *testing.T) {
	clock := &fixedClock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	db := openTest(t, "", Options{Cipher: newGCM(t), Now: clock.Now})
	s := makeSeed(t, db)
	var other domain.Payee
	write(t, db, func(tx domain.Tx) error {
		other = domain.Payee{Name: "Pak Joko_%"}
		return tx.CreatePayee(&other)
	})
	start := clock.Now()
	for i := range 30 {
		clock.Add(time.Hour)
		write(t, db, func(tx domain.Tx) error {
			payee, status := s.payee.ID, domain.TransferSucceeded
			if i%3 == 0 {
				payee, status = other.ID, domain.TransferFailed
			}
			x := domain.Transfer{RefID: fmt.Sprintf("T-%02d", i), PayeeID: payee, Channel: []string{"xendit", "iris"}[i%2], Amount: domain.Rupiah(1000 * (i + 1)), Status: status}
			return tx.CreateTransfer(&x)
		})
	}
	db.Read(ctx, func(tx domain.ReadTx) error {
		count := func(f domain.TransferFilter) int {
			n, err := tx.CountTransfers(f)
			if err != nil {
				t.Fatal(err)
			}
			list, err := tx.ListTransfers(f)
			if err != nil {
				t.Fatal(err)
			}
			if f.Limit == 0 && len(list) != n {
				t.Errorf("filter %+v: list %d, count %d", f, len(list), n)
			}
			return n
		}
		checks := []struct {
			f    domain.TransferFilter
			want int
		}{
			{domain.TransferFilter{}, 31},
			{domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferFailed}}, 10},
			{domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferFailed, domain.TransferAwaitingApproval}}, 11},
			{domain.TransferFilter{PayeeID: other.ID}, 10},
			{domain.TransferFilter{Channel: "iris"}, 15},
			{domain.TransferFilter{From: start.Add(time.Hour), To: start.Add(11 * time.Hour)}, 10},
			{domain.TransferFilter{Search: "T-1"}, 10},
			{domain.TransferFilter{Search: "joko_%"}, 10}, // payee name, LIKE wildcards taken literally
			{domain.TransferFilter{Search: "o_%"}, 10},
			{domain.TransferFilter{Search: "%"}, 10},
		}
		for _, c := range checks {
			if n := count(c.f); n != c.want {
				t.Errorf("filter %+v: %d, want %d", c.f, n, c.want)
			}
		}
		page, _ := tx.ListTransfers(domain.TransferFilter{Page: domain.Page{Offset: 5, Limit: 3}})
		if len(page) != 3 || page[0].RefID != "T-24" || page[2].RefID != "T-22" {
			t.Errorf("page = %v", refids(page))
		}
		total, err := tx.PayeeTotalSince(s.payee.ID, start.Add(10*time.Hour))
		var want domain.Rupiah
		for i := 9; i < 30; i++ { // created at start+(i+1)h >= start+10h
			if i%3 != 0 {
				want += domain.Rupiah(1000 * (i + 1))
			}
		}
		if err != nil || total != want {
			t.Errorf("PayeeTotalSince = %d, %v; want %d", total, err, want)
		}
		failedOnly, _ := tx.PayeeTotalSince(other.ID, start)
		if failedOnly != 0 {
			t.Errorf("failed transfers counted: %d", failedOnly)
		}
		byOb, _ := tx.ListTransfersByObligation(s.oblig.ID)
		if len(byOb) != 1 || byOb[0].RefID != "LNS-1" {
			t.Errorf("by obligation = %v", refids(byOb))
		}
		payees, _ := tx.ListPayees(domain.Page{Limit: 1})
		if len(payees) != 1 || payees[0].Name != "Bu Ratna" {
			t.Errorf("payees page = %+v", payees)
		}
		return nil
	})

	// Orders and payments: filters, newest first, and due polls.
	write(t, db, func(tx domain.Tx) error {
		for i := range 5 {
			clock.Add(time.Minute)
			o := domain.Order{ExternalID: fmt.Sprint("ORD-", i), BuyerName: []string{"Citra", "Dewi"}[i%2],
				Items: []domain.OrderItem{{Name: "x", Qty: int64(i + 1), UnitPrice: 1000}, {Name: "y", Qty: 1, UnitPrice: 500}}}
			if err := tx.CreateOrder(&o); err != nil {
				return err
			}
			p := domain.Payment{OrderID: o.ID, Gateway: []string{"xendit", "midtrans"}[i%2], ExternalID: fmt.Sprint("P-", i), Amount: 1500,
				NextPollAt: start.Add(time.Duration(5-i) * time.Minute)}
			if err := tx.CreatePayment(&p); err != nil {
				return err
			}
			if i == 4 {
				if err := tx.SetPaymentStatus(p.ID, domain.PaymentPending, domain.PaymentExpired, 0, "", time.Time{}); err != nil {
					return err
				}
			}
		}
		return tx.SchedulePoll(s.payment.ID, start, start.Add(100*time.Hour))
	})
	db.Read(ctx, func(tx domain.ReadTx) error {
		ords, err := tx.ListOrders(domain.OrderFilter{Search: "dewi", Page: domain.Page{Limit: 10}})
		if err != nil || len(ords) != 2 || ords[0].ExternalID != "ORD-3" || len(ords[0].Items) != 2 || ords[0].Items[0].Qty != 4 {
			t.Errorf("orders = %+v, %v", ords, err)
		}
		if n, _ := tx.CountOrders(domain.OrderFilter{Statuses: []domain.OrderStatus{domain.OrderOpen}}); n != 6 {
			t.Errorf("open orders %d, want 6", n)
		}
		due, err := tx.ListPayments(domain.PaymentFilter{DuePoll: start.Add(3 * time.Minute)})
		if err != nil || len(due) != 2 || due[0].ExternalID != "P-3" || due[1].ExternalID != "P-2" {
			t.Errorf("due = %+v, %v", due, err)
		}
		mid, _ := tx.ListPayments(domain.PaymentFilter{Gateway: "midtrans"})
		if len(mid) != 2 {
			t.Errorf("midtrans payments %d", len(mid))
		}
		p, _ := tx.GetPayment(s.payment.ID)
		if p.PollCount != 1 || !p.NextPollAt.Equal(start.Add(100*time.Hour)) || !p.LastChecked.Equal(start) {
			t.Errorf("after SchedulePoll: %+v", p)
		}
		return nil
	})
}

func refids(ts []domain.Transfer) []string {
	var out []string
	for _, x := range ts {
		out = append(out, x.RefID)
	}
	return out
}

func TestEncryptedAccountNumber(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lunas.db")
	c := newGCM(t)
	db := openTest(t, path, Options{Cipher: c})
	const acct1, acct2 = "8410099887123", "0987654321555"
	var a, b domain.Payee
	write(t, db, func(tx domain.Tx) error {
		a = domain.Payee{Name: "A", AccountNumber: acct1}
		b = domain.Payee{Name: "B", AccountNumber: "placeholder"}
		if err := tx.CreatePayee(&a); err != nil {
			return err
		}
		if err := tx.CreatePayee(&b); err != nil {
			return err
		}
		b.AccountNumber = acct2
		return tx.UpdatePayee(&b)
	})
	db.Close()
	for _, name := range []string{"lunas.db", "lunas.db-wal"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		for _, acct := range []string{acct1, acct2, "placeholder"} {
			if bytes.Contains(raw, []byte(acct)) {
				t.Errorf("%s holds account number %s in plain text", name, acct)
			}
		}
	}

	// Without a key, account numbers cannot be read or written.
	locked := openTest(t, path, Options{})
	if err := locked.Read(ctx, func(tx domain.ReadTx) error { return errOnly(tx.GetPayee(a.ID)) }); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("read without cipher: %v", err)
	}
	if err := locked.Write(ctx, func(tx domain.Tx) error {
		return tx.CreatePayee(&domain.Payee{Name: "C", AccountNumber: "1"})
	}); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("create without cipher: %v", err)
	}
	// A ciphertext copied to another row does not open there.
	if err := locked.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, "UPDATE payees SET account_number = (SELECT account_number FROM payees WHERE id = ?) WHERE id = ?", a.ID, b.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	locked.Close()
	db2 := openTest(t, path, Options{Cipher: c})
	db2.Read(ctx, func(tx domain.ReadTx) error {
		if p, err := tx.GetPayee(a.ID); err != nil || p.AccountNumber != acct1 {
			t.Errorf("payee A = %+v, %v", p, err)
		}
		if p, err := tx.GetPayee(b.ID); err == nil {
			t.Errorf("moved ciphertext opened: %+v", p)
		}
		return nil
	})
}

func TestReadTxRefusesWrites(t *testing.T) {
	db := openTest(t, "", Options{})
	err := db.Read(ctx, func(rtx domain.ReadTx) error {
		return rtx.(domain.Tx).SetSetting("a", "b")
	})
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("write in Read: %v", err)
	}
	// And a failing Write commits nothing.
	boom := errors.New("boom")
	err = db.Write(ctx, func(tx domain.Tx) error {
		if err := tx.SetSetting("a", "b"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v", err)
	}
	db.Read(ctx, func(tx domain.ReadTx) error {
		if _, err := tx.GetSetting("a"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("rolled-back setting visible: %v", err)
		}
		return nil
	})
}

func TestWriteSurvivesPanic(t *testing.T) {
	db := openTest(t, "", Options{})
	func() {
		defer func() { recover() }()
		db.Write(ctx, func(tx domain.Tx) error {
			tx.SetSetting("half", "done")
			panic("bug in a caller")
		})
	}()
	// The single writer connection is free again and the half-done work is gone.
	write(t, db, func(tx domain.Tx) error {
		if _, err := tx.GetSetting("half"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("panicked write committed: %v", err)
		}
		return tx.SetSetting("after", "ok")
	})
}

func TestMigrateFromV1Fixture(t *testing.T) {
	fixture, err := os.ReadFile("testdata/v0001_fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	raw := rawDB(t, path)
	if _, err := raw.ExecContext(ctx, string(fixture)); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	raw.Close()

	db := openTest(t, path, Options{Cipher: newGCM(t)})
	migs, _ := embeddedMigrations.load()
	var n int
	db.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n)
	if n != len(migs) {
		t.Errorf("%d migrations recorded after upgrade, want %d", n, len(migs))
	}
	db.Read(ctx, func(tx domain.ReadTx) error {
		x, err := tx.GetTransfer("LNS-0001")
		if err != nil || x.Amount != 296000 || x.Status != domain.TransferSucceeded || x.ObligationID != 1 || x.SentAt.IsZero() {
			t.Errorf("transfer = %+v, %v", x, err)
		}
		o, err := tx.GetOrderByExternalID("INV-0001")
		if err != nil || len(o.Items) != 1 || o.Status != domain.OrderPaid {
			t.Errorf("order = %+v, %v", o, err)
		}
		if total, err := o.Total(); err != nil || total != 370000 {
			t.Errorf("order total = %d, %v", total, err)
		}
		pe, err := tx.GetPayee(1)
		if err != nil || pe.Name != "Bu Ratna" || pe.Verification != domain.VerifyOK {
			t.Errorf("payee = %+v, %v", pe, err)
		}
		bal, err := tx.Balances()
		if err != nil || bal["commission"] != -69500 || bal["payable:1"] != 0 {
			t.Errorf("balances = %v, %v", bal, err)
		}
		es, err := tx.ListAudit(0, 0)
		if err != nil || len(es) != 1 || es[0].ComputeHash("") != es[0].Hash {
			t.Errorf("audit = %+v, %v", es, err)
		}
		if v, err := tx.GetSetting("shop.name"); err != nil || v != "Batik Sari" {
			t.Errorf("setting = %q, %v", v, err)
		}
		return nil
	})
	// The upgraded database keeps working: the chain continues.
	write(t, db, func(tx domain.Tx) error {
		e := domain.AuditEntry{Actor: "system", Action: "upgrade"}
		if err := tx.AppendAudit(&e); err != nil {
			return err
		}
		if e.Seq != 2 || e.PrevHash != "702b2e6511ed1d30a5525bba146f4f6a2c4f054edd71b7a5f007c94f7ba860fa" {
			t.Errorf("appended %+v", e)
		}
		return nil
	})
}

func TestMigrationsAreAtomicAndForwardOnly(t *testing.T) {
	base, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.db")
	good := migrationSource{fsys: fstest.MapFS{"m/0001_init.sql": {Data: base}}, dir: "m"}
	db, err := open(ctx, path, Options{}, good)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A failing migration leaves nothing behind: not its first table, not its record.
	bad := migrationSource{fsys: fstest.MapFS{
		"m/0001_init.sql": {Data: base},
		"m/0002_bad.sql":  {Data: []byte("CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);")},
	}, dir: "m"}
	if _, err := open(ctx, path, Options{}, bad); err == nil {
		t.Fatal("bad migration applied")
	}
	raw := rawDB(t, path)
	var n int
	raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'").Scan(&n)
	var v int
	raw.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v)
	raw.Close()
	if n != 0 || v != 1 {
		t.Errorf("after failed migration: table half %d, max version %d", n, v)
	}

	// Numbers are unique.
	dup := migrationSource{fsys: fstest.MapFS{"m/0001_a.sql": {Data: base}, "m/1_b.sql": {Data: []byte("SELECT 1")}}, dir: "m"}
	if _, err := dup.load(); err == nil {
		t.Error("duplicate migration numbers accepted")
	}

	// A database newer than the binary is refused.
	full := openTest(t, path, Options{})
	if _, err := full.w.ExecContext(ctx, "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	full.Close()
	if db, err := Open(ctx, path, Options{}); !errors.Is(err, ErrSchemaTooNew) {
		if db != nil {
			db.Close()
		}
		t.Errorf("newer database: %v, want ErrSchemaTooNew", err)
	}
}

func TestDamagedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lunas.db")
	db := openTest(t, path, Options{Cipher: newGCM(t)})
	s := makeSeed(t, db)
	write(t, db, func(tx domain.Tx) error {
		for i := range 300 {
			x := domain.Transfer{RefID: fmt.Sprintf("DMG-%05d-%s", i, strings.Repeat("x", 200)), PayeeID: s.payee.ID, Amount: 1000, FailureReason: strings.Repeat("r", 1000)}
			if err := tx.CreateTransfer(&x); err != nil {
				return err
			}
		}
		return nil
	})
	if err := db.Check(ctx); err != nil {
		t.Fatalf("healthy Check: %v", err)
	}
	db.Close()
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("WAL left after close; the damage would not reach the main file")
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	garbage := bytes.Repeat([]byte{0xA5, 0x5A, 0x00, 0xFF}, 4096)
	for off := int64(8192); off < fi.Size()-8192; off += fi.Size() / 4 {
		if _, err := f.WriteAt(garbage, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	_, err = Open(ctx, path, Options{})
	assertDamaged(t, "garbage pages", err)
	_, err = Open(ctx, path, Options{OpenCheck: CheckQuick})
	assertDamaged(t, "garbage pages, quick check", err)
	assertDamaged(t, "VerifyFile", VerifyFile(ctx, path))

	notDB := filepath.Join(dir, "notes.db")
	os.WriteFile(notDB, bytes.Repeat([]byte("this is my shopping list, not a database\n"), 200), 0o600)
	_, err = Open(ctx, notDB, Options{})
	assertDamaged(t, "not a database", err)
}

func assertDamaged(t *testing.T, name string, err error) {
	t.Helper()
	if !errors.Is(err, domain.ErrDamaged) {
		t.Errorf("%s: %v, want ErrDamaged", name, err)
		return
	}
	msg := err.Error()
	for _, want := range []string{"rusak", "cadangan", "damaged", "backup"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%s: message %q lacks %q", name, msg, want)
		}
	}
}

func TestBackupReopens(t *testing.T) {
	dir := t.TempDir()
	c := newGCM(t)
	db := openTest(t, filepath.Join(dir, "lunas.db"), Options{Cipher: c})
	s := makeSeed(t, db)
	write(t, db, func(tx domain.Tx) error {
		return tx.AppendAudit(&domain.AuditEntry{Actor: "sari", Action: "backup.test"})
	})
	dst := filepath.Join(dir, "backup #1.db")
	if err := db.Backup(ctx, dst); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if err := db.Backup(ctx, dst); !errors.Is(err, ErrBackupExists) {
		t.Errorf("second backup to the same file: %v", err)
	}
	// Writes after the backup are not in it.
	write(t, db, func(tx domain.Tx) error { return tx.SetSetting("after", "1") })

	b := openTest(t, dst, Options{Cipher: c})
	b.Read(ctx, func(tx domain.ReadTx) error {
		x, err := tx.GetTransfer(s.transfer.RefID)
		if err != nil || x != s.transfer {
			t.Errorf("transfer in backup = %+v, %v", x, err)
		}
		p, err := tx.GetPayee(s.payee.ID)
		if err != nil || p.AccountNumber != s.payee.AccountNumber {
			t.Errorf("payee in backup = %+v, %v", p, err)
		}
		es, _ := tx.ListAudit(0, 0)
		if len(es) != 1 {
			t.Errorf("audit in backup: %d entries", len(es))
		}
		if _, err := tx.GetSetting("after"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("later write in backup: %v", err)
		}
		return nil
	})
}

package xlsx

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
	"lunas/domain/sqlite"
)

// gcmCipher is a real AES-256-GCM field cipher bound to the field reference,
// like the vault's, without the password handling.
type gcmCipher struct{ aead cipher.AEAD }

func newGCM(t testing.TB) *gcmCipher {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmCipher{a}
}

func (g *gcmCipher) ad(ref domain.FieldRef) []byte {
	return fmt.Appendf(nil, "%s/%s/%d", ref.Table, ref.Column, ref.Row)
}

func (g *gcmCipher) Seal(p string, ref domain.FieldRef) ([]byte, error) {
	nonce := make([]byte, g.aead.NonceSize())
	rand.Read(nonce)
	return g.aead.Seal(nonce, nonce, []byte(p), g.ad(ref)), nil
}

func (g *gcmCipher) Open(c []byte, ref domain.FieldRef) (string, error) {
	n := g.aead.NonceSize()
	if len(c) < n {
		return "", errors.New("short ciphertext")
	}
	p, err := g.aead.Open(nil, c[:n], c[n:], g.ad(ref))
	return string(p), err
}

// openStore opens a fresh SQLite store in t.TempDir with a fixed clock.
func openStore(t testing.TB, now time.Time) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lunas.db"),
		sqlite.Options{Cipher: newGCM(t), Now: func() time.Time { return now }, SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seedShop stores two payees, three orders with payments on two days and
// gateways, transfers in several statuses, postings and audit entries.
func seedShop(t testing.TB, db *sqlite.DB) (ani, budi int64) {
	t.Helper()
	day1 := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	day2 := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	day3 := time.Date(2026, 11, 3, 3, 0, 0, 0, time.UTC)
	err := db.Write(context.Background(), func(tx domain.Tx) error {
		a := domain.Payee{Name: "Bu Ani", Channel: "BCA", AccountNumber: "1234567890"}
		b := domain.Payee{Name: "Pak Budi", Channel: "BRI", AccountNumber: "555566667777"}
		for _, p := range []*domain.Payee{&a, &b} {
			if err := tx.CreatePayee(p); err != nil {
				return err
			}
		}
		ani, budi = a.ID, b.ID
		type spec struct {
			ext     string
			at      time.Time
			gateway string
			payee   int64
			amount  domain.Rupiah
			status  domain.TransferStatus
			channel string
		}
		for i, s := range []spec{
			{"ORD-1", day1, "xendit", a.ID, 100000, domain.TransferSucceeded, "xendit"},
			{"ORD-2", day2, "midtrans", b.ID, 200000, domain.TransferAwaitingApproval, "iris"},
			{"ORD-3", day3, "xendit", a.ID, 300000, domain.TransferFailed, "xendit"},
		} {
			o := domain.Order{ExternalID: s.ext, Source: "manual", BuyerName: "Pembeli " + s.ext, Status: domain.OrderPaid,
				Items: []domain.OrderItem{{Name: "Batik", Qty: 2, UnitPrice: s.amount / 2}}, CreatedAt: s.at}
			if err := tx.CreateOrder(&o); err != nil {
				return err
			}
			p := domain.Payment{OrderID: o.ID, Gateway: s.gateway, ExternalID: "PAY-" + s.ext, Amount: s.amount,
				PaidAmount: s.amount, Status: domain.PaymentSettled, CreatedAt: s.at, SettledAt: s.at}
			if err := tx.CreatePayment(&p); err != nil {
				return err
			}
			ob := domain.Obligation{PaymentID: p.ID, OrderID: o.ID, PayeeID: s.payee, Role: domain.RoleSeller,
				Amount: s.amount * 9 / 10, Status: domain.ObligationOpen, CreatedAt: s.at}
			if err := tx.CreateObligation(&ob); err != nil {
				return err
			}
			tr := domain.Transfer{RefID: fmt.Sprintf("R-%d", i+1), ObligationID: ob.ID, PayeeID: s.payee, Channel: s.channel,
				Amount: ob.Amount, Status: s.status, CreatedBy: "engine", CreatedAt: s.at}
			if s.status == domain.TransferAwaitingApproval {
				tr.HoldReason = "transfer besar"
			}
			if err := tx.CreateTransfer(&tr); err != nil {
				return err
			}
			post := domain.SettlementPosting(s.gateway, "payment:"+p.ExternalID, s.amount, []domain.Portion{
				{Role: domain.RoleSeller, PayeeID: s.payee, Amount: ob.Amount}, {Role: domain.RoleCommission, Amount: s.amount - ob.Amount}})
			post.CreatedAt = s.at
			if err := tx.Post(&post); err != nil {
				return err
			}
			if err := tx.AppendAudit(&domain.AuditEntry{Actor: "engine", Action: "transfer.created", Subject: "transfer:" + tr.RefID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ani, budi
}

func exportFromStore(t *testing.T, db *sqlite.DB, path string, opts Options) Result {
	t.Helper()
	var res Result
	err := db.Read(context.Background(), func(rt domain.ReadTx) error {
		var err error
		res, err = Export(context.Background(), rt.(Rows), path, opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestExportFromStoreFilters(t *testing.T) {
	now := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	db := openStore(t, now)
	ani, _ := seedShop(t, db)
	cases := []struct {
		name      string
		filter    Filter
		transfers string // REFIDs in the Transfers sheet
		orders    string
		ledger    int
		flags     int
	}{
		{"all", Filter{}, "R-1 R-2 R-3", "ORD-1 ORD-2 ORD-3", 9, 1},
		{"date range", Filter{From: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}, "R-2", "ORD-2", 3, 1},
		{"status", Filter{Statuses: []string{"succeeded", "failed"}}, "R-1 R-3", "", 9, 0},
		{"payee", Filter{PayeeID: ani}, "R-1 R-3", "ORD-1 ORD-3", 6, 0},
		{"gateway", Filter{Gateway: "xendit"}, "R-1 R-3", "ORD-1 ORD-3", 6, 0},
		{"gateway iris", Filter{Gateway: "iris"}, "R-2", "", 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.xlsx")
			res := exportFromStore(t, db, path, Options{Actor: owner, Filter: c.filter, Lang: LangEN})
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := colValues(t, f, "Transfers", 0); got != c.transfers {
				t.Errorf("transfers = %q, want %q", got, c.transfers)
			}
			if got := colValues(t, f, "Orders", 0); got != c.orders {
				t.Errorf("orders = %q, want %q", got, c.orders)
			}
			if res.Rows[SheetLedger] != int64(c.ledger) || res.Rows[SheetFlags] != int64(c.flags) {
				t.Errorf("ledger lines %d, flags %d; want %d, %d", res.Rows[SheetLedger], res.Rows[SheetFlags], c.ledger, c.flags)
			}
		})
	}
	// Masked by default, decrypted from the store; progress knows the total.
	path := filepath.Join(t.TempDir(), "m.xlsx")
	var last Progress
	if _, err := ExportStore(context.Background(), db, path, Options{Actor: owner, Lang: LangEN,
		Progress: func(p Progress) { last = p }}); err != nil {
		t.Fatal(err)
	}
	// 3 orders + 3 payments + 3 transfers + 9 ledger lines + 1 flag + 3 audit entries.
	if last.Total != 22 || last.Done != 22 {
		t.Errorf("last progress = %+v, want 22 of 22", last)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := colValues(t, f, "Transfers", 6); got != "••••7777 ••••7890 ••••7890" {
		t.Errorf("accounts = %q", got)
	}
	// Orders sheet totals come from the items.
	if got := colValues(t, f, "Orders", 10); got != "100000 200000 300000" {
		t.Errorf("order totals = %q", got)
	}
}

// colValues returns the data values of one column, space separated, sorted.
func colValues(t *testing.T, f *excelize.File, sheet string, col int) string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows[1:] {
		if col < len(r) {
			out = append(out, r[col])
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

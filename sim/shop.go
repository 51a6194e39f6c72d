package sim

import (
	"context"
	"time"

	"lunas/domain"
	"lunas/gateways/sandbox"
)

// simEpoch is Monday 5 January 2026, 00:00 in Jakarta (WIB): runs start
// that day at a time drawn from the seed. The virtual clock stays well
// before the machine's clock, so a deadline on the virtual clock is always
// the earlier one where the standard library meets both (net/http's own
// client timeout is on the machine's clock).
var simEpoch = time.Date(2026, 1, 5, 0, 0, 0, 0, wib)

// wib is the shop's time zone.
var wib = time.FixedZone("WIB", 7*3600)

// The payout channels of the simulated shop, by the engine's channel name.
const (
	chXendit = "xendit"
	chIris   = "iris"
	chH2H    = "h2h:pulsa"
	chDOKU   = "doku" // Kirim DOKU
)

// bookName is a channel's name in the sandbox's payout book.
func bookName(ch string) string {
	if ch == chH2H {
		return "h2h"
	}
	return ch
}

// routes sends each bank or wallet code to a channel (the shop's
// payout.route setting); unrouted codes go through Xendit.
var routes = map[string]string{
	"BCA": chXendit, "BNI": chDOKU, "MANDIRI": chIris, "BRI": chIris, "GOPAY": chH2H, "OVO": chH2H,
}

// account is a destination a payee may have, with what the sandbox does
// with payouts to it.
type account struct {
	Bank, Number string
	Outcome      string // "ok", "fail" or "stuck" at the gateway
}

// accounts are the sandbox's documented test destinations per bank: a
// payee's account change picks one of them.
var accounts = []account{
	{"BCA", "0611101146", "ok"}, {"BCA", "7654321", "fail"}, {"BCA", "131313", "stuck"},
	{"BNI", "00010000", "ok"}, {"BNI", "8787878", "fail"},
	{"MANDIRI", "1380011819286", "ok"}, {"MANDIRI", "9990000001", "fail"}, {"MANDIRI", "9990000009", "stuck"},
	{"BRI", "504101005099530", "ok"},
	{"GOPAY", "081234567890", "ok"}, {"GOPAY", sandbox.H2HFailDest, "fail"}, {"GOPAY", sandbox.H2HStuckDest, "stuck"},
	{"OVO", "081298765432", "ok"},
}

// simPayee is one payee of the shop as seeded.
type simPayee struct {
	Name, Bank, Account, Email string
	Verified                   bool
}

// payees are the shop's makers and suppliers. IDs follow this order (1..n).
var payees = []simPayee{
	{"Bu Ani (Batik Tulis Solo)", "BCA", "0611101146", "ani@example.com", true},
	{"Pak Joko (Batik Cap)", "BNI", "00010000", "joko@example.com", true},
	{"Mas Dimas (Batik Lasem)", "MANDIRI", "1380011819286", "dimas@example.com", true},
	{"Ibu Ratna (Sogan)", "BRI", "504101005099530", "ratna@example.com", true},
	{"Mbak Wulan (Ecoprint)", "GOPAY", "081234567890", "wulan@example.com", true},
	{"CV Kain Prima (supplier)", "BCA", "0611101146", "prima@example.com", true},
	{"Pak Harjo (new maker)", "OVO", "081298765432", "harjo@example.com", false},
}

// simProduct is one product and the split of its sale.
type simProduct struct {
	SKU, Name string
	Price     domain.Rupiah
	Seller    int64 // payee id (1-based)
	SellerBPS int64
	Supplier  int64 // 0: none
	SupplyBPS int64
}

var products = []simProduct{
	{"BTS-001", "Kain batik tulis Parang", 850_000, 1, 7000, 6, 1500},
	{"BCP-001", "Kemeja batik cap", 189_000, 2, 6500, 0, 0},
	{"LSM-001", "Kain batik Lasem tiga negeri", 1_750_000, 3, 6000, 6, 2000},
	{"SOG-001", "Selendang sogan", 275_000, 4, 7000, 0, 0},
	{"ECO-001", "Syal ecoprint sutra", 210_000, 5, 7500, 2, 1000},
	{"HRJ-001", "Tas anyaman", 120_000, 7, 8000, 0, 0},
}

// seedShop writes the shop into a new database: payees, one payout rule
// per product, the products, and the auto-send limits.
func seedShop(ctx context.Context, st domain.Store) error {
	return st.Write(ctx, func(tx domain.Tx) error {
		for _, p := range payees {
			v := domain.VerifyOK
			if !p.Verified {
				v = domain.VerifyNone
			}
			py := domain.Payee{Name: p.Name, Channel: p.Bank, AccountNumber: p.Account, AccountHolder: p.Name,
				Verification: v, Email: p.Email, CreatedAt: simEpoch, UpdatedAt: simEpoch}
			if err := tx.CreatePayee(&py); err != nil {
				return err
			}
		}
		for _, p := range products {
			r := domain.PayoutRule{Name: "Bagi hasil " + p.SKU, Shares: []domain.Share{
				{Role: domain.RoleSeller, PayeeID: p.Seller, BPS: p.SellerBPS},
				{Role: domain.RoleGatewayFee, Fixed: 4500},
			}}
			if p.Supplier != 0 {
				r.Shares = append(r.Shares, domain.Share{Role: domain.RoleSupplier, PayeeID: p.Supplier, BPS: p.SupplyBPS})
			}
			if err := tx.CreatePayoutRule(&r); err != nil {
				return err
			}
			pr := domain.Product{SKU: p.SKU, Name: p.Name, Price: p.Price, PayeeID: p.Seller, Active: true, Created: simEpoch, Modified: simEpoch}
			if err := tx.CreateProduct(&pr); err != nil {
				return err
			}
		}
		return nil
	})
}

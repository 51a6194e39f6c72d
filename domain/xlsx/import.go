package xlsx

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
	"lunas/domain/risk"
)

// RowError says precisely what is wrong with one cell or row of an import.
type RowError struct {
	Row     int    // row number as the spreadsheet shows it
	Column  string // header text, "" for the whole row
	Value   string
	Message string
}

// Error implements error.
func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("baris %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("baris %d, kolom %q (%q): %s", e.Row, e.Column, e.Value, e.Message)
}

// ErrFileInvalid reports an import refused because some rows are invalid;
// ImportResult.Errors lists them. It matches domain.ErrInvalid.
var ErrFileInvalid = fmt.Errorf("the file has invalid rows, nothing was imported: %w", domain.ErrInvalid)

// ImportOptions controls an import.
type ImportOptions struct {
	Actor   domain.Actor
	Kind    Kind
	Mapping Mapping // nil: the proposed mapping from Inspect
	// ValidOnly imports the valid rows and reports the others as skipped,
	// instead of refusing the whole file.
	ValidOnly bool
	Source    string    // file name, recorded on imported orders as "import:<name>"
	Now       time.Time // creation time of imported orders without a date (zero: the store's clock)
	Location  *time.Location
}

// ImportResult tells what an import did.
type ImportResult struct {
	Created   int        // records written
	Unchanged int        // rows already in the database (re-import)
	Errors    []RowError // invalid rows (nothing written unless ValidOnly)
	Skipped   []RowError // with ValidOnly: the invalid rows that were left out
}

// Import validates every row of t and writes the records in one transaction.
// Unless opts.ValidOnly, any invalid row means nothing is written and the
// error is ErrFileInvalid with res.Errors listing every problem. Records
// already stored (payees by bank and account number, products by SKU, orders
// by their id) are left unchanged, so importing a file twice changes nothing.
func Import(ctx context.Context, store domain.Store, t *Table, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	perm := domain.PermManagePayees
	if opts.Kind == KindOrders {
		perm = domain.PermManageOrders
	}
	if err := opts.Actor.Can(perm); err != nil {
		return res, err
	}
	m := opts.Mapping
	if m == nil {
		m = Inspect(t, opts.Kind).Proposed
	}
	idx, err := resolve(t, opts.Kind, m)
	if err != nil {
		return res, err
	}
	if opts.Location == nil {
		if opts.Location, err = ShopLocation(); err != nil {
			return res, err
		}
	}
	im := &importer{t: t, idx: idx, opts: opts}
	err = store.Write(ctx, func(tx domain.Tx) error {
		im.tx = tx
		var recs []record
		var err error
		switch opts.Kind {
		case KindPayees:
			recs, err = im.payees()
		case KindProducts:
			recs, err = im.products()
		case KindOrders:
			recs, err = im.orders()
		default:
			return fmt.Errorf("import kind %q: %w", opts.Kind, domain.ErrInvalid)
		}
		if err != nil {
			return err
		}
		if len(im.errs) > 0 && !opts.ValidOnly {
			return ErrFileInvalid
		}
		for _, r := range recs {
			if r.existing {
				res.Unchanged++
				continue
			}
			if err := r.write(tx); err != nil {
				return fmt.Errorf("baris %d: %w", r.row, err)
			}
			res.Created++
		}
		return nil
	})
	res.Errors = im.errs
	if opts.ValidOnly {
		res.Skipped = im.errs
	}
	if err != nil {
		res.Created, res.Unchanged = 0, 0
		return res, err
	}
	return res, nil
}

// record is one validated row (or order) ready to write.
type record struct {
	row      int
	existing bool
	write    func(domain.Tx) error
}

type importer struct {
	t    *Table
	idx  map[Field]int
	opts ImportOptions
	tx   domain.Tx
	errs []RowError
	bad  bool // the current row has an error
}

// cell returns the text of field f in data row i ("" if unmapped or absent).
func (im *importer) cell(i int, f Field) string {
	c, ok := im.idx[f]
	if !ok || c >= len(im.t.Rows[i]) {
		return ""
	}
	return im.t.Rows[i][c]
}

func (im *importer) fail(i int, f Field, format string, args ...any) {
	e := RowError{Row: im.t.RowNums[i], Message: fmt.Sprintf(format, args...)}
	if f != "" {
		e.Column, e.Value = Clip(im.t.Headers[im.idx[f]]), Clip(im.cell(i, f))
	}
	im.errs = append(im.errs, e)
	im.bad = true
}

// text reads a required or optional text field with a length limit.
func (im *importer) text(i int, f Field, required bool, maxLen int) string {
	s := im.cell(i, f)
	switch {
	case s == "" && required:
		im.fail(i, f, "wajib diisi (required)")
	case utf8.RuneCountInString(s) > maxLen:
		im.fail(i, f, "terlalu panjang: paling banyak %d karakter", maxLen)
	case strings.ContainsAny(s, "\x00\r\n"):
		im.fail(i, f, "berisi karakter kendali atau baris baru")
	default:
		return s
	}
	return ""
}

// name reads a person's name: NFKC, nothing invisible (zero-width
// characters, bidi overrides, control characters), at most 100 characters.
func (im *importer) name(i int, f Field, required bool) string {
	s := im.text(i, f, required, 100)
	if s == "" {
		return ""
	}
	n, err := risk.CleanName(s)
	if err != nil {
		im.fail(i, f, "berisi karakter tak terlihat, kendali atau pembalik arah teks (invisible, control or text-direction characters)")
		return ""
	}
	return n
}

func (im *importer) email(i int, f Field) string {
	s := im.cell(i, f)
	if s == "" {
		return ""
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.IndexByte(s, '@')+1:], ".") {
		im.fail(i, f, "bukan alamat email yang sah (contoh: nama@contoh.id)")
		return ""
	}
	return s
}

func (im *importer) rupiah(i int, f Field, required bool) domain.Rupiah {
	s := im.cell(i, f)
	if s == "" {
		if required {
			im.fail(i, f, "wajib diisi (required)")
		}
		return 0
	}
	v, err := domain.ParseRupiah(s)
	if err != nil {
		var re *domain.RupiahError
		if errors.As(err, &re) {
			im.fail(i, f, "%s", re.Reason())
		} else {
			im.fail(i, f, "bukan jumlah rupiah")
		}
		return 0
	}
	if v < 0 {
		im.fail(i, f, "tidak boleh negatif")
		return 0
	}
	return v
}

// knownBanks are the bank and e-wallet codes payouts can go to.
var knownBanks = map[string]bool{
	"BCA": true, "BRI": true, "BNI": true, "MANDIRI": true, "PERMATA": true, "CIMB": true, "DANAMON": true,
	"BSI": true, "BTN": true, "OCBC": true, "MEGA": true, "PANIN": true, "MAYBANK": true, "BJB": true,
	"JAGO": true, "SEABANK": true, "BTPN": true, "GOPAY": true, "OVO": true, "DANA": true, "SHOPEEPAY": true, "LINKAJA": true,
}

func (im *importer) bank(i int) string {
	s := strings.ToUpper(strings.TrimSpace(im.cell(i, FBank)))
	s = strings.TrimSpace(strings.TrimPrefix(s, "BANK "))
	if s == "" {
		im.fail(i, FBank, "wajib diisi (required)")
		return ""
	}
	if !knownBanks[s] {
		im.fail(i, FBank, "kode bank tidak dikenal (contoh: BCA, BRI, BNI, MANDIRI, GOPAY)")
		return ""
	}
	return s
}

// account normalises an account number: spaces, dots and dashes removed,
// then 6 to 20 digits.
func (im *importer) account(i int) string {
	s := strings.NewReplacer(" ", "", "-", "", ".", "").Replace(im.cell(i, FAccount))
	if s == "" {
		im.fail(i, FAccount, "wajib diisi (required)")
		return ""
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			im.fail(i, FAccount, "nomor rekening hanya boleh berisi angka")
			return ""
		}
	}
	if len(s) < 6 || len(s) > 20 {
		im.fail(i, FAccount, "nomor rekening harus 6 sampai 20 angka, ini %d", len(s))
		return ""
	}
	return s
}

func (im *importer) rule(i int, rules []domain.PayoutRule) int64 {
	s := im.cell(i, FPayoutRule)
	if s == "" {
		return 0
	}
	for _, r := range rules {
		if strings.EqualFold(r.Name, s) || strconv.FormatInt(r.ID, 10) == s {
			return r.ID
		}
	}
	im.fail(i, FPayoutRule, "aturan bagi hasil tidak ditemukan")
	return 0
}

func (im *importer) payees() ([]record, error) {
	existing, err := im.tx.ListPayees(domain.Page{})
	if err != nil {
		return nil, err
	}
	rules, err := im.tx.ListPayoutRules()
	if err != nil {
		return nil, err
	}
	stored := map[string]bool{}
	for _, p := range existing {
		stored[p.Channel+"|"+p.AccountNumber] = true
	}
	seen := map[string]int{}
	var out []record
	for i := range im.t.Rows {
		im.bad = false
		p := domain.Payee{
			Name:          im.name(i, FName, true),
			Channel:       im.bank(i),
			AccountNumber: im.account(i),
			AccountHolder: im.name(i, FHolder, false),
			Email:         im.email(i, FEmail),
			PayoutRuleID:  im.rule(i, rules),
		}
		key := p.Channel + "|" + p.AccountNumber
		if !im.bad {
			if first, dup := seen[key]; dup {
				im.fail(i, FAccount, "rekening ini sudah ada di baris %d", first)
			} else {
				seen[key] = im.t.RowNums[i]
			}
		}
		if im.bad {
			continue
		}
		out = append(out, record{row: im.t.RowNums[i], existing: stored[key],
			write: func(tx domain.Tx) error { return tx.CreatePayee(&p) }})
	}
	return out, nil
}

func (im *importer) products() ([]record, error) {
	var existing []domain.Product
	existing, err := im.tx.ListProducts(domain.Page{})
	if err != nil {
		return nil, err
	}
	payees, err := im.tx.ListPayees(domain.Page{})
	if err != nil {
		return nil, err
	}
	stored := map[string]bool{}
	for _, p := range existing {
		if p.SKU != "" {
			stored[p.SKU] = true
		}
	}
	seen := map[string]int{}
	var out []record
	for i := range im.t.Rows {
		im.bad = false
		p := domain.Product{
			SKU:    im.text(i, FSKU, false, 64),
			Name:   im.text(i, FName, true, 200),
			Price:  im.rupiah(i, FPrice, true),
			Active: true,
		}
		if s := im.cell(i, FPayee); s != "" {
			var match []int64
			for _, y := range payees {
				if strings.EqualFold(y.Name, s) || strconv.FormatInt(y.ID, 10) == s {
					match = append(match, y.ID)
				}
			}
			switch len(match) {
			case 0:
				im.fail(i, FPayee, "penerima tidak ditemukan; impor penerima dulu")
			case 1:
				p.PayeeID = match[0]
			default:
				im.fail(i, FPayee, "ada %d penerima dengan nama ini; tulis ID-nya", len(match))
			}
		}
		if s := strings.ToLower(im.cell(i, FActive)); s != "" {
			switch s {
			case "1", "ya", "yes", "y", "true", "aktif", "active":
			case "0", "tidak", "no", "n", "false", "nonaktif", "inactive":
				p.Active = false
			default:
				im.fail(i, FActive, "tulis ya atau tidak")
			}
		}
		if p.SKU != "" && !im.bad {
			if first, dup := seen[p.SKU]; dup {
				im.fail(i, FSKU, "SKU ini sudah ada di baris %d", first)
			} else {
				seen[p.SKU] = im.t.RowNums[i]
			}
		}
		if im.bad {
			continue
		}
		out = append(out, record{row: im.t.RowNums[i], existing: p.SKU != "" && stored[p.SKU],
			write: func(tx domain.Tx) error { return tx.CreateProduct(&p) }})
	}
	return out, nil
}

// orders groups marketplace rows (one per item) by order id. Order-level
// values (buyer, shipping, fees, discount, date) come from the order's first
// row; a later row that disagrees is an error.
func (im *importer) orders() ([]record, error) {
	products, err := im.tx.ListProducts(domain.Page{})
	if err != nil {
		return nil, err
	}
	rules, err := im.tx.ListPayoutRules()
	if err != nil {
		return nil, err
	}
	bySKU := map[string]domain.Product{}
	for _, p := range products {
		if p.SKU != "" {
			bySKU[p.SKU] = p
		}
	}
	type pending struct {
		o       *domain.Order
		row     int
		bad     bool
		levels  [4]string // buyer, shipping, fees, discount as first seen
		written bool
	}
	byID := map[string]*pending{}
	var order []*pending
	source := "import"
	if im.opts.Source != "" {
		source = "import:" + im.opts.Source
	}
	for i := range im.t.Rows {
		im.bad = false
		id := im.text(i, FOrderID, true, 64)
		if id != "" && strings.ContainsAny(id, " /?#%&") {
			im.fail(i, FOrderID, "nomor pesanan tidak boleh berisi spasi atau / ? # %% &")
		}
		qty := int64(0)
		if s := im.cell(i, FQty); s == "" {
			im.fail(i, FQty, "wajib diisi (required)")
		} else if n, err := parseQty(s); err != nil {
			im.fail(i, FQty, "jumlah harus bilangan bulat 1 atau lebih")
		} else {
			qty = n
		}
		item := domain.OrderItem{Qty: qty, UnitPrice: im.rupiah(i, FUnitPrice, true), Name: im.text(i, FProduct, false, 200)}
		if sku := im.cell(i, FSKU); sku != "" {
			if p, ok := bySKU[sku]; ok {
				item.ProductID = p.ID
				if item.Name == "" {
					item.Name = p.Name
				}
			} else if item.Name == "" {
				im.fail(i, FSKU, "SKU tidak dikenal dan nama produk kosong")
			}
		} else if item.Name == "" && !im.bad {
			im.fail(i, FProduct, "isi nama produk atau SKU")
		}
		levels := [4]string{im.cell(i, FBuyer), im.cell(i, FShipping), im.cell(i, FFees), im.cell(i, FDiscount)}
		ship, fees, disc := im.rupiah(i, FShipping, false), im.rupiah(i, FFees, false), im.rupiah(i, FDiscount, false)
		buyer := im.text(i, FBuyer, false, 100)
		email := im.email(i, FBuyerEmail)
		at := im.date(i)
		rule := im.rule(i, rules)
		if id == "" {
			continue
		}
		p := byID[id]
		if p == nil {
			p = &pending{row: im.t.RowNums[i], levels: levels, o: &domain.Order{ExternalID: id, Source: source, BuyerName: buyer,
				BuyerEmail: email, Shipping: ship, Fees: fees, Discount: disc, PayoutRuleID: rule, Status: domain.OrderOpen, CreatedAt: at}}
			byID[id] = p
			order = append(order, p)
		} else {
			for k, f := range []Field{FBuyer, FShipping, FFees, FDiscount} {
				if levels[k] != p.levels[k] && levels[k] != "" {
					im.fail(i, f, "berbeda dengan baris %d untuk pesanan yang sama", p.row)
				}
			}
		}
		if im.bad {
			p.bad = true
			continue
		}
		p.o.Items = append(p.o.Items, item)
	}
	maxOrder, err := domain.MaxAmount(im.tx, domain.SettingMaxOrder)
	if err != nil {
		return nil, err
	}
	var out []record
	for _, p := range order {
		if p.bad {
			continue // its rows are already reported
		}
		err := p.o.Validate()
		if err == nil {
			err = p.o.CheckMaxOrder(maxOrder)
		}
		if err != nil {
			im.errs = append(im.errs, RowError{Row: p.row, Message: "pesanan " + p.o.ExternalID + ": " + err.Error()})
			continue
		}
		_, err = im.tx.GetOrderByExternalID(p.o.ExternalID)
		existing := err == nil
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		o := p.o
		if o.CreatedAt.IsZero() && !im.opts.Now.IsZero() {
			o.CreatedAt = im.opts.Now
		}
		out = append(out, record{row: p.row, existing: existing, write: func(tx domain.Tx) error { return tx.CreateOrder(o) }})
	}
	return out, nil
}

// date reads an order date: an Excel date serial, or text in the shop's zone
// as 2006-01-02[ 15:04[:05]] or 02/01/2006[ 15:04[:05]].
func (im *importer) date(i int) time.Time {
	s := im.cell(i, FDate)
	if s == "" {
		return time.Time{}
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 1 && v < 100000 {
		t, err := excelize.ExcelDateToTime(v, false)
		if err == nil {
			// The serial is the shop's wall clock.
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, im.opts.Location)
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02",
		"02/01/2006 15:04:05", "02/01/2006 15:04", "02/01/2006", "02-01-2006 15:04", "02-01-2006"} {
		if t, err := time.ParseInLocation(layout, s, im.opts.Location); err == nil {
			return t
		}
	}
	im.fail(i, FDate, "bukan tanggal (contoh: 2026-11-01 13:45 atau 01/11/2026)")
	return time.Time{}
}

// parseQty reads an item quantity: a whole number from 1 to 1,000,000.
func parseQty(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 1_000_000 {
		return 0, domain.Invalid("qty", "jumlah harus bilangan bulat 1 sampai 1.000.000 / quantity must be a whole number from 1 to 1,000,000")
	}
	return n, nil
}

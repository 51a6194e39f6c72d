package xlsx

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"lunas/domain"
)

// Kind is what a spreadsheet import holds.
type Kind string

// Import kinds.
const (
	KindPayees   Kind = "payees"
	KindProducts Kind = "products"
	KindOrders   Kind = "orders"
)

// ParseKind reads "payees", "products" or "orders".
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindPayees, KindProducts, KindOrders:
		return k, nil
	}
	return "", fmt.Errorf("import kind %q: use payees, products or orders: %w", s, domain.ErrInvalid)
}

// Field is one thing an import reads from a column.
type Field string

// Fields of the import kinds.
const (
	FName       Field = "name"
	FBank       Field = "bank"
	FAccount    Field = "account"
	FHolder     Field = "holder"
	FEmail      Field = "email"
	FPayoutRule Field = "payout_rule"
	FSKU        Field = "sku"
	FPrice      Field = "price"
	FPayee      Field = "payee"
	FActive     Field = "active"
	FOrderID    Field = "order_id"
	FBuyer      Field = "buyer"
	FBuyerEmail Field = "buyer_email"
	FProduct    Field = "product"
	FQty        Field = "qty"
	FUnitPrice  Field = "unit_price"
	FShipping   Field = "shipping"
	FFees       Field = "fees"
	FDiscount   Field = "discount"
	FDate       Field = "date"
)

// fieldSpec says how a field is found among headers.
type fieldSpec struct {
	field    Field
	required bool
	synonyms []string // normalised header texts, Indonesian and English and marketplace exports
}

var kindFields = map[Kind][]fieldSpec{
	KindPayees: {
		{FName, true, []string{"name", "nama", "nama penerima", "payee", "penerima", "nama mitra"}},
		{FBank, true, []string{"bank", "kode bank", "bank code", "channel", "kanal", "nama bank"}},
		{FAccount, true, []string{"account", "account number", "rekening", "no rekening", "nomor rekening", "no rek", "norek"}},
		{FHolder, false, []string{"holder", "holder name", "account holder", "atas nama", "nama pemilik rekening", "pemilik rekening"}},
		{FEmail, false, []string{"email", "e-mail", "surel"}},
		{FPayoutRule, false, []string{"payout rule", "aturan bagi hasil", "aturan", "rule", "bagi hasil"}},
	},
	KindProducts: {
		{FSKU, false, []string{"sku", "kode", "kode produk", "sku induk", "product code"}},
		{FName, true, []string{"name", "nama", "nama produk", "product", "produk", "product name"}},
		{FPrice, true, []string{"price", "harga", "harga jual", "harga satuan"}},
		{FPayee, false, []string{"payee", "penerima", "pemasok", "supplier", "mitra", "pembuat", "maker"}},
		{FActive, false, []string{"active", "aktif", "status"}},
	},
	KindOrders: {
		{FOrderID, true, []string{"order id", "order", "no pesanan", "nomor pesanan", "no. pesanan", "invoice", "nomor invoice", "no invoice", "id pesanan", "order number"}},
		{FBuyer, false, []string{"buyer", "buyer name", "nama pembeli", "pembeli", "username (pembeli)", "customer", "nama penerima"}},
		{FBuyerEmail, false, []string{"buyer email", "email", "email pembeli", "e-mail"}},
		{FSKU, false, []string{"sku", "nomor referensi sku", "sku induk", "kode produk"}},
		{FProduct, false, []string{"product", "product name", "nama produk", "produk", "item", "nama barang"}},
		{FQty, true, []string{"qty", "quantity", "jumlah", "jumlah produk", "kuantitas", "jumlah produk di pesan"}},
		{FUnitPrice, true, []string{"unit price", "price", "harga", "harga satuan", "harga awal", "harga jual", "harga setelah diskon"}},
		{FShipping, false, []string{"shipping", "ongkir", "ongkos kirim", "ongkos kirim dibayar oleh pembeli", "biaya pengiriman"}},
		{FFees, false, []string{"fees", "fee", "biaya", "biaya layanan", "biaya admin", "biaya asuransi"}},
		{FDiscount, false, []string{"discount", "diskon", "voucher", "potongan"}},
		{FDate, false, []string{"date", "tanggal", "waktu pesanan dibuat", "tanggal pembayaran", "order date", "waktu pembayaran"}},
		{FPayoutRule, false, []string{"payout rule", "aturan bagi hasil", "aturan"}},
	},
}

// Mapping says which header holds each field.
type Mapping map[Field]string

// ParseMapping reads the command line form "field=Header,field=Header".
func ParseMapping(s string) (Mapping, error) {
	m := Mapping{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("mapping %q: write field=Header: %w", Clip(part), domain.ErrInvalid)
		}
		m[Field(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return m, nil
}

// Preview is what the column-mapping step shows: the headers found, the
// proposed mapping and the required fields no header matched.
type Preview struct {
	Kind     Kind
	Headers  []string
	Proposed Mapping
	Missing  []Field
	Fields   []Field // every field of the kind, in display order
	Rows     int     // data rows in the file
}

// Inspect proposes a mapping for a table: each field takes the first header
// that matches one of its names (case, spaces and punctuation ignored).
func Inspect(t *Table, kind Kind) Preview {
	p := Preview{Kind: kind, Headers: t.Headers, Proposed: Mapping{}, Rows: len(t.Rows)}
	used := map[int]bool{}
	for _, fs := range kindFields[kind] {
		p.Fields = append(p.Fields, fs.field)
		for i, h := range t.Headers {
			if used[i] {
				continue
			}
			nh := normHeader(h)
			if nh == string(fs.field) || contains(fs.synonyms, nh) {
				p.Proposed[fs.field] = h
				used[i] = true
				break
			}
		}
		if _, ok := p.Proposed[fs.field]; !ok && fs.required {
			p.Missing = append(p.Missing, fs.field)
		}
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if normHeader(x) == s {
			return true
		}
	}
	return false
}

// normHeader lowercases and keeps letters and digits separated by single spaces.
func normHeader(h string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		} else {
			space = true
		}
	}
	return b.String()
}

// resolve turns a mapping into column indexes, checking every header exists
// and every required field is mapped.
func resolve(t *Table, kind Kind, m Mapping) (map[Field]int, error) {
	idx := map[Field]int{}
	known := map[Field]bool{}
	for _, fs := range kindFields[kind] {
		known[fs.field] = true
	}
	var problems []string
	fields := make([]string, 0, len(m))
	for f := range m {
		fields = append(fields, string(f))
	}
	sort.Strings(fields)
	for _, fs := range fields {
		f, h := Field(fs), m[Field(fs)]
		if !known[f] {
			problems = append(problems, fmt.Sprintf("unknown field %q", f))
			continue
		}
		found := -1
		for i, x := range t.Headers {
			if x == h || normHeader(x) == normHeader(h) {
				found = i
				break
			}
		}
		if found < 0 {
			problems = append(problems, fmt.Sprintf("field %s: no column named %q", f, h))
			continue
		}
		idx[f] = found
	}
	for _, fs := range kindFields[kind] {
		if _, ok := idx[fs.field]; !ok && fs.required {
			problems = append(problems, fmt.Sprintf("required field %s has no column", fs.field))
		}
	}
	if len(problems) > 0 {
		return nil, &domain.ValidationError{Field: "mapping", Message: strings.Join(problems, "; ")}
	}
	return idx, nil
}

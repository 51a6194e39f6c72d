package xlsx

import "fmt"

// Sheet names one table of the export.
type Sheet string

// The export's sheets, in workbook order.
const (
	SheetSummary   Sheet = "summary"
	SheetOrders    Sheet = "orders"
	SheetPayments  Sheet = "payments"
	SheetTransfers Sheet = "transfers"
	SheetLedger    Sheet = "ledger"
	SheetFlags     Sheet = "flags"
	SheetAudit     Sheet = "audit"
)

// AllSheets lists every sheet in workbook order.
var AllSheets = []Sheet{SheetSummary, SheetOrders, SheetPayments, SheetTransfers, SheetLedger, SheetFlags, SheetAudit}

// Lang is the language of sheet and column names.
type Lang string

// Languages.
const (
	LangID Lang = "id" // Bahasa Indonesia (the default)
	LangEN Lang = "en"
)

// ParseLang reads "id" or "en" ("" is Indonesian).
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "id":
		return LangID, nil
	case "en":
		return LangEN, nil
	}
	return "", fmt.Errorf("language %q: use id or en", s)
}

// ParseSheet reads a sheet name in code form ("transfers").
func ParseSheet(s string) (Sheet, error) {
	for _, sh := range AllSheets {
		if string(sh) == s {
			return sh, nil
		}
	}
	return "", fmt.Errorf("sheet %q: use one of summary, orders, payments, transfers, ledger, flags, audit", s)
}

var sheetNames = map[Sheet][2]string{ // en, id
	SheetSummary:   {"Summary", "Ringkasan"},
	SheetOrders:    {"Orders", "Pesanan"},
	SheetPayments:  {"Payments", "Pembayaran"},
	SheetTransfers: {"Transfers", "Transfer"},
	SheetLedger:    {"Ledger", "Buku Besar"},
	SheetFlags:     {"Flags", "Ditandai"},
	SheetAudit:     {"Audit", "Audit"},
}

// Title returns the sheet's name in lang.
func (s Sheet) Title(lang Lang) string { return pick(sheetNames[s], lang) }

func pick(p [2]string, lang Lang) string {
	if lang == LangEN {
		return p[0]
	}
	return p[1]
}

// kind says how a column's values are written.
type kind int

const (
	kText  kind = iota
	kMoney      // domain.Rupiah as a number with the rupiah format
	kTime       // time.Time as an Excel date-time in the shop's zone
	kDate       // time.Time as an Excel date (no time of day)
	kInt        // int64 as a plain number
)

// column is one column of a sheet.
type column struct {
	en, id string
	width  float64
	kind   kind
}

func (c column) title(lang Lang) string { return pick([2]string{c.en, c.id}, lang) }

var sheetColumns = map[Sheet][]column{
	SheetSummary: {
		{"Section", "Bagian", 30, kText},
		{"Date", "Tanggal", 12, kDate},
		{"Name", "Nama", 28, kText},
		{"Count", "Jumlah", 10, kInt},
		{"Amount", "Nilai", 18, kMoney},
	},
	SheetOrders: {
		{"Reference", "Referensi", 22, kText},
		{"Created", "Dibuat", 17, kTime},
		{"Buyer", "Pembeli", 24, kText},
		{"Email", "Email", 26, kText},
		{"Status", "Status", 12, kText},
		{"Items", "Jumlah barang", 8, kInt},
		{"Subtotal", "Subtotal", 16, kMoney},
		{"Shipping", "Ongkir", 14, kMoney},
		{"Fees", "Biaya", 14, kMoney},
		{"Discount", "Diskon", 14, kMoney},
		{"Total", "Total", 16, kMoney},
		{"Source", "Sumber", 16, kText},
	},
	SheetPayments: {
		{"External ID", "ID eksternal", 22, kText},
		{"Order ID", "ID pesanan", 10, kInt},
		{"Gateway", "Gateway", 10, kText},
		{"Gateway ref", "Ref gateway", 26, kText},
		{"Created", "Dibuat", 17, kTime},
		{"Settled", "Lunas", 17, kTime},
		{"Amount", "Nilai", 16, kMoney},
		{"Paid", "Dibayar", 16, kMoney},
		{"Status", "Status", 10, kText},
		{"Flag reason", "Alasan ditandai", 30, kText},
	},
	SheetTransfers: {
		{"REFID", "REFID", 24, kText},
		{"Parent REFID", "REFID induk", 24, kText},
		{"Created", "Dibuat", 17, kTime},
		{"Updated", "Diperbarui", 17, kTime},
		{"Payee", "Penerima", 24, kText},
		{"Bank", "Bank", 10, kText},
		{"Account", "Rekening", 18, kText},
		{"Channel", "Kanal", 12, kText},
		{"Amount", "Nilai", 16, kMoney},
		{"Status", "Status", 16, kText},
		{"Gateway ref", "Ref gateway", 26, kText},
		{"Failure code", "Kode gagal", 16, kText},
		{"Failure reason", "Alasan gagal", 30, kText},
		{"Hold reason", "Alasan ditahan", 30, kText},
		{"Attempts", "Percobaan", 9, kInt},
		{"Created by", "Dibuat oleh", 14, kText},
		{"Approved by", "Disetujui oleh", 14, kText},
	},
	SheetLedger: {
		{"Date", "Tanggal", 17, kTime},
		{"Reference", "Referensi", 30, kText},
		{"Memo", "Keterangan", 24, kText},
		{"Account", "Akun", 20, kText},
		{"Debit", "Debit", 16, kMoney},
		{"Credit", "Kredit", 16, kMoney},
	},
	SheetFlags: {
		{"Date", "Tanggal", 17, kTime},
		{"Kind", "Jenis", 10, kText},
		{"Subject", "Subjek", 24, kText},
		{"Status", "Status", 16, kText},
		{"Amount", "Nilai", 16, kMoney},
		{"Reason", "Alasan", 40, kText},
	},
	SheetAudit: {
		{"Seq", "No", 8, kInt},
		{"Time", "Waktu", 17, kTime},
		{"Actor", "Pelaku", 14, kText},
		{"Action", "Tindakan", 20, kText},
		{"Subject", "Subjek", 26, kText},
		{"Detail", "Rincian", 40, kText},
		{"Hash", "Hash", 20, kText},
	},
}

// Columns returns the column titles of a sheet in lang, as the xlsx and CSV
// files have them.
func Columns(s Sheet, lang Lang) []string {
	cols := sheetColumns[s]
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.title(lang)
	}
	return out
}

// summary section titles.
var (
	secPaidPerDay        = [2]string{"Paid in per day", "Pembayaran masuk per hari"}
	secTransferredPerDay = [2]string{"Transferred per day", "Transfer berhasil per hari"}
	secPerPayee          = [2]string{"Transferred per payee", "Transfer berhasil per penerima"}
	secOrderStatus       = [2]string{"Orders by status", "Pesanan per status"}
	secPaymentStatus     = [2]string{"Payments by status", "Pembayaran per status"}
	secTransferStatus    = [2]string{"Transfers by status", "Transfer per status"}
)

// Package demo is the demo shop's catalogue, Toko Batik Sari: its makers
// (payees, with the sandbox's test accounts), their products and the
// simulated buyers. app seeds the demo shop from it; the desktop's layout
// tests size their tables with the same names.
package demo

import "lunas/domain"

// Maker is a consignment maker in the demo batik shop.
type Maker struct {
	Name, Bank, Account, Email string
	ShareBPS                   int64 // the maker's share of each sale
	Products                   []Product
}

// Product is one of a maker's products.
type Product struct {
	SKU   string
	Name  string
	Price domain.Rupiah
}

// Makers is Toko Batik Sari's consignment makers, one per payout bank
// or wallet, with the sandbox's documented test accounts.
var Makers = []Maker{
	{"Bu Ani (Batik Tulis Solo)", "BCA", "0611101146", "ani@example.com", 7000, []Product{
		{"BTS-001", "Kain batik tulis Parang", 850000}, {"BTS-002", "Kemeja batik tulis Kawung", 425000}}},
	{"Pak Joko (Batik Cap Pekalongan)", "BNI", "00010000", "joko@example.com", 6500, []Product{
		{"BCP-001", "Kemeja batik cap Jlamprang", 189000}, {"BCP-002", "Daster batik cap", 95000}}},
	{"Ibu Ratna (Sogan Yogyakarta)", "BRI", "504101005099530", "ratna@example.com", 7000, []Product{
		{"SOG-001", "Selendang sogan", 275000}, {"SOG-002", "Blangkon sogan", 120000}}},
	{"Mas Dimas (Batik Lasem)", "MANDIRI", "1380011819286", "dimas@example.com", 6000, []Product{
		{"LSM-001", "Kain batik Lasem tiga negeri", 1750000}}},
	{"Mbak Wulan (Ecoprint)", "GOPAY", "08123450000", "wulan@example.com", 7500, []Product{
		{"ECO-001", "Totebag ecoprint", 65000}, {"ECO-002", "Syal ecoprint sutra", 210000}}},
}

// Buyers are the simulated buyers.
var Buyers = []struct{ Name, Email string }{
	{"Rina Kartika", "rina@example.com"}, {"Agus Salim", "agus@example.com"}, {"Siti Nurhaliza", "siti@example.com"},
	{"Budi Santoso", "budi@example.com"}, {"Dewi Lestari", "dewi@example.com"}, {"Hendra Wijaya", "hendra@example.com"},
}

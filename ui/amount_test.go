package ui

import (
	"errors"
	"testing"

	"lunas/domain"
)

// TestParseAmountFormats is the rupiah parser as the desktop's forms use it:
// the ways people type rupiah are read, and every refusal names the field
// and says what is wrong (decimals are called decimals), in both languages.
func TestParseAmountFormats(t *testing.T) {
	defer SetLanguage(LangEnglish)
	for _, in := range []string{"1750000", "1.750.000", "Rp 1.750.000,-", "Rp1.750.000", " Rp1.750.000 ", "Rp1,750,000", "Rp. 1.750.000", "1.750.000,00"} {
		for _, lang := range []string{LangIndonesian, LangEnglish} {
			SetLanguage(lang)
			got, err := parseAmount("Batas harian", in)
			if err != nil || got != 1750000 {
				t.Errorf("%s: parseAmount(%q) = %d, %v; want 1750000", lang, in, got, err)
			}
		}
	}
	for _, c := range []struct {
		lang, in, want string
	}{
		{LangEnglish, "1.750.000,50", `Daily limit: whole rupiah only, without decimals: "1.750.000,50" has a fraction of a rupiah`},
		{LangEnglish, "1750000.5", `Daily limit: whole rupiah only, without decimals: "1750000.5" has a fraction of a rupiah`},
		{LangIndonesian, "1.750.000,50", `Daily limit: hanya rupiah utuh, tanpa desimal/sen: "1.750.000,50" memuat pecahan rupiah`},
		{LangEnglish, "", "Daily limit: type an amount, e.g. Rp1,750,000"},
		{LangIndonesian, "  ", "Daily limit: isi jumlahnya, misalnya Rp1.750.000"},
		{LangEnglish, "sejuta", "Daily limit: not an amount; type it like Rp1,750,000 or 1750000"},
		{LangIndonesian, "1.75.000", "Daily limit: bukan jumlah uang; tulis seperti Rp1.750.000 atau 1750000"},
		{LangEnglish, "-Rp5.000", "Daily limit: cannot be below Rp0"},
		{LangEnglish, "99999999999999999999", "Daily limit: is too large to be an amount"},
		{LangIndonesian, "Rp 99.999.999.999.999.999.999", "Daily limit: terlalu besar untuk sebuah jumlah uang"},
	} {
		SetLanguage(c.lang)
		_, err := parseAmount("Daily limit", c.in)
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s %q: error %v does not match ErrInvalid", c.lang, c.in, err)
		}
		if got := userMessage(err); got != c.want {
			t.Errorf("%s %q:\n got %q\nwant %q", c.lang, c.in, got, c.want)
		}
	}
}

// TestAccountMessagesPerBank: the payee form's account errors name the
// field, the bank and the length it expects.
func TestAccountMessagesPerBank(t *testing.T) {
	defer SetLanguage(LangEnglish)
	for _, c := range []struct {
		lang, bank, in, want string
	}{
		{LangEnglish, "BCA", "abc12", "Account number: a BCA account number has digits only (no letters or signs)"},
		{LangIndonesian, "BCA", "abc12", "Nomor rekening: nomor rekening BCA hanya berisi angka (tanpa huruf atau tanda)"},
		{LangEnglish, "BCA", "12345", "Account number: a BCA account number has 10 digits; this one has 5"},
		{LangEnglish, "BRI", "12345", "Account number: a BRI account number has 13 to 17 digits; this one has 5"},
		{LangIndonesian, "MANDIRI", "12345", "Nomor rekening: nomor rekening Mandiri terdiri dari 12 sampai 17 angka; yang ini 5 angka"},
		{LangEnglish, "GOPAY", "12345", "Account number: a GoPay account is the owner's mobile number: 08 and 10 to 13 digits in all"},
		{LangIndonesian, "OVO", "0211234567", "Nomor rekening: akun OVO adalah nomor HP pemiliknya: diawali 08, 10 sampai 13 angka seluruhnya"},
		{LangEnglish, "", "0611101146", "Bank / e-wallet: choose the bank or e-wallet"},
		{LangEnglish, "BNI", "", "Account number: this cannot be empty"},
	} {
		SetLanguage(c.lang)
		_, err := checkAccount(c.bank, c.in)
		if got := userMessage(err); got != c.want {
			t.Errorf("%s %s %q:\n got %q\nwant %q", c.lang, c.bank, c.in, got, c.want)
		}
	}
	SetLanguage(LangEnglish)
	if got, err := checkAccount("GOPAY", "+62 812-3450-000"); err != nil || got != "08123450000" {
		t.Errorf("GoPay +62: %q, %v", got, err)
	}
}

// TestOneLanguage: reasons the engine and the security service write in
// both languages are shown in one, with the language's money.
func TestOneLanguage(t *testing.T) {
	defer SetLanguage(LangEnglish)
	engine := "above the per-transfer limit Rp5.000.000 / melebihi batas per transfer Rp5.000.000; payee account not verified / rekening penerima belum diverifikasi"
	security := "kata sandi minimal 10 karakter / the password needs at least 10 characters"
	risk := "Transfer of Rp12.500.000 is above the single-transfer limit of Rp10.000.000. (flag #3) / Transfer Rp12.500.000 melebihi batas satu transfer Rp10.000.000."
	for _, c := range []struct{ lang, in, want string }{
		{LangEnglish, engine, "above the per-transfer limit Rp5,000,000; payee account not verified"},
		{LangIndonesian, engine, "melebihi batas per transfer Rp5.000.000; rekening penerima belum diverifikasi"},
		{LangEnglish, security, "the password needs at least 10 characters"},
		{LangIndonesian, security, "kata sandi minimal 10 karakter"},
		{LangEnglish, risk, "Transfer of Rp12,500,000 is above the single-transfer limit of Rp10,000,000. (flag #3)"},
		{LangIndonesian, risk, "Transfer Rp12.500.000 melebihi batas satu transfer Rp10.000.000."},
		{LangEnglish, "gateway has no record of this REFID yet", "gateway has no record of this REFID yet"},
		{LangEnglish, "", ""},
	} {
		SetLanguage(c.lang)
		if got := oneLanguage(c.in); got != c.want {
			t.Errorf("%s %q:\n got %q\nwant %q", c.lang, c.in, got, c.want)
		}
	}
	// A domain message in English only is not shown to an Indonesian owner.
	SetLanguage(LangIndonesian)
	if got := userMessage(domain.Invalid("external_id", "order reference is required")); got != `Periksa isian "Nomor pesanan".` {
		t.Errorf("English-only validation in Indonesian: %q", got)
	}
}

package ui

import (
	"errors"
	"regexp"
	"strings"

	"lunas/domain"
)

// fieldError is a form error a person can act on: the field's label as the
// form shows it and what is wrong with what was typed, both already in the
// desktop's language. It matches domain.ErrInvalid.
type fieldError struct {
	field   string // the label on screen
	problem string // what is wrong, translated
}

func (e *fieldError) Error() string { return e.field + ": " + e.problem }

// Is makes errors.Is(err, domain.ErrInvalid) true.
func (e *fieldError) Is(target error) bool { return target == domain.ErrInvalid }

// invalidField builds a fieldError from a translation key and its data.
func invalidField(label, key string, data map[string]any) error {
	if data == nil {
		return &fieldError{field: label, problem: tr(key)}
	}
	return &fieldError{field: label, problem: trf(key, data)}
}

// parseAmount reads a rupiah amount typed into the field labelled label.
// It accepts what people type ("1750000", "1.750.000", "Rp 1.750.000,-",
// "Rp1.750.000", and "Rp1,750,000" in English) and refuses, naming the
// field: an empty box, decimals (Lunas has no sen), negative amounts,
// amounts too large to hold, and anything that is not an amount.
func parseAmount(label, text string) (domain.Rupiah, error) {
	if strings.TrimSpace(text) == "" {
		return 0, invalidField(label, "amount.empty", nil)
	}
	v, err := domain.ParseRupiah(text)
	switch {
	case errors.Is(err, domain.ErrRupiahFraction):
		return 0, invalidField(label, "amount.fraction", map[string]any{"Text": strings.TrimSpace(text)})
	case errors.Is(err, domain.ErrOverflow):
		return 0, invalidField(label, "amount.toolarge", nil)
	case err != nil:
		return 0, invalidField(label, "amount.syntax", map[string]any{"Example": money(1750000)})
	case v < 0:
		return 0, invalidField(label, "amount.negative", nil)
	}
	return v, nil
}

// idWords and enWords tell the halves of a bilingual message apart.
var idWords, enWords = wordSet(`tidak belum sudah dan yang ke di untuk dengan melebihi batas rekening penerima
	harian pertama baru nama pilih berkas kata sandi karakter anda bisa hanya aturan saluran pembayaran diatur
	ditahan risiko dibatalkan kewajiban dibuka kembali menipis saldo tuliskan catatan nilai kosong pengaturan
	simpan kunci sebagai rahasia pengguna bukan peran dikenal pemilik terakhir diturunkan menonaktifkan diri
	sendiri dinonaktifkan atau hari ini menjadi dalam masing-masing sedikit bawah persetujuan kemungkinan dipecah
	berubah sesuai skor boleh negatif minimal diverifikasi bank dari pada oleh harus jumlah lebih`),
	wordSet(`the is not of to a an above limit payee account would be cannot must needs at least choose this only
	and or first new changed within each just under possible held by rule no set up verified daily reach value
	empty name unknown role last owner you yourself write note file store keys passwords as secrets invalid
	setting characters scores limits negative was again money came back from for with has have`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

var wordRE = regexp.MustCompile(`[A-Za-z]+(?:-[A-Za-z]+)*`)

// indonesianScore is how much more Indonesian than English s reads.
func indonesianScore(s string) int {
	n := 0
	for _, w := range wordRE.FindAllString(strings.ToLower(s), -1) {
		if idWords[w] {
			n++
		}
		if enWords[w] {
			n--
		}
	}
	return n
}

// rupiahIDRE finds amounts written the Indonesian way inside a text.
var rupiahIDRE = regexp.MustCompile(`Rp\d{1,3}(?:\.\d{3})+\b`)

// oneLanguage shows a message the engine or the security service wrote in
// both languages ("english / indonesia; english / indonesia", or the other
// way round) in the desktop's language only, with its amounts written the
// language's way. A part in one language only is kept as it is.
func oneLanguage(text string) string {
	if text == "" {
		return ""
	}
	lang := currentLanguage()
	parts := strings.Split(text, "; ")
	for i, p := range parts {
		if a, b, ok := strings.Cut(p, " / "); ok {
			sa, sb := indonesianScore(a), indonesianScore(b)
			idFirst := sa > sb // a tie reads as the engine's order: English first
			if (lang == LangIndonesian) == idFirst {
				p = a
			} else {
				p = b
			}
		}
		if lang == LangEnglish {
			p = rupiahIDRE.ReplaceAllStringFunc(p, func(m string) string { return strings.ReplaceAll(m, ".", ",") })
		}
		parts[i] = strings.TrimSpace(p)
	}
	return strings.Join(parts, "; ")
}

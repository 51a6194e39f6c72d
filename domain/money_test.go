package domain

import (
	"errors"
	"math"
	"testing"
)

func TestParseRupiahAccepts(t *testing.T) {
	tests := []struct {
		in   string
		want Rupiah
		text string // canonical format
	}{
		{"Rp1.250.000", 1250000, "Rp1.250.000"},
		{"1.250.000", 1250000, "Rp1.250.000"},
		{"1250000", 1250000, "Rp1.250.000"},
		{"Rp 1.250.000,00", 1250000, "Rp1.250.000"},
		{"Rp. 1.250.000", 1250000, "Rp1.250.000"},
		{"IDR 1,250,000", 1250000, "Rp1.250.000"},
		{"1,250,000.00", 1250000, "Rp1.250.000"},
		{"1250000.00", 1250000, "Rp1.250.000"},
		{"1250000,0", 1250000, "Rp1.250.000"},
		{"  Rp 5.000  ", 5000, "Rp5.000"},
		// Issue 13: the common ways people type rupiah.
		{"1750000", 1750000, "Rp1.750.000"},
		{"1.750.000", 1750000, "Rp1.750.000"},
		{"Rp 1.750.000,-", 1750000, "Rp1.750.000"},
		{"Rp1.750.000", 1750000, "Rp1.750.000"},
		{"Rp1.750.000,-", 1750000, "Rp1.750.000"},
		{"1.750.000,-", 1750000, "Rp1.750.000"},
		{"Rp 1.750.000.-", 1750000, "Rp1.750.000"},
		{"Rp1,750,000", 1750000, "Rp1.750.000"},
		{"-Rp5.000", -5000, "-Rp5.000"},
		{"Rp-5.000", -5000, "-Rp5.000"},
		{"rp750", 750, "Rp750"},
		{"1.000", 1000, "Rp1.000"},
		{"1 000 000", 1000000, "Rp1.000.000"},
		{"Rp\u00a01.000", 1000, "Rp1.000"},
		{"0", 0, "Rp0"},
		{"999", 999, "Rp999"},
		{"9.223.372.036.854.775.807", math.MaxInt64, "Rp9.223.372.036.854.775.807"},
		{"-9223372036854775807", -math.MaxInt64, "-Rp9.223.372.036.854.775.807"},
	}
	for _, tt := range tests {
		got, err := ParseRupiah(tt.in)
		if err != nil {
			t.Errorf("ParseRupiah(%q) error %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseRupiah(%q) = %d, want %d", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.text {
			t.Errorf("Rupiah(%d).String() = %q, want %q", got, s, tt.text)
		}
		back, err := ParseRupiah(got.String())
		if err != nil || back != got {
			t.Errorf("round trip %q -> %q -> %d, %v", tt.in, got.String(), back, err)
		}
	}
}

func TestParseRupiahRejects(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrRupiahSyntax},
		{"   ", ErrRupiahSyntax},
		{"Rp", ErrRupiahSyntax},
		{"abc", ErrRupiahSyntax},
		{"12a", ErrRupiahSyntax},
		{"1.2.3", ErrRupiahSyntax},
		{"1..000", ErrRupiahSyntax},
		{"1.000.00", ErrRupiahSyntax},
		{"--5", ErrRupiahSyntax},
		{"+5", ErrRupiahSyntax},
		{"1,250.000,00", ErrRupiahSyntax},
		{"Rp1.250.000,", ErrRupiahSyntax},
		{".000", ErrRupiahSyntax},
		{"1,5", ErrRupiahFraction},
		{"1.750.000,50", ErrRupiahFraction},
		{"1750000.5", ErrRupiahFraction},
		{"Rp 1.750.000,5-", ErrRupiahSyntax},
		{"Rp 1.750.000,-5", ErrRupiahSyntax},
		{",-", ErrRupiahSyntax},
		{"-", ErrRupiahSyntax},
		{"1.250.000,50", ErrRupiahFraction},
		{"12.34", ErrRupiahFraction},
		{"1250000.01", ErrRupiahFraction},
		{"9.223.372.036.854.775.808", ErrOverflow},
		{"-9223372036854775808", ErrOverflow},
		{"99999999999999999999999", ErrOverflow},
	}
	for _, tt := range tests {
		got, err := ParseRupiah(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseRupiah(%q) = %d, %v; want error %v", tt.in, got, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRupiah(%q) error %v does not match ErrInvalid", tt.in, err)
		}
		var re *RupiahError
		if err != nil && (!errors.As(err, &re) || re.Input != tt.in || re.Error() == "") {
			t.Errorf("ParseRupiah(%q) error %#v is not a RupiahError naming the input", tt.in, err)
		}
	}
}

func TestRupiahString(t *testing.T) {
	tests := []struct {
		v    Rupiah
		want string
	}{
		{0, "Rp0"},
		{1, "Rp1"},
		{-1, "-Rp1"},
		{100, "Rp100"},
		{1000, "Rp1.000"},
		{-1000, "-Rp1.000"},
		{100000, "Rp100.000"},
		{1000000, "Rp1.000.000"},
		{math.MaxInt64, "Rp9.223.372.036.854.775.807"},
		{math.MinInt64, "-Rp9.223.372.036.854.775.808"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("Rupiah(%d).String() = %q, want %q", int64(tt.v), got, tt.want)
		}
	}
}

// TestRupiahFormat pins the one way money is written per language.
func TestRupiahFormat(t *testing.T) {
	tests := []struct {
		v      Rupiah
		id, en string
	}{
		{0, "Rp0", "Rp0"},
		{999, "Rp999", "Rp999"},
		{1059000, "Rp1.059.000", "Rp1,059,000"},
		{-5000, "-Rp5.000", "-Rp5,000"},
		{math.MinInt64, "-Rp9.223.372.036.854.775.808", "-Rp9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		if got := tt.v.Format(LangIndonesian); got != tt.id {
			t.Errorf("Format(id) = %q, want %q", got, tt.id)
		}
		if got := tt.v.Format(LangEnglish); got != tt.en {
			t.Errorf("Format(en) = %q, want %q", got, tt.en)
		}
		if got := tt.v.Format("fr"); got != tt.id {
			t.Errorf("Format(fr) = %q, want the Indonesian %q", got, tt.id)
		}
		for _, text := range []string{tt.id, tt.en} {
			if back, err := ParseRupiah(text); tt.v != math.MinInt64 && (err != nil || back != tt.v) {
				t.Errorf("ParseRupiah(%q) = %d, %v; want %d", text, back, err, tt.v)
			}
		}
	}
}

func TestRupiahArithmetic(t *testing.T) {
	const maxR, minR = Rupiah(math.MaxInt64), Rupiah(math.MinInt64)
	type op struct {
		name string
		f    func() (Rupiah, error)
		want Rupiah
		err  error
	}
	tests := []op{
		{"add", func() (Rupiah, error) { return Rupiah(2).Add(3) }, 5, nil},
		{"add neg", func() (Rupiah, error) { return Rupiah(2).Add(-3) }, -1, nil},
		{"add max", func() (Rupiah, error) { return maxR.Add(1) }, 0, ErrOverflow},
		{"add min", func() (Rupiah, error) { return minR.Add(-1) }, 0, ErrOverflow},
		{"add to max", func() (Rupiah, error) { return (maxR - 1).Add(1) }, maxR, nil},
		{"sub", func() (Rupiah, error) { return Rupiah(2).Sub(3) }, -1, nil},
		{"sub min from 0", func() (Rupiah, error) { return Rupiah(0).Sub(minR) }, 0, ErrOverflow},
		{"sub min from -1", func() (Rupiah, error) { return Rupiah(-1).Sub(minR) }, maxR, nil},
		{"sub min from min", func() (Rupiah, error) { return minR.Sub(minR) }, 0, nil},
		{"sub to min", func() (Rupiah, error) { return (minR + 1).Sub(1) }, minR, nil},
		{"sub over min", func() (Rupiah, error) { return minR.Sub(1) }, 0, ErrOverflow},
		{"mul", func() (Rupiah, error) { return Rupiah(1500).Mul(3) }, 4500, nil},
		{"mul zero", func() (Rupiah, error) { return maxR.Mul(0) }, 0, nil},
		{"mul neg", func() (Rupiah, error) { return Rupiah(-7).Mul(3) }, -21, nil},
		{"mul max", func() (Rupiah, error) { return maxR.Mul(2) }, 0, ErrOverflow},
		{"mul min by -1", func() (Rupiah, error) { return minR.Mul(-1) }, 0, ErrOverflow},
		{"mul -1 by min", func() (Rupiah, error) { return Rupiah(-1).Mul(math.MinInt64) }, 0, ErrOverflow},
		{"mul big", func() (Rupiah, error) { return Rupiah(4_000_000_000).Mul(4_000_000_000) }, 0, ErrOverflow},
		{"sum", func() (Rupiah, error) { return Sum(1, 2, 3) }, 6, nil},
		{"sum overflow", func() (Rupiah, error) { return Sum(maxR, 1, -5) }, 0, ErrOverflow},
	}
	for _, tt := range tests {
		got, err := tt.f()
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("%s = %d, %v; want %d, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestOrderTotal(t *testing.T) {
	o := Order{ExternalID: "INV-1", Items: []OrderItem{{Name: "batik", Qty: 2, UnitPrice: 150000}, {Name: "tas", Qty: 1, UnitPrice: 75000}},
		Shipping: 20000, Fees: 5000, Discount: 10000}
	got, err := o.Total()
	if err != nil || got != 390000 {
		t.Fatalf("Total = %s, %v; want Rp390.000", got, err)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	bad := []Order{
		{Items: o.Items},
		{ExternalID: "x"},
		{ExternalID: "x", Items: []OrderItem{{Qty: 0, UnitPrice: 1}}},
		{ExternalID: "x", Items: []OrderItem{{Qty: 1, UnitPrice: -1}}},
		{ExternalID: "x", Items: []OrderItem{{Qty: 1, UnitPrice: 1}}, Discount: 5},
		{ExternalID: "x", Items: []OrderItem{{Qty: 1, UnitPrice: 1}}, Shipping: -1},
	}
	for i, b := range bad {
		if err := b.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad order %d: Validate = %v, want ErrInvalid", i, err)
		}
	}
	huge := Order{ExternalID: "x", Items: []OrderItem{{Qty: 3, UnitPrice: math.MaxInt64 / 2}}}
	if err := huge.Validate(); !errors.Is(err, ErrOverflow) {
		t.Errorf("huge order: Validate = %v, want ErrOverflow", err)
	}
}

// FuzzParseRupiah checks that parsing never panics and that every accepted
// value formats to text that parses back to the same value.
func FuzzParseRupiah(f *testing.F) {
	for _, s := range []string{"Rp1.250.000", "1.250.000", "1250000", "Rp 1.250.000,00", "-Rp5.000",
		"IDR 1,250,000", "1250000.00", "1,5", "abc", "", "9.223.372.036.854.775.808",
		"Rp 1.750.000,-", "1.750.000,50", "Rp1,750,000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseRupiah(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseRupiah(%q) error %v does not match ErrInvalid", s, err)
			}
			return
		}
		for _, text := range []string{v.Format(LangIndonesian), v.Format(LangEnglish)} {
			back, err := ParseRupiah(text)
			if err != nil || back != v {
				t.Fatalf("ParseRupiah(%q) = %d; %q parses to %d, %v", s, v, text, back, err)
			}
		}
	})
}

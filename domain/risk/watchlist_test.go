package risk

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseWatchlistCSV(t *testing.T) {
	f, err := os.Open("testdata/dttot_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	list, err := ParseWatchlistCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("got %d entries, want 3: %+v", len(list), list)
	}
	want := WatchEntry{Ref: "IDD-0001", Name: "Contoh Teroris Satu", Aliases: []string{"Contoh Satu", "Si Satu"},
		BirthDate: "1938-08-17", BirthPlace: "Jakarta", Kind: "Orang", Nationality: "Indonesia"}
	if !reflect.DeepEqual(list[0], want) {
		t.Errorf("entry 1 = %+v\nwant %+v", list[0], want)
	}
	if list[2].Name != "Ahmad Fiktif" || !reflect.DeepEqual(list[2].Aliases, []string{"Achmad Fiktifa"}) || list[2].BirthDate != "1980-02-03" {
		t.Errorf("entry 3 = %+v", list[2])
	}
}

func TestParseWatchlistEnglishHeaderAndAliasColumn(t *testing.T) {
	csv := "name,aliases,date of birth\nJohn Example,Johnny Ex; J. Example,1970\n"
	list, err := ParseWatchlistCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || len(list[0].Aliases) != 2 || list[0].BirthDate != "1970" {
		t.Fatalf("got %+v", list)
	}
}

func TestParseWatchlistNoHeader(t *testing.T) {
	_, err := ParseWatchlistCSV(strings.NewReader("a,b\nc,d\n"))
	if err != ErrWatchlistFormat {
		t.Fatalf("err = %v, want ErrWatchlistFormat", err)
	}
}

func TestMatchWatchlist(t *testing.T) {
	list := []WatchEntry{{Name: "Contoh Teroris Satu", Aliases: []string{"Contoh Satu"}}, {Name: "Ahmad Fiktif", Aliases: []string{"Achmad Fiktifa"}}}
	tests := []struct {
		name    string
		want    string // matched entry name, "" for none
		matched string
	}{
		{"Bapak H. Achmad Fiktif", "Ahmad Fiktif", "Ahmad Fiktif"},
		{"CONTOH  SATU", "Contoh Teroris Satu", "Contoh Satu"},
		{"Satu Contoh", "Contoh Teroris Satu", "Contoh Satu"},
		{"Ahmad Fauzi", "", ""},
		{"Contoh", "", ""},
	}
	for _, tc := range tests {
		ms := MatchWatchlist(list, []string{tc.name}, DefaultConfig().WatchlistMinScore)
		got, matched := "", ""
		if len(ms) > 0 {
			got, matched = ms[0].Entry.Name, ms[0].Matched
		}
		if got != tc.want || matched != tc.matched {
			t.Errorf("%q matched %q/%q, want %q/%q (%+v)", tc.name, got, matched, tc.want, tc.matched, ms)
		}
	}
}

// TestMatchWatchlistVariants: a listed name contained whole in a longer
// name, accents, full-width letters, invisible joiners and words written
// together are all found; names that only share part of a listed name, or
// resemble it loosely, are not.
func TestMatchWatchlistVariants(t *testing.T) {
	list := []WatchEntry{{Name: "Abu Bakar Ba'asyir"}, {Name: "Aman Abdurrahman", Aliases: []string{"Oman Rochman"}},
		{Name: "Muhammad Jibriel Abdul Rahman"}}
	for _, tc := range []struct {
		name string
		want string // matched entry name or alias, "" for none
	}{
		{"Abu Bakar Baasyir bin Abud", "Abu Bakar Ba'asyir"},       // listed name plus a father's name
		{"Abu Bakar Ba'asyir Abud", "Abu Bakar Ba'asyir"},          // contained, apostrophe kept
		{"Aman Abdurrahman Al-Jawi", "Aman Abdurrahman"},           // contained, extra clan name
		{"Abū Bakar Ba'asyir", "Abu Bakar Ba'asyir"},               // precomposed macron
		{"Abū Bakar Ba'asyir", "Abu Bakar Ba'asyir"},              // combining macron
		{"ＡＢＵ ＢＡＫＡＲ ＢＡ'ＡＳＹＩＲ", "Abu Bakar Ba'asyir"},               // full-width
		{"ＡＢＵ　ＢＡＫＡＲ　ＢＡＡＳＹＩＲ", "Abu Bakar Ba'asyir"},                // ideographic spaces
		{"AbuBakar Baasyir", "Abu Bakar Ba'asyir"},                 // words run together
		{"Abubakar Baasyir bin Abud", "Abu Bakar Ba'asyir"},        // run together and extended
		{"Abu Bakar Ba‍asyir", "Abu Bakar Ba'asyir"},               // zero-width joiner inside a word
		{"Oman Rohman", "Oman Rochman"},                            // alias, spelling
		{"M. Jibriel Abd Rahman", "Muhammad Jibriel Abdul Rahman"}, // abbreviations
		// Near misses.
		{"Abu Bakar", ""},            // a common name: only part of the listed one
		{"Abu Bakar Basuki", ""},     // third word differs
		{"Bakar Abu Sulaiman", ""},   // two listed words, not the name
		{"Aman Abdullah", ""},        // similar start, other person
		{"Amin Abdurrahim Jaya", ""}, // each word only resembles
		{"Rahman Abdul", ""},         // part of a listed name
		{"Abubakar Sidiq", ""},       // merged first words only
	} {
		ms := MatchWatchlist(list, []string{tc.name}, DefaultConfig().WatchlistMinScore)
		got := ""
		if len(ms) > 0 {
			got = ms[0].Matched
		}
		if got != tc.want {
			t.Errorf("%q matched %q, want %q (%+v)", tc.name, got, tc.want, ms)
		}
	}
}

// TestWatchlistHitSaysContained: a hit found by containment says so in both
// reasons and the evidence, rather than quoting a low similarity.
func TestWatchlistHitSaysContained(t *testing.T) {
	in := Input{Watchlist: []WatchEntry{{Name: "Aman Abdurrahman", BirthDate: "1972-01-05"}}}
	in.Payee.Name = "Aman Abdurrahman Al-Jawi"
	h := watchlist(DefaultConfig(), in)
	if h == nil || h.Evidence["contained"] != "yes" || !strings.Contains(h.ReasonEN, "contains") || !strings.Contains(h.ReasonID, "memuat") {
		t.Fatalf("hit = %+v", h)
	}
}

// FuzzParseWatchlistCSV: any input either parses or returns an error, never
// panics, and every entry has a name that normalises to something.
func FuzzParseWatchlistCSV(f *testing.F) {
	if b, err := os.ReadFile("testdata/dttot_sample.csv"); err == nil {
		f.Add(string(b))
	}
	f.Add("Nama,Alias,Tanggal Lahir\nX alias Y,Z;W,31-02-1990\n")
	f.Add("name\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, s string) {
		list, err := ParseWatchlistCSV(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, e := range list {
			if NormalizeName(e.Name) == "" {
				t.Fatalf("entry with empty name: %+v", e)
			}
		}
	})
}

// FuzzNameScore: the score is within [0,1], symmetric, and 1 for a name
// compared with itself when it has any letters.
func FuzzNameScore(f *testing.F) {
	f.Add("Bapak H. Ahmad Dahlan, S.E.", "AHMAD DAHLAN")
	f.Add("M. Rizky", "Muhammad Riski")
	f.Add("", "Ibu")
	f.Add("日本 語", "Ёлка")
	f.Add("ＡＢＵ ＢＡＫＡＲ", "AbuBakar Ba\u200dasyir bin Abud")
	f.Add("Abu\u0304 Bakar", "Abū Bakar")
	f.Fuzz(func(t *testing.T, a, b string) {
		ContainsName(a, b) // must not panic on any input
		s := NameScore(a, b)
		if s < 0 || s > 1 {
			t.Fatalf("score %v out of range", s)
		}
		if r := NameScore(b, a); r != s {
			t.Fatalf("not symmetric: %v vs %v", s, r)
		}
		if NormalizeName(a) != "" && NameScore(a, a) != 1 {
			t.Fatalf("self score of %q is %v", a, NameScore(a, a))
		}
	})
}

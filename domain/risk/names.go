package risk

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameRunes bounds the work done on one name: names longer than this are
// cut, so a hostile import cannot make matching quadratic in a huge cell.
const maxNameRunes = 120

// titles are honorifics and academic degrees written around Indonesian names.
// They are dropped before comparing, after punctuation is removed ("S.E." ->
// "se", "H." -> "h").
var titles = map[string]bool{
	"bapak": true, "bpk": true, "pak": true, "ibu": true, "bu": true, "sdr": true, "sdri": true,
	"saudara": true, "saudari": true, "tn": true, "tuan": true, "ny": true, "nyonya": true, "nn": true,
	"nona": true, "mr": true, "mrs": true, "ms": true, "miss": true,
	"h": true, "hj": true, "haji": true, "hajjah": true, "kh": true, "ust": true, "ustadz": true,
	"dr": true, "drs": true, "dra": true, "drg": true, "drh": true, "ir": true, "prof": true,
	"se": true, "sh": true, "st": true, "skom": true, "spd": true, "ssos": true, "sag": true,
	"sip": true, "sked": true, "sfarm": true, "sp": true, "sei": true, "ak": true, "amd": true,
	"mm": true, "mba": true, "msi": true, "mt": true, "mh": true, "mkom": true, "mpd": true,
	"phd": true, "bsc": true, "msc": true, "ba": true, "ma": true,
}

// connectors join parts of a name without identifying anyone.
var connectors = map[string]bool{"bin": true, "binti": true, "bt": true, "bte": true, "als": true, "alias": true}

// variants maps common spellings and abbreviations to one form.
var variants = map[string]string{
	"m": "muhammad", "mhd": "muhammad", "moh": "muhammad", "mohd": "muhammad", "muh": "muhammad",
	"mochammad": "muhammad", "mochamad": "muhammad", "mohammad": "muhammad", "mohamad": "muhammad",
	"muhamad": "muhammad", "mohamed": "muhammad", "muhammed": "muhammad", "mohammed": "muhammad",
	"abd": "abdul", "abdoel": "abdul", "achmad": "ahmad", "akhmad": "ahmad", "ahmed": "ahmad",
}

// NameTokens normalises a person's name for comparison: lower case, letters
// and digits only, titles and connector words dropped, common spelling
// variants unified. If dropping titles would leave nothing, the titles stay
// (someone may really be called "Ibu").
func NameTokens(name string) []string {
	r := []rune(name)
	if len(r) > maxNameRunes {
		r = r[:maxNameRunes]
	}
	var b strings.Builder
	for _, c := range r {
		c = foldRune(c)
		switch {
		case c == 0:
			// combining mark or invisible format character: dropped, so
			// "Ba\u200dasyir" and "Abu\u0304" compare as plain letters
		case c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9'):
			b.WriteRune(c)
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			b.WriteRune(unicode.ToLower(c))
		case c == '.' || c == '\'' || c == '`' || c == '’':
			// "S.E." -> "se", "Ba'asyir" -> "baasyir"
		default:
			b.WriteByte(' ')
		}
	}
	raw := strings.Fields(b.String())
	var out []string
	for _, t := range raw {
		if titles[t] || connectors[t] {
			continue
		}
		if v, ok := variants[t]; ok {
			t = v
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		for _, t := range raw {
			if !connectors[t] {
				out = append(out, t)
			}
		}
	}
	return out
}

// latinFold maps precomposed Latin letters (Latin-1, Latin Extended-A and
// the dotted letters of Arabic transliteration) to their base letter. The
// standard library has no Unicode normalisation, so this covers the letters
// names on Indonesian lists and bank records actually carry.
var latinFold = func() map[rune]rune {
	m := map[rune]rune{}
	for base, letters := range map[rune]string{
		'a': "àáâãäåāăąǎạảấầẩẫậắằẳẵặ", 'c': "çćĉċč", 'd': "ďđḍḏ", 'e': "èéêëēĕėęěẹẻẽếềểễệ",
		'g': "ĝğġģ", 'h': "ĥħḥḫẖ", 'i': "ìíîïĩīĭįıǐịỉ", 'j': "ĵ", 'k': "ķ", 'l': "ĺļľŀł",
		'n': "ñńņňŉ", 'o': "òóôõöøōŏőǒọỏốồổỗộớờởỡợ", 'r': "ŕŗř", 's': "śŝşšṣ", 't': "ţťŧṭ",
		'u': "ùúûüũūŭůűųǔụủứừửữự", 'w': "ŵ", 'y': "ýÿŷỳỵỷỹ", 'z': "źżžẓ",
	} {
		for _, l := range letters {
			m[l] = base
			m[unicode.ToUpper(l)] = base
		}
	}
	return m
}()

// foldRune folds compatibility forms for matching: full-width ASCII
// (U+FF01..U+FF5E) to ASCII, the ideographic space to a space, accented
// Latin letters to their base (lower case), and combining marks and
// invisible format characters (zero-width joiners, BOM) to 0, meaning drop.
func foldRune(c rune) rune {
	switch {
	case c >= 0xFF01 && c <= 0xFF5E:
		return unicode.ToLower(c - 0xFEE0)
	case c == 0x3000:
		return ' '
	case c >= 'A' && c <= 'Z':
		return c + ('a' - 'A')
	case c < utf8.RuneSelf:
		return c
	case unicode.Is(unicode.Mn, c) || unicode.Is(unicode.Cf, c):
		return 0
	}
	if f, ok := latinFold[c]; ok {
		return f
	}
	return c
}

// NormalizeName returns the normalised tokens joined by single spaces.
func NormalizeName(name string) string { return strings.Join(NameTokens(name), " ") }

// NameScore returns how alike two names are, from 0 (nothing alike) to 1
// (the same after normalisation). Word order does not matter.
func NameScore(a, b string) float64 {
	ta, tb := NameTokens(a), NameTokens(b)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	sa, sb := sortedJoin(ta), sortedJoin(tb)
	if sa == sb {
		return 1
	}
	whole := ratio(sa, sb)
	// Token alignment: each token of the shorter name to its best partner in
	// the longer one, averaged over the longer name's token count so that
	// missing words cost. Equal lengths align both ways so the score is symmetric.
	tok := align(ta, tb)
	if len(ta) == len(tb) {
		tok = max(tok, align(tb, ta))
	}
	// Words run together or split differently ("AbuBakar Baasyir" for "Abu
	// Bakar Ba'asyir"): the letters in written order, without spaces.
	merged := ratio(strings.Join(ta, ""), strings.Join(tb, ""))
	return max(whole, tok, merged)
}

// ContainsName reports whether every word of listed (two words or more)
// appears in checked, as a word of its own (near-identical spelling
// allowed, each checked word used once) or as a run of consecutive checked
// words written together or apart ("AbuBakar" for "Abu Bakar"). A listed
// person whose name is extended with a father's name or a clan ("... bin
// Abud") is then still found; one listed word alone never is.
func ContainsName(listed, checked string) bool {
	l, c := NameTokens(listed), NameTokens(checked)
	if len(l) < 2 || len(c) == 0 {
		return false
	}
	if runContains(l, c) {
		return true
	}
	used := make([]bool, len(c))
	for _, s := range l {
		found := false
		for i, w := range c {
			if !used[i] && (s == w || (len([]rune(s)) > 3 && ratio(s, w) >= 0.85)) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// runContains reports whether the listed words written together equal a run
// of consecutive checked words written together (word boundaries of the run
// must fall at checked word boundaries, so "Ali" is not found in "Alimin").
func runContains(l, c []string) bool {
	want := strings.Join(l, "")
	for i := range c {
		run := ""
		for j := i; j < len(c) && len(run) < len(want); j++ {
			run += c[j]
			if run == want {
				return true
			}
		}
	}
	return false
}

// align scores the tokens of the shorter list against the longer list.
func align(a, b []string) float64 {
	short, long := a, b
	if len(short) > len(long) {
		short, long = long, short
	}
	var sum float64
	for _, s := range short {
		best := 0.0
		for _, l := range long {
			if r := ratio(s, l); r > best {
				best = r
			}
		}
		sum += best
	}
	return sum / float64(len(long))
}

// HolderMatches reports whether an account holder name reported by a bank
// belongs to the payee name. Banks truncate and add "bin/binti" parts, so a
// holder name that contains every word of the payee name (at least two
// words), or the other way round, matches too.
func HolderMatches(payee, holder string, minScore float64) bool {
	if NameScore(payee, holder) >= minScore {
		return true
	}
	return subsetMatch(NameTokens(payee), NameTokens(holder))
}

// subsetMatch reports whether every token of the shorter list (two or more
// tokens) has a near-identical token in the longer list.
func subsetMatch(a, b []string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) < 2 {
		return false
	}
	for _, s := range a {
		found := false
		for _, l := range b {
			if s == l || (len(s) > 1 && len(l) > 1 && ratio(s, l) >= 0.85) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func sortedJoin(t []string) string {
	c := append([]string(nil), t...)
	sort.Strings(c)
	return strings.Join(c, " ")
}

// ratio is 1 - levenshtein(a,b)/max(len): 1 for equal strings.
func ratio(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	n := max(len(ra), len(rb))
	if n == 0 {
		return 1
	}
	return 1 - float64(levenshtein(ra, rb))/float64(n)
}

func levenshtein(a, b []rune) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

package risk

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WatchEntry is one person or organisation on the imported watchlist (the
// Indonesian DTTOT list: name with aliases, place and date of birth).
type WatchEntry struct {
	Ref         string   // the list's own id (Kode Densus / No), may be empty
	Name        string   // primary name as published
	Aliases     []string // other names ("alias" parts of the name cell and the alias column)
	BirthDate   string   // as published ("17 Agustus 1938", "1980"); ISO when it could be parsed
	BirthPlace  string
	Kind        string // "orang" / "korporasi" as published
	Nationality string
}

// Names returns the primary name followed by the aliases.
func (w WatchEntry) Names() []string { return append([]string{w.Name}, w.Aliases...) }

// Import limits keep a hostile file from exhausting memory.
const (
	maxWatchRows   = 200_000
	maxCellRunes   = 2_000
	maxHeaderProbe = 20
)

// ErrWatchlistFormat reports a watchlist file whose header cannot be found.
var ErrWatchlistFormat = errors.New("watchlist: no header row with a name column (Nama / Name)")

var headerNames = map[string][]string{
	"name":        {"nama", "name", "nama lengkap", "full name", "nama terduga"},
	"alias":       {"alias", "aliases", "nama alias", "aka", "also known as"},
	"birth":       {"tanggal lahir", "tgl lahir", "tgl. lahir", "birth date", "date of birth", "dob", "tanggal_lahir", "tanggal / tahun lahir"},
	"place":       {"tempat lahir", "place of birth", "tempat_lahir"},
	"kind":        {"terduga", "type", "jenis", "kategori"},
	"nationality": {"wn", "kewarganegaraan", "nationality", "warga negara"},
	"ref":         {"kode densus", "kode", "id", "ref", "reference", "no", "nomor"},
}

// ParseWatchlistCSV reads a CSV (comma or semicolon separated) watchlist.
func ParseWatchlistCSV(r io.Reader) ([]WatchEntry, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	sep := ','
	head := data[:min(len(data), 4096)]
	if strings.Count(string(head), ";") > strings.Count(string(head), ",") {
		sep = ';'
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff")))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("watchlist csv: %w", err)
		}
		rows = append(rows, rec)
		if len(rows) > maxWatchRows+maxHeaderProbe {
			return nil, fmt.Errorf("watchlist: more than %d rows", maxWatchRows)
		}
	}
	return ParseWatchlistRows(rows)
}

// ParseWatchlistRows turns spreadsheet rows into entries. The header row is
// found among the first rows (the published list has title lines above it);
// columns are recognised by their Indonesian or English heading. Names like
// "Abu Bakar Ba'asyir alias Abu Bakar Baasyir" are split into name and aliases.
func ParseWatchlistRows(rows [][]string) ([]WatchEntry, error) {
	hdr, cols := -1, map[string]int{}
	for i := 0; i < len(rows) && i < maxHeaderProbe; i++ {
		c := matchHeader(rows[i])
		if _, ok := c["name"]; ok {
			hdr, cols = i, c
			break
		}
	}
	if hdr < 0 {
		return nil, ErrWatchlistFormat
	}
	if len(rows)-hdr-1 > maxWatchRows {
		return nil, fmt.Errorf("watchlist: more than %d rows", maxWatchRows)
	}
	cell := func(row []string, key string) string {
		i, ok := cols[key]
		if !ok || i >= len(row) {
			return ""
		}
		return clean(row[i])
	}
	var out []WatchEntry
	for _, row := range rows[hdr+1:] {
		names := splitAliases(cell(row, "name"))
		if len(names) == 0 || NormalizeName(names[0]) == "" {
			continue
		}
		e := WatchEntry{
			Ref: cell(row, "ref"), Name: names[0], Aliases: names[1:],
			BirthDate: normaliseBirth(cell(row, "birth")), BirthPlace: cell(row, "place"),
			Kind: cell(row, "kind"), Nationality: cell(row, "nationality"),
		}
		for _, a := range strings.FieldsFunc(cell(row, "alias"), func(r rune) bool { return r == ';' || r == '|' || r == '\n' }) {
			e.Aliases = append(e.Aliases, splitAliases(a)...)
		}
		out = append(out, e)
	}
	return out, nil
}

func matchHeader(row []string) map[string]int {
	// A heading earlier in headerNames' list wins ("Kode Densus" over "No").
	cols, prio := map[string]int{}, map[string]int{}
	for i, c := range row {
		h := strings.ToLower(strings.Join(strings.Fields(clean(c)), " "))
		for key, names := range headerNames {
			for p, n := range names {
				if old, done := prio[key]; h == n && (!done || p < old) {
					cols[key], prio[key] = i, p
				}
			}
		}
	}
	return cols
}

// clean trims a cell, drops invalid UTF-8 and caps its length.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if utf8.RuneCountInString(s) > maxCellRunes {
		s = string([]rune(s)[:maxCellRunes])
	}
	return strings.TrimSpace(s)
}

var aliasSep = regexp.MustCompile(`(?i)\s*(?:\balias\b|\bals\.?|\ba\.k\.a\.?|\baka\b|@|/|;|\n)\s*`)

func splitAliases(s string) []string {
	var out []string
	for _, p := range aliasSep.Split(s, -1) {
		p = strings.Trim(strings.TrimSpace(p), ",.")
		if p != "" && NormalizeName(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

var months = map[string]time.Month{
	"januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "pebruari": 2,
	"maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5,
	"juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8, "august": 8,
	"agu": 8, "aug": 8, "agt": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10,
	"okt": 10, "oct": 10, "november": 11, "nov": 11, "nopember": 11, "desember": 12, "december": 12,
	"des": 12, "dec": 12,
}

// normaliseBirth turns "17 Agustus 1938", "17-08-1938" or "1938-08-17" into
// ISO form; anything else (a bare year, "sekitar 1970") is kept as published.
func normaliseBirth(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == '-' || r == '/' || r == '.' || r == ',' })
	if len(f) != 3 {
		return s
	}
	atoi := func(x string) int {
		n, err := strconv.Atoi(x)
		if err != nil {
			return -1
		}
		return n
	}
	var d, m, y int
	switch {
	case len(f[0]) == 4:
		y, m, d = atoi(f[0]), atoi(f[1]), atoi(f[2])
	default:
		d, y = atoi(f[0]), atoi(f[2])
		if mm, ok := months[f[1]]; ok {
			m = int(mm)
		} else {
			m = atoi(f[1])
		}
	}
	if y < 1850 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return s
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return s
	}
	return t.Format("2006-01-02")
}

// WatchMatch is the best watchlist entry for a name.
type WatchMatch struct {
	Entry   WatchEntry
	Matched string  // the entry's name or alias that matched
	Checked string  // the name that was checked
	Score   float64 // 0..1
	// Contained is true when the listed name appears whole inside the
	// checked name (ContainsName), whatever the score.
	Contained bool
}

// MatchWatchlist returns, for each checked name, the best entry that matches:
// a name or alias scoring at least minScore, or one contained whole in the
// checked name (ContainsName). Names with fewer than two letters are ignored.
func MatchWatchlist(list []WatchEntry, names []string, minScore float64) []WatchMatch {
	var out []WatchMatch
	for _, n := range names {
		if len(NormalizeName(n)) < 2 {
			continue
		}
		var best WatchMatch
		found := false
		for _, e := range list {
			for _, en := range e.Names() {
				m := WatchMatch{Entry: e, Matched: en, Checked: n, Score: NameScore(n, en)}
				if m.Score < minScore {
					if m.Contained = ContainsName(en, n); !m.Contained {
						continue
					}
				}
				if !found || m.Score > best.Score {
					best, found = m, true
				}
			}
		}
		if found {
			out = append(out, best)
		}
	}
	return out
}

package h2h

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"lunas/domain"
	"lunas/gateways"
)

// ErrWrongRefID reports a reply about another REFID ("salah kamar"): it is
// never applied to ours. It wraps gateways.ErrUnparseable (outcome unknown).
var ErrWrongRefID = fmt.Errorf("h2h: reply names another REFID: %w", gateways.ErrUnparseable)

// ErrNoRefID reports a reply that names no REFID at all, so it cannot be
// about ours. It wraps gateways.ErrUnparseable.
var ErrNoRefID = fmt.Errorf("h2h: reply names no REFID: %w", gateways.ErrUnparseable)

// Default reply patterns for OtomaX-style suppliers (gateways.md section 9).
// Named groups: refid or trxid (our REFID), status, sn, reason, saldo or
// balance, harga or price, supplier_ref (the supplier's own TRXID).
var (
	DefaultReplyPatterns = []string{
		`R#(?P<refid>[A-Za-z0-9_-]+)`,
		`[&?]refid=(?P<refid>[A-Za-z0-9_-]+)`,
		`(?i)\b(?P<status>SUKSES|SUCCESS|BERHASIL|GAGAL|FAILED|DIPROSES|PROSES|PENDING|INPROGRESS|TIDAK DITEMUKAN|NOT FOUND|REFUND|DIREFUND|REVERSAL|REVERSED)\b`,
		`(?i)\bSN(?:/Ref)?\s*:\s*(?P<sn>[A-Za-z0-9/_-]+)`,
		`(?i)\bREASON\s*:\s*(?P<reason>[^.]+)`,
		`(?i)\bTRXID\s*:\s*(?P<supplier_ref>[A-Za-z0-9_-]+)`,
		`(?i)\bSALDO\s*:?\s*(?:[\d.,]+\s*-\s*[\d.,]+\s*=\s*)?(?P<saldo>\d[\d.,]*)`,
		`(?i)\b(?:HARGA|PRICE)\s*:?\s*(?:Rp\.?\s*)?(?P<price>\d[\d.,]*)`,
	}
	DefaultBalancePatterns = []string{
		`(?i)\b(?:SALDO|BALANCE)\s*(?:ANDA)?\s*:?\s*(?:Rp\.?\s*)?(?P<saldo>\d[\d.,]*)`,
	}
	DefaultSuccessWords  = []string{"SUKSES", "SUCCESS", "BERHASIL", "20"}
	DefaultFailedWords   = []string{"GAGAL", "FAILED", "40"}
	DefaultPendingWords  = []string{"PROSES", "DIPROSES", "PENDING", "INPROGRESS", "1", "2"}
	DefaultNotFoundWords = []string{"TIDAK DITEMUKAN", "NOT FOUND"}
	DefaultReversedWords = []string{"REFUND", "DIREFUND", "REVERSAL", "REVERSED"}
)

// Reply is one supplier reply, read by a Parser.
type Reply struct {
	RefID       string
	Outcome     domain.PayoutOutcome
	Status      string // the status word as written
	Serial      string
	Reason      string
	SupplierRef string
	Balance     domain.Rupiah
	Price       domain.Rupiah
}

// Parser reads supplier replies with compiled patterns and status words.
type Parser struct {
	reply, balance                     []*regexp.Regexp
	success, failed, pending, notFound map[string]bool
	reversed                           map[string]bool
}

// ErrConfig reports a supplier configuration that cannot work.
var ErrConfig = errors.New("h2h: invalid supplier configuration")

// NewParser compiles patterns and word lists. Nil pattern lists take the
// defaults; word lists add synonyms to the default words.
// Every reply pattern must be a valid Go (RE2) expression; the Perl/.NET form
// (?<name>...) is accepted.
func NewParser(replyPatterns, balancePatterns []string, success, failed, pending, notFound, reversed []string) (*Parser, error) {
	if replyPatterns == nil {
		replyPatterns = DefaultReplyPatterns
	}
	if balancePatterns == nil {
		balancePatterns = DefaultBalancePatterns
	}
	p := &Parser{
		success:  words(success, DefaultSuccessWords),
		failed:   words(failed, DefaultFailedWords),
		pending:  words(pending, DefaultPendingWords),
		notFound: words(notFound, DefaultNotFoundWords),
		reversed: words(reversed, DefaultReversedWords),
	}
	if sameList(replyPatterns, DefaultReplyPatterns) {
		// The default status pattern lists the configured words, so that
		// synonyms work without writing a pattern.
		replyPatterns = append([]string(nil), replyPatterns...)
		replyPatterns[statusPattern] = p.statusPattern()
	}
	var err error
	if p.reply, err = compile(replyPatterns); err != nil {
		return nil, err
	}
	if p.balance, err = compile(balancePatterns); err != nil {
		return nil, err
	}
	return p, nil
}

// statusPattern is the index of the status-word pattern in DefaultReplyPatterns.
const statusPattern = 2

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// statusPattern builds a case-insensitive whole-word pattern of every
// configured non-numeric status word, longest first so that DIPROSES wins
// over PROSES. Numeric codes are left to patterns such as status=(\d+).
func (p *Parser) statusPattern() string {
	var ws []string
	for _, m := range []map[string]bool{p.success, p.failed, p.pending, p.notFound, p.reversed} {
		for w := range m {
			if w != "" && strings.Trim(w, "0123456789") != "" {
				ws = append(ws, regexp.QuoteMeta(w))
			}
		}
	}
	sort.Slice(ws, func(i, j int) bool {
		if len(ws[i]) != len(ws[j]) {
			return len(ws[i]) > len(ws[j])
		}
		return ws[i] < ws[j]
	})
	return `(?i)\b(?P<status>` + strings.Join(ws, "|") + `)\b`
}

func compile(pats []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(pats))
	for i, s := range pats {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("%w: pattern %d: %v", ErrConfig, i+1, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// words is the default list plus the configured synonyms, upper-cased.
func words(list, def []string) map[string]bool {
	m := make(map[string]bool, len(list)+len(def))
	for _, w := range append(append([]string(nil), def...), list...) {
		m[strings.ToUpper(strings.TrimSpace(w))] = true
	}
	return m
}

// groups collects every value of every named group over all patterns and
// all matches, so that conflicting values can be detected.
func groups(res []*regexp.Regexp, text string) map[string][]string {
	out := map[string][]string{}
	for _, re := range res {
		names := re.SubexpNames()
		for _, m := range re.FindAllStringSubmatch(text, 8) {
			for i, name := range names {
				if name != "" && i < len(m) && m[i] != "" {
					out[name] = append(out[name], strings.TrimSpace(m[i]))
				}
			}
		}
	}
	return out
}

// one returns the single value of the named groups, or an error if they
// disagree. ok is false when none matched.
func one(g map[string][]string, names ...string) (v string, ok bool, conflict bool) {
	for _, n := range names {
		for _, x := range g[n] {
			if !ok {
				v, ok = x, true
			} else if !strings.EqualFold(x, v) {
				return "", true, true
			}
		}
	}
	return v, ok, false
}

// Parse reads a reply to a request about refID. It never panics. The result
// is OutcomeUnknown with an error when the reply names no REFID, names
// another REFID (or several), carries no status word, carries status words
// that disagree, or an unrecognised one.
func (p *Parser) Parse(text, refID string) (Reply, error) {
	r := Reply{RefID: refID, Outcome: domain.OutcomeUnknown}
	g := groups(p.reply, text)
	got, ok, conflict := one(g, "refid", "trxid")
	switch {
	case !ok:
		return r, ErrNoRefID
	case conflict || got != refID:
		return r, ErrWrongRefID
	}
	// Read everything else with our REFID masked, so that a REFID such as
	// "REF-GAGAL-1" is never taken for a status word.
	g = groups(p.reply, strings.ReplaceAll(text, refID, "#"))
	var out domain.PayoutOutcome
	for _, w := range g["status"] {
		o := p.outcome(w)
		if o == domain.OutcomeUnknown || (out != "" && o != out) {
			return r, fmt.Errorf("%w: status words %q", gateways.ErrUnknownStatus, clip(strings.Join(g["status"], ",")))
		}
		out, r.Status = o, w
	}
	if out == "" {
		return r, fmt.Errorf("%w: no status word", gateways.ErrUnparseable)
	}
	r.Outcome = out
	r.Serial, _, _ = one(g, "sn")
	r.Reason, _, _ = one(g, "reason", "message")
	r.SupplierRef, _, _ = one(g, "supplier_ref")
	if s, ok, c := one(g, "saldo", "balance"); ok && !c {
		r.Balance, _ = domain.ParseRupiah(strings.TrimRight(s, ".,"))
	}
	if s, ok, c := one(g, "harga", "price"); ok && !c {
		r.Price, _ = domain.ParseRupiah(strings.TrimRight(s, ".,"))
	}
	return r, nil
}

// outcome maps a status word to an outcome.
func (p *Parser) outcome(w string) domain.PayoutOutcome {
	w = strings.ToUpper(strings.TrimSpace(w))
	switch {
	case p.success[w]:
		return domain.OutcomeSucceeded
	case p.failed[w]:
		return domain.OutcomeFailed
	case p.pending[w]:
		return domain.OutcomeAccepted
	case p.notFound[w]:
		return domain.OutcomeNotFound
	case p.reversed[w]:
		return domain.OutcomeReversed
	}
	return domain.OutcomeUnknown
}

// ParseBalance reads a balance reply.
func (p *Parser) ParseBalance(text string) (domain.Rupiah, error) {
	g := groups(p.balance, text)
	s, ok, conflict := one(g, "saldo", "balance")
	if !ok || conflict {
		return 0, fmt.Errorf("%w: no single balance in reply", gateways.ErrUnparseable)
	}
	v, err := domain.ParseRupiah(strings.TrimRight(s, ".,"))
	if err != nil {
		return 0, fmt.Errorf("%w: balance %q", gateways.ErrUnparseable, clip(s))
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80]
	}
	return s
}

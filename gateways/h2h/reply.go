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

// ErrNoRefID reports a reply that names no REFID and is not in the
// documented unmarked shape (a supplier TrxID), so it cannot be tied to
// ours. It wraps gateways.ErrUnparseable.
var ErrNoRefID = fmt.Errorf("h2h: reply names no REFID: %w", gateways.ErrUnparseable)

// ErrRepeatNoRefID reports an unmarked reply saying a transaction like
// this one was already made ("sdh pernah jam 15:19, status Sukses"):
// OtomaX-style engines also spot repeats by product and destination, so
// without our REFID in it the earlier transaction may be another one (two
// transfers of one amount to one account on one day). Never applied: it
// wraps gateways.ErrUnparseable (outcome unknown, a person checks).
var ErrRepeatNoRefID = fmt.Errorf("h2h: the supplier says a transaction like this was already made, without naming our REFID: %w", gateways.ErrUnparseable)

// Reply patterns (gateways.md section 9; the documented replies are in
// testdata/wire). Named groups: refid or trxid (the REFID the reply is
// about: compared with the REFID Lunas sent, never taken from it), status,
// sn, reason, saldo or balance, harga or price, supplier_ref (the
// supplier's own transaction id: kept for reference, never a REFID).
//
// StatusWords in a pattern list stands for a whole-word pattern of every
// configured status word (defaults plus synonyms), longest first.
const StatusWords = "{status-words}"

// The parts the default patterns and the presets are made of.
const (
	patRHash     = `R#(?P<refid>[A-Za-z0-9_-]+)`              // R#<refid> (OtomaX)
	patRefidArg  = `(?i)[&?]refid=(?P<refid>[A-Za-z0-9_-]+)`  // &refid=<refid> (OtomaX suffix, report query)
	patClientID  = `(?i)\bCLIENTID=(?P<refid>[A-Za-z0-9_-]+)` // CLIENTID=<refid> (Digiflazz, Sidopulsa)
	patSN        = `(?i)\bSN(?:/Ref)?\s*[:=]\s*(?P<sn>[A-Za-z0-9/_.-]*[A-Za-z0-9/_-])`
	patReason    = `(?i)\bREASON\s*:\s*(?P<reason>[^.]+)`
	patGagalWhy  = `(?i)\b(?:GAGAL|FAILED),\s*(?P<reason>[^.]+)`           // "GAGAL, Nomor tujuan salah."
	patTrxID     = `(?i)\bTRXID\s*[:=]\s*(?P<supplier_ref>[A-Za-z0-9_-]+)` // TRXID: and TrxID= alike
	patSaldo     = `(?i)\bSALDO\s*[:=]?\s*(?:[\d.,]+\s*[-+]\s*[\d.,]+\s*=\s*)?(?P<saldo>\d[\d.,]*)`
	patPrice     = `(?i)\b(?:HARGA|HRG|PRICE)\s*[:=]?\s*(?:Rp\.?\s*)?(?P<price>\d[\d.,]*)`
	patStatusArg = `(?i)[&?]status=(?P<status>\d+)`             // OtomaX numeric report status
	patRepeat    = `(?i)\b(?P<repeat>(?:sdh|sudah)\s+pernah)\b` // "sdh pernah jam 15:19": a repeat
)

var (
	// DefaultReplyPatterns read every documented reply style: R#<refid>
	// with TRXID:/SN:/SISA SALDO (Klikoo), report?refid=..&message=..
	// (Maxsi), TRX ... CLIENTID=<refid> (Digiflazz, Sidopulsa) and the
	// unmarked "Lancar BOS. TrxID=<theirs> kode .. ke .. Sukses" (the
	// OtomaX, IRS, ST24 reply Digiflazz documents for its sellers). The
	// REFID is our R#, refid= or CLIENTID= value; TrxID is always the
	// supplier's own id (Digiflazz's report shows both: refid=205432004
	// beside TrxID=b31sSA5fjp), never a REFID. See Parse for unmarked
	// replies.
	DefaultReplyPatterns   = []string{patRHash, patRefidArg, patClientID, StatusWords, patSN, patReason, patGagalWhy, patTrxID, patSaldo, patPrice, patRepeat}
	DefaultBalancePatterns = []string{
		`(?i)\b(?:SALDO|BALANCE)\s*(?:ANDA)?\s*:?\s*(?:Rp\.?\s*)?(?P<saldo>\d[\d.,]*)`,
	}
	DefaultSuccessWords  = []string{"SUKSES", "SUCCESS", "BERHASIL", "20"}
	DefaultFailedWords   = []string{"GAGAL", "FAILED", "40"}
	DefaultPendingWords  = []string{"PROSES", "DIPROSES", "PENDING", "INPROGRESS", "PROCESSING", "1", "2"}
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
	// StatusWords lists the configured words, so that synonyms work
	// without writing a pattern.
	replyPatterns = append([]string(nil), replyPatterns...)
	for i, pat := range replyPatterns {
		if pat == StatusWords {
			replyPatterns[i] = p.statusPattern()
		}
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

// maskRefIDs replaces every span a refid or trxid group matched with "#".
func maskRefIDs(res []*regexp.Regexp, text string) string {
	b := []byte(text)
	for _, re := range res {
		names := re.SubexpNames()
		for _, m := range re.FindAllStringSubmatchIndex(text, 8) {
			for i, name := range names {
				if (name == "refid" || name == "trxid") && m[2*i] >= 0 {
					for j := m[2*i]; j < m[2*i+1]; j++ {
						b[j] = '#'
					}
				}
			}
		}
	}
	return string(b)
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

// Parse reads the reply to a request Lunas sent about refID (the HTTP
// answer to that request: Send or Status). It never panics. A reply that
// names a REFID (R#, refid=, CLIENTID=) must name exactly refID. A reply
// that names none is tied to refID only in the documented unmarked shape,
// which carries the supplier's own TrxID: the REFID then comes from what
// Lunas sent, never from the supplier's id, and an unmarked repeat ("sdh
// pernah ...") is not tied at all (ErrRepeatNoRefID). The result is
// OutcomeUnknown with an error when the reply cannot be tied to refID,
// carries no status word, carries status words that disagree, or an
// unrecognised one.
func (p *Parser) Parse(text, refID string) (Reply, error) {
	r := Reply{RefID: refID, Outcome: domain.OutcomeUnknown}
	g := groups(p.reply, text)
	got, ok, conflict := one(g, "refid", "trxid")
	switch {
	case !ok && len(g["supplier_ref"]) == 0:
		return r, ErrNoRefID
	case !ok && len(g["repeat"]) > 0:
		return r, ErrRepeatNoRefID
	case !ok:
		// unmarked: the answer to our own request about refID
	case conflict || got != refID:
		return r, ErrWrongRefID
	}
	// Read everything else with the REFID marks masked, so that a REFID
	// such as "REF-GAGAL-1" is never taken for a status word. Only where
	// a pattern found the REFID: the same digits inside a serial number
	// or a balance stay as they are.
	g = groups(p.reply, maskRefIDs(p.reply, text))
	out, word, err := p.decide(g["status"])
	if err != nil {
		return r, err
	}
	r.Status = word
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

// decide reads the status words of one reply. They must agree, with one
// documented exception: a failed transaction whose deposit was refunded
// ("GAGAL, Dibatalkan Refund Rp.9.000", Sidopulsa) names both a failure
// and a refund, and is a failure (the money never reached the payee). Any
// other mix, an unknown word or no word at all leaves the outcome unknown.
func (p *Parser) decide(ws []string) (domain.PayoutOutcome, string, error) {
	var out domain.PayoutOutcome
	word := ""
	for _, w := range ws {
		o := p.outcome(w)
		switch {
		case o == domain.OutcomeUnknown:
			return "", "", fmt.Errorf("%w: status words %q", gateways.ErrUnknownStatus, clip(strings.Join(ws, ",")))
		case out == "" || o == out:
			out, word = o, w
		case out == domain.OutcomeFailed && o == domain.OutcomeReversed:
			// keep the failure
		case out == domain.OutcomeReversed && o == domain.OutcomeFailed:
			out, word = o, w
		default:
			return "", "", fmt.Errorf("%w: status words %q", gateways.ErrUnknownStatus, clip(strings.Join(ws, ",")))
		}
	}
	if out == "" {
		return "", "", fmt.Errorf("%w: no status word", gateways.ErrUnparseable)
	}
	return out, word, nil
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

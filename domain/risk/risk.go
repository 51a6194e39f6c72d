// Package risk holds Lunas's AML/CFT and fraud rules as pure functions: the
// checker gathers the facts about one new transfer from the store, Evaluate
// decides. Every threshold is configurable; DefaultConfig documents the
// defaults (see also docs/SECURITY.md).
package risk

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"lunas/domain"
)

// RuleID names a rule in flags, settings and reports.
type RuleID string

// Rules.
const (
	RuleSingleLimit    RuleID = "single_limit"    // one transfer above a limit
	RuleDailyTotal     RuleID = "daily_total"     // a payee's total for the day above a limit
	RuleVelocity       RuleID = "velocity"        // too many transfers to a payee within a window
	RuleStructuring    RuleID = "structuring"     // several transfers in 24 h each just under the approval limit
	RuleFirstPayout    RuleID = "first_payout"    // first payout ever to a payee
	RuleAccountChanged RuleID = "account_changed" // first payout to a payee's changed bank account
	RuleNameMismatch   RuleID = "name_mismatch"   // validated holder name does not match the payee
	RuleOverSettled    RuleID = "over_settled"    // payout above what was settled (hard block)
	RuleAmountMismatch RuleID = "amount_mismatch" // paid amount differs from what was asked
	RuleWatchlist      RuleID = "watchlist"       // payee or holder name on the watchlist
	RuleOverMaximum    RuleID = "over_maximum"    // payout above the shop's maximum per payout (hard block)
	RuleLookAlike      RuleID = "look_alike"      // payee's name looks like another payee's, with another account
)

// SettingApprovalLimit is the settings key of the engine's per-transfer
// automatic-send limit (whole rupiah; absent or 0 means no limit), the same
// key app/engine.go reads into engine.Limits.PerTransfer.
const SettingApprovalLimit = "limits.per_transfer"

// Config holds every threshold. The zero value of a limit disables its rule.
type Config struct {
	SingleLimit     domain.Rupiah // hold a single transfer above this
	DailyPayeeLimit domain.Rupiah // hold when a payee's day total would exceed this (the payee's own DailyLimit wins when set)
	VelocityMax     int           // hold when more than this many transfers go to one payee within VelocityWindow
	VelocityWindow  time.Duration
	// ApprovalLimit is the owner's automatic-send limit, which structuring
	// tries to stay under. It is not a threshold of its own: the security
	// checker fills it from the engine's setting SettingApprovalLimit on
	// every assessment, so the two cannot drift apart.
	ApprovalLimit      domain.Rupiah
	StructuringBandBPS int64 // "just under": within this many basis points below ApprovalLimit
	StructuringMin     int   // hold when this many such transfers (this one included) fall within StructuringWindow
	StructuringWindow  time.Duration
	HoldFirstPayout    bool    // hold the first payout to a new payee or to a changed account
	HolderMinScore     float64 // holder name similarity (0..1) below which names do not match
	AmountTolerance    domain.Rupiah
	WatchlistMinScore  float64 // name similarity (0..1) at which a watchlist entry matches
	// MaxPayout is the shop's maximum per payout (domain.SettingMaxPayout,
	// default domain.DefaultMaxAmount); the security checker fills it from
	// that setting on every assessment. A payout above it is blocked.
	MaxPayout domain.Rupiah `json:"-"`
}

// DefaultConfig returns the documented defaults for a small shop.
func DefaultConfig() Config {
	return Config{
		SingleLimit:        25_000_000,
		DailyPayeeLimit:    50_000_000,
		VelocityMax:        5,
		VelocityWindow:     time.Hour,
		ApprovalLimit:      5_000_000,
		StructuringBandBPS: 1000, // 10 %: Rp4.500.000 .. Rp5.000.000 with the default limit
		StructuringMin:     3,
		StructuringWindow:  24 * time.Hour,
		HoldFirstPayout:    true,
		HolderMinScore:     0.80,
		AmountTolerance:    0,
		WatchlistMinScore:  0.88,
		MaxPayout:          domain.DefaultMaxAmount,
	}
}

// Recent is an earlier transfer to the same payee (not rejected, failed or cancelled).
type Recent struct {
	RefID  string
	Amount domain.Rupiah
	At     time.Time
}

// Input is everything the rules look at for one new transfer. The checker
// fills it from the store; the current transfer is never in Recent or the totals.
type Input struct {
	Now      time.Time
	Transfer domain.Transfer
	Payee    domain.Payee

	PayeeTotalToday domain.Rupiah // other transfers to the payee since the start of the shop's day
	Recent          []Recent      // other transfers to the payee within the longest window

	PriorPayouts int  // succeeded payouts to this payee before
	AccountKnown bool // the payee's current account already received a payout

	ObligationAmount domain.Rupiah // what this transfer's obligation owes (0: unknown)
	Settled          domain.Rupiah // settled payment amount for the order (0: unknown)
	PaidForOrder     domain.Rupiah // other live transfers for the same order
	Requested        domain.Rupiah // what the payment link asked for (0: unknown)
	Paid             domain.Rupiah // what the gateway reported as paid

	Watchlist []WatchEntry

	// LookAlikes are other payees whose names look the same as this
	// payee's once confusable characters are folded (Unicode TR39
	// skeletons) but who are paid to another account; the checker fills it
	// only before the payee's first payout.
	LookAlikes []LookAlike
}

// LookAlike is another payee whose name looks like this payee's.
type LookAlike struct {
	PayeeID int64
	Name    string
}

// Hit is one rule that fired.
type Hit struct {
	Rule     RuleID
	Block    bool              // never send as is
	ReasonID string            // Indonesian, for the owner
	ReasonEN string            // English
	Evidence map[string]string // the facts that made it fire
}

// EvidenceString renders Evidence as "k=v; k=v" in key order.
func (h Hit) EvidenceString() string {
	keys := make([]string, 0, len(h.Evidence))
	for k := range h.Evidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + h.Evidence[k]
	}
	return strings.Join(parts, "; ")
}

// Evaluate runs every rule and returns the hits in rule order.
func Evaluate(cfg Config, in Input) []Hit {
	var hits []Hit
	for _, r := range []func(Config, Input) *Hit{
		overMaximum, overSettled, amountMismatch, watchlist, lookAlike, singleLimit, dailyTotal, velocity,
		structuring, firstPayout, nameMismatch,
	} {
		if h := r(cfg, in); h != nil {
			hits = append(hits, *h)
		}
	}
	return hits
}

func rp(r domain.Rupiah) string { return r.String() }

func singleLimit(cfg Config, in Input) *Hit {
	a := in.Transfer.Amount
	if cfg.SingleLimit <= 0 || a <= cfg.SingleLimit {
		return nil
	}
	return &Hit{Rule: RuleSingleLimit,
		ReasonID: fmt.Sprintf("Transfer %s melebihi batas satu transfer %s.", rp(a), rp(cfg.SingleLimit)),
		ReasonEN: fmt.Sprintf("Transfer of %s is above the single-transfer limit of %s.", rp(a), rp(cfg.SingleLimit)),
		Evidence: map[string]string{"amount": rp(a), "limit": rp(cfg.SingleLimit)}}
}

func dailyTotal(cfg Config, in Input) *Hit {
	limit := cfg.DailyPayeeLimit
	if in.Payee.DailyLimit > 0 {
		limit = in.Payee.DailyLimit
	}
	if limit <= 0 {
		return nil
	}
	total, err := in.PayeeTotalToday.Add(in.Transfer.Amount)
	if err == nil && total <= limit {
		return nil
	}
	return &Hit{Rule: RuleDailyTotal,
		ReasonID: fmt.Sprintf("Total transfer hari ini ke %s menjadi %s, melebihi batas harian %s.", in.Payee.Name, rp(total), rp(limit)),
		ReasonEN: fmt.Sprintf("Today's total to %s would be %s, above the daily limit of %s.", in.Payee.Name, rp(total), rp(limit)),
		Evidence: map[string]string{"earlier_today": rp(in.PayeeTotalToday), "amount": rp(in.Transfer.Amount), "limit": rp(limit)}}
}

func within(in Input, window time.Duration, keep func(Recent) bool) []Recent {
	var out []Recent
	for _, r := range in.Recent {
		if !r.At.Before(in.Now.Add(-window)) && !r.At.After(in.Now) && keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func refs(rs []Recent) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.RefID
	}
	return strings.Join(s, ",")
}

func velocity(cfg Config, in Input) *Hit {
	if cfg.VelocityMax <= 0 || cfg.VelocityWindow <= 0 {
		return nil
	}
	rs := within(in, cfg.VelocityWindow, func(Recent) bool { return true })
	n := len(rs) + 1
	if n <= cfg.VelocityMax {
		return nil
	}
	return &Hit{Rule: RuleVelocity,
		ReasonID: fmt.Sprintf("%d transfer ke %s dalam %s (batas %d).", n, in.Payee.Name, cfg.VelocityWindow, cfg.VelocityMax),
		ReasonEN: fmt.Sprintf("%d transfers to %s within %s (limit %d).", n, in.Payee.Name, cfg.VelocityWindow, cfg.VelocityMax),
		Evidence: map[string]string{"count": fmt.Sprint(n), "window": cfg.VelocityWindow.String(), "max": fmt.Sprint(cfg.VelocityMax), "refids": refs(rs)}}
}

// bandFloor returns the lowest amount that counts as "just under" the limit.
func bandFloor(cfg Config) domain.Rupiah {
	return cfg.ApprovalLimit - domain.Rupiah(int64(cfg.ApprovalLimit)/10000*cfg.StructuringBandBPS+int64(cfg.ApprovalLimit)%10000*cfg.StructuringBandBPS/10000)
}

func structuring(cfg Config, in Input) *Hit {
	if cfg.ApprovalLimit <= 0 || cfg.StructuringMin <= 1 || cfg.StructuringWindow <= 0 {
		return nil
	}
	lo, hi := bandFloor(cfg), cfg.ApprovalLimit
	inBand := func(a domain.Rupiah) bool { return a >= lo && a <= hi }
	if !inBand(in.Transfer.Amount) {
		return nil
	}
	rs := within(in, cfg.StructuringWindow, func(r Recent) bool { return inBand(r.Amount) })
	n := len(rs) + 1
	if n < cfg.StructuringMin {
		return nil
	}
	return &Hit{Rule: RuleStructuring,
		ReasonID: fmt.Sprintf("%d transfer ke %s dalam %s, masing-masing sedikit di bawah batas persetujuan %s (kemungkinan dipecah).", n, in.Payee.Name, cfg.StructuringWindow, rp(hi)),
		ReasonEN: fmt.Sprintf("%d transfers to %s within %s, each just under the approval limit of %s (possible structuring).", n, in.Payee.Name, cfg.StructuringWindow, rp(hi)),
		Evidence: map[string]string{"count": fmt.Sprint(n), "band": rp(lo) + ".." + rp(hi), "refids": refs(rs)}}
}

func firstPayout(cfg Config, in Input) *Hit {
	if !cfg.HoldFirstPayout {
		return nil
	}
	if in.PriorPayouts == 0 {
		return &Hit{Rule: RuleFirstPayout,
			ReasonID: fmt.Sprintf("Transfer pertama ke penerima baru %s (%s %s).", in.Payee.Name, in.Payee.Channel, domain.MaskAccount(in.Payee.AccountNumber)),
			ReasonEN: fmt.Sprintf("First payout to new payee %s (%s %s).", in.Payee.Name, in.Payee.Channel, domain.MaskAccount(in.Payee.AccountNumber)),
			Evidence: map[string]string{"prior_payouts": "0", "account": domain.MaskAccount(in.Payee.AccountNumber)}}
	}
	if !in.AccountKnown {
		return &Hit{Rule: RuleAccountChanged,
			ReasonID: fmt.Sprintf("Rekening %s berubah: transfer pertama ke %s %s.", in.Payee.Name, in.Payee.Channel, domain.MaskAccount(in.Payee.AccountNumber)),
			ReasonEN: fmt.Sprintf("Bank account of %s changed: first payout to %s %s.", in.Payee.Name, in.Payee.Channel, domain.MaskAccount(in.Payee.AccountNumber)),
			Evidence: map[string]string{"prior_payouts": fmt.Sprint(in.PriorPayouts), "account": domain.MaskAccount(in.Payee.AccountNumber)}}
	}
	return nil
}

func nameMismatch(cfg Config, in Input) *Hit {
	p := in.Payee
	if p.AccountHolder == "" && p.Verification != domain.VerifyMismatch {
		return nil
	}
	score := NameScore(p.Name, p.AccountHolder)
	if p.AccountHolder != "" && HolderMatches(p.Name, p.AccountHolder, cfg.HolderMinScore) {
		return nil
	}
	return &Hit{Rule: RuleNameMismatch,
		ReasonID: fmt.Sprintf("Nama pemilik rekening %q tidak sesuai dengan penerima %q.", p.AccountHolder, p.Name),
		ReasonEN: fmt.Sprintf("Account holder name %q does not match payee %q.", p.AccountHolder, p.Name),
		Evidence: map[string]string{"payee": p.Name, "holder": p.AccountHolder, "score": fmt.Sprintf("%.2f", score), "min_score": fmt.Sprintf("%.2f", cfg.HolderMinScore)}}
}

func lookAlike(cfg Config, in Input) *Hit {
	if len(in.LookAlikes) == 0 {
		return nil
	}
	o := in.LookAlikes[0]
	return &Hit{Rule: RuleLookAlike,
		ReasonID: fmt.Sprintf("Nama penerima %q tampak sama dengan penerima lain %q (#%d) yang rekeningnya berbeda: periksa sebelum transfer pertama.", in.Payee.Name, o.Name, o.PayeeID),
		ReasonEN: fmt.Sprintf("Payee name %q looks the same as another payee %q (#%d) with a different account: check before the first payout.", in.Payee.Name, o.Name, o.PayeeID),
		Evidence: map[string]string{"payee": in.Payee.Name, "other_payee": fmt.Sprintf("#%d %s", o.PayeeID, o.Name)}}
}

func overMaximum(cfg Config, in Input) *Hit {
	a := in.Transfer.Amount
	if cfg.MaxPayout <= 0 || a <= cfg.MaxPayout {
		return nil
	}
	return &Hit{Rule: RuleOverMaximum, Block: true,
		ReasonID: fmt.Sprintf("Transfer %s melebihi batas per transfer toko %s. Diblokir.", rp(a), rp(cfg.MaxPayout)),
		ReasonEN: fmt.Sprintf("Transfer of %s is above the shop's maximum per payout of %s. Blocked.", rp(a), rp(cfg.MaxPayout)),
		Evidence: map[string]string{"amount": rp(a), "maximum": rp(cfg.MaxPayout)}}
}

func overSettled(cfg Config, in Input) *Hit {
	a := in.Transfer.Amount
	if in.ObligationAmount > 0 && a > in.ObligationAmount {
		return &Hit{Rule: RuleOverSettled, Block: true,
			ReasonID: fmt.Sprintf("Transfer %s lebih besar dari kewajiban %s. Diblokir.", rp(a), rp(in.ObligationAmount)),
			ReasonEN: fmt.Sprintf("Transfer of %s is larger than the obligation of %s. Blocked.", rp(a), rp(in.ObligationAmount)),
			Evidence: map[string]string{"amount": rp(a), "obligation": rp(in.ObligationAmount)}}
	}
	if in.Settled <= 0 {
		return nil
	}
	total, err := in.PaidForOrder.Add(a)
	if err == nil && total <= in.Settled {
		return nil
	}
	return &Hit{Rule: RuleOverSettled, Block: true,
		ReasonID: fmt.Sprintf("Total transfer untuk pesanan ini %s melebihi dana yang diterima %s. Diblokir.", rp(total), rp(in.Settled)),
		ReasonEN: fmt.Sprintf("Payouts for this order would total %s, above the %s settled. Blocked.", rp(total), rp(in.Settled)),
		Evidence: map[string]string{"amount": rp(a), "other_payouts": rp(in.PaidForOrder), "settled": rp(in.Settled)}}
}

func amountMismatch(cfg Config, in Input) *Hit {
	if in.Requested <= 0 || in.Paid <= 0 {
		return nil
	}
	d := in.Paid - in.Requested
	if d < 0 {
		d = -d
	}
	if d <= cfg.AmountTolerance {
		return nil
	}
	return &Hit{Rule: RuleAmountMismatch,
		ReasonID: fmt.Sprintf("Jumlah dibayar %s berbeda dari tagihan %s.", rp(in.Paid), rp(in.Requested)),
		ReasonEN: fmt.Sprintf("Amount paid %s differs from the amount requested %s.", rp(in.Paid), rp(in.Requested)),
		Evidence: map[string]string{"paid": rp(in.Paid), "requested": rp(in.Requested), "tolerance": rp(cfg.AmountTolerance)}}
}

func watchlist(cfg Config, in Input) *Hit {
	if len(in.Watchlist) == 0 {
		return nil
	}
	names := []string{in.Payee.Name}
	if in.Payee.AccountHolder != "" && in.Payee.AccountHolder != in.Payee.Name {
		names = append(names, in.Payee.AccountHolder)
	}
	ms := MatchWatchlist(in.Watchlist, names, cfg.WatchlistMinScore)
	if len(ms) == 0 {
		return nil
	}
	m := ms[0]
	for _, x := range ms[1:] {
		if x.Score > m.Score {
			m = x
		}
	}
	ev := map[string]string{"checked": m.Checked, "listed": m.Entry.Name, "matched": m.Matched,
		"score": fmt.Sprintf("%.2f", m.Score), "birth_date": m.Entry.BirthDate, "ref": m.Entry.Ref}
	if m.Contained {
		ev["contained"] = "yes"
		return &Hit{Rule: RuleWatchlist,
			ReasonID: fmt.Sprintf("Nama %q memuat nama daftar terduga %q (lahir %s). Periksa sebelum mengirim.", m.Checked, m.Matched, orDash(m.Entry.BirthDate)),
			ReasonEN: fmt.Sprintf("Name %q contains watchlist entry %q (born %s). Check before sending.", m.Checked, m.Matched, orDash(m.Entry.BirthDate)),
			Evidence: ev}
	}
	return &Hit{Rule: RuleWatchlist,
		ReasonID: fmt.Sprintf("Nama %q mirip dengan daftar terduga %q (lahir %s, kemiripan %.0f%%). Periksa sebelum mengirim.", m.Checked, m.Matched, orDash(m.Entry.BirthDate), m.Score*100),
		ReasonEN: fmt.Sprintf("Name %q resembles watchlist entry %q (born %s, %.0f%% alike). Check before sending.", m.Checked, m.Matched, orDash(m.Entry.BirthDate), m.Score*100),
		Evidence: ev}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// titles are short, name-free descriptions of each rule, safe for places
// that outlive erasure of personal data (hold reasons, the audit log).
var ruleTitles = map[RuleID][2]string{
	RuleSingleLimit:    {"Transfer tunggal di atas batas", "Single transfer above the limit"},
	RuleDailyTotal:     {"Total harian penerima di atas batas", "Payee's daily total above the limit"},
	RuleVelocity:       {"Terlalu banyak transfer ke penerima dalam waktu singkat", "Too many transfers to the payee in a short time"},
	RuleStructuring:    {"Beberapa transfer tepat di bawah batas persetujuan (pemecahan)", "Several transfers just under the approval limit (structuring)"},
	RuleFirstPayout:    {"Transfer pertama ke penerima baru", "First payout to a new payee"},
	RuleAccountChanged: {"Transfer pertama ke rekening yang berubah", "First payout to a changed bank account"},
	RuleNameMismatch:   {"Nama pemilik rekening tidak sesuai", "Account holder name does not match"},
	RuleOverSettled:    {"Transfer melebihi dana yang diterima (diblokir)", "Payout above what was settled (blocked)"},
	RuleAmountMismatch: {"Jumlah dibayar berbeda dari tagihan", "Amount paid differs from the amount requested"},
	RuleWatchlist:      {"Nama mirip daftar terduga teroris (DTTOT)", "Name resembles the terrorist watchlist (DTTOT)"},
	RuleOverMaximum:    {"Transfer di atas batas per transfer toko (diblokir)", "Payout above the shop's maximum per payout (blocked)"},
	RuleLookAlike:      {"Nama penerima mirip penerima lain dengan rekening lain", "Payee's name looks like another payee's, with another account"},
}

// Title returns the rule's name-free Indonesian and English titles.
func Title(r RuleID) (id, en string) {
	t, ok := ruleTitles[r]
	if !ok {
		return string(r), string(r)
	}
	return t[0], t[1]
}

package risk

import (
	"strings"
	"testing"
	"time"

	"lunas/domain"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// base is a transfer that fires no rule with the default config.
func base() Input {
	return Input{
		Now:          now,
		Transfer:     domain.Transfer{RefID: "R-1", PayeeID: 7, Amount: 1_000_000},
		Payee:        domain.Payee{ID: 7, Name: "Siti Aminah", Channel: "BCA", AccountNumber: "1234567890", AccountHolder: "SITI AMINAH", Verification: domain.VerifyOK},
		PriorPayouts: 3, AccountKnown: true,
		ObligationAmount: 1_000_000, Settled: 2_000_000, PaidForOrder: 500_000,
		Requested: 2_000_000, Paid: 2_000_000,
	}
}

func recentN(n int, amount domain.Rupiah, every time.Duration) []Recent {
	var rs []Recent
	for i := 1; i <= n; i++ {
		rs = append(rs, Recent{RefID: "R-old", Amount: amount, At: now.Add(-time.Duration(i) * every)})
	}
	return rs
}

func TestRules(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		name  string
		rule  RuleID
		hit   bool
		block bool
		edit  func(*Input)
	}{
		{"single above limit", RuleSingleLimit, true, false, func(in *Input) {
			in.Transfer.Amount, in.ObligationAmount, in.Settled = cfg.SingleLimit+1, 0, 0
		}},
		{"single at limit", RuleSingleLimit, false, false, func(in *Input) {
			in.Transfer.Amount, in.ObligationAmount, in.Settled = cfg.SingleLimit, 0, 0
		}},
		{"daily total above", RuleDailyTotal, true, false, func(in *Input) { in.PayeeTotalToday = cfg.DailyPayeeLimit - 999_999 }},
		{"daily total at limit", RuleDailyTotal, false, false, func(in *Input) { in.PayeeTotalToday = cfg.DailyPayeeLimit - 1_000_000 }},
		{"payee daily limit wins", RuleDailyTotal, true, false, func(in *Input) { in.Payee.DailyLimit = 1_500_000; in.PayeeTotalToday = 500_001 }},
		{"payee daily limit near miss", RuleDailyTotal, false, false, func(in *Input) { in.Payee.DailyLimit = 1_500_000; in.PayeeTotalToday = 500_000 }},
		{"velocity over", RuleVelocity, true, false, func(in *Input) { in.Recent = recentN(cfg.VelocityMax, 10_000, 5*time.Minute) }},
		{"velocity at max", RuleVelocity, false, false, func(in *Input) { in.Recent = recentN(cfg.VelocityMax-1, 10_000, 5*time.Minute) }},
		{"velocity outside window", RuleVelocity, false, false, func(in *Input) { in.Recent = recentN(cfg.VelocityMax, 10_000, 13*time.Minute) }},
		{"structuring", RuleStructuring, true, false, func(in *Input) {
			in.Transfer.Amount, in.ObligationAmount = 4_900_000, 4_900_000
			in.Settled, in.PaidForOrder = 0, 0
			in.Recent = recentN(2, 4_600_000, 5*time.Hour)
		}},
		{"structuring one too few", RuleStructuring, false, false, func(in *Input) {
			in.Transfer.Amount, in.ObligationAmount = 4_900_000, 4_900_000
			in.Settled, in.PaidForOrder = 0, 0
			in.Recent = append(recentN(1, 4_600_000, 5*time.Hour), Recent{Amount: 4_499_999, At: now.Add(-time.Hour)})
		}},
		{"structuring older than 24h", RuleStructuring, false, false, func(in *Input) {
			in.Transfer.Amount, in.ObligationAmount = 4_900_000, 4_900_000
			in.Settled, in.PaidForOrder = 0, 0
			in.Recent = recentN(2, 4_600_000, 12*time.Hour+time.Second)
		}},
		{"first payout", RuleFirstPayout, true, false, func(in *Input) { in.PriorPayouts = 0 }},
		{"second payout", RuleFirstPayout, false, false, func(in *Input) { in.PriorPayouts = 1 }},
		{"changed account", RuleAccountChanged, true, false, func(in *Input) { in.AccountKnown = false }},
		{"known account", RuleAccountChanged, false, false, func(in *Input) { in.AccountKnown = true }},
		{"holder mismatch", RuleNameMismatch, true, false, func(in *Input) { in.Payee.AccountHolder = "BUDI SANTOSO" }},
		{"holder with titles matches", RuleNameMismatch, false, false, func(in *Input) { in.Payee.AccountHolder = "Hj. SITI  AMINAH, S.E." }},
		{"holder one letter off matches", RuleNameMismatch, false, false, func(in *Input) { in.Payee.AccountHolder = "SITI AMINA" }},
		{"holder truncated bin part matches", RuleNameMismatch, false, false, func(in *Input) { in.Payee.AccountHolder = "SITI AMINAH BINTI SUPARMAN" }},
		{"bank said mismatch", RuleNameMismatch, true, false, func(in *Input) { in.Payee.AccountHolder = ""; in.Payee.Verification = domain.VerifyMismatch }},
		{"over obligation", RuleOverSettled, true, true, func(in *Input) { in.Transfer.Amount = 1_000_001 }},
		{"over settled", RuleOverSettled, true, true, func(in *Input) { in.PaidForOrder = 1_000_001 }},
		{"exactly settled", RuleOverSettled, false, false, func(in *Input) { in.PaidForOrder = 1_000_000 }},
		{"amount mismatch", RuleAmountMismatch, true, false, func(in *Input) { in.Paid = 1_999_999 }},
		{"amount equal", RuleAmountMismatch, false, false, func(in *Input) { in.Paid = 2_000_000 }},
		{"watchlist alias", RuleWatchlist, true, false, func(in *Input) {
			in.Payee.Name, in.Payee.AccountHolder = "Abu Bakar Baasyir", ""
			in.Watchlist = []WatchEntry{{Name: "Abu Bakar Ba'asyir", Aliases: []string{"Abu Bakar Bashir"}, BirthDate: "1938-08-17"}}
		}},
		{"watchlist near miss", RuleWatchlist, false, false, func(in *Input) {
			in.Payee.Name, in.Payee.AccountHolder = "Abu Bakar Santoso", ""
			in.Watchlist = []WatchEntry{{Name: "Abu Bakar Ba'asyir", Aliases: []string{"Abu Bakar Bashir"}}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			tc.edit(&in)
			var got *Hit
			for _, h := range Evaluate(cfg, in) {
				if h.Rule == tc.rule {
					h := h
					got = &h
				}
			}
			if (got != nil) != tc.hit {
				t.Fatalf("rule %s hit=%v, want %v (hits: %+v)", tc.rule, got != nil, tc.hit, Evaluate(cfg, in))
			}
			if got == nil {
				return
			}
			if got.Block != tc.block {
				t.Errorf("block=%v, want %v", got.Block, tc.block)
			}
			if got.ReasonID == "" || got.ReasonEN == "" || got.ReasonID == got.ReasonEN || len(got.Evidence) == 0 {
				t.Errorf("hit needs both reasons and evidence: %+v", got)
			}
		})
	}
}

func TestEveryRuleHasATitle(t *testing.T) {
	for _, r := range []RuleID{RuleSingleLimit, RuleDailyTotal, RuleVelocity, RuleStructuring, RuleFirstPayout,
		RuleAccountChanged, RuleNameMismatch, RuleOverSettled, RuleAmountMismatch, RuleWatchlist} {
		if id, en := Title(r); id == string(r) || en == string(r) || id == en {
			t.Errorf("rule %s has no titles", r)
		}
	}
}

func TestBaseFiresNothing(t *testing.T) {
	if hits := Evaluate(DefaultConfig(), base()); len(hits) != 0 {
		t.Fatalf("base input should be clean, got %+v", hits)
	}
}

func TestReasonsNeverShowFullAccount(t *testing.T) {
	in := base()
	in.PriorPayouts = 0
	for _, h := range Evaluate(DefaultConfig(), in) {
		if strings.Contains(h.ReasonID+h.ReasonEN+h.EvidenceString(), in.Payee.AccountNumber) {
			t.Fatalf("hit %s leaks the account number", h.Rule)
		}
	}
}

func TestNameTokens(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Bapak H. Ahmad Dahlan, S.E.", "ahmad dahlan"},
		{"  IBU   hj.  SITI  aminah ", "siti aminah"},
		{"Dr. Ir. Budi Santoso M.M.", "budi santoso"},
		{"M. Rizky", "muhammad rizky"},
		{"Mochammad Rizky", "muhammad rizky"},
		{"Ibu", "ibu"},
		{"Abu Bakar Ba'asyir", "abu bakar baasyir"},
		{"Siti binti Ahmad", "siti ahmad"},
	}
	for _, tc := range tests {
		if got := NormalizeName(tc.in); got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNameScore(t *testing.T) {
	tests := []struct {
		a, b   string
		lo, hi float64
	}{
		{"Siti Aminah", "AMINAH SITI", 1, 1},
		{"Siti Aminah", "Budi Santoso", 0, 0.5},
		{"Abu Bakar Baasyir", "Abu Bakar Bashir", 0.88, 1},
		{"", "x", 0, 0},
	}
	for _, tc := range tests {
		s := NameScore(tc.a, tc.b)
		if s < tc.lo || s > tc.hi {
			t.Errorf("NameScore(%q,%q) = %.3f, want in [%.2f,%.2f]", tc.a, tc.b, s, tc.lo, tc.hi)
		}
	}
}

// TestScoreThresholds puts the configured minimum exactly at a pair's score
// (hit) and just above it (near miss), for the watchlist and holder rules.
func TestScoreThresholds(t *testing.T) {
	t.Run("watchlist", func(t *testing.T) {
		in := base()
		// Not contained (basir is too far from baasyir), so only the score decides.
		in.Payee.Name, in.Payee.AccountHolder = "Abu Bakar Basir", ""
		in.Watchlist = []WatchEntry{{Name: "Abu Bakar Ba'asyir"}}
		score := NameScore(in.Payee.Name, "Abu Bakar Ba'asyir")
		if score <= 0.5 || score >= 1 {
			t.Fatalf("unexpected score %v", score)
		}
		cfg := DefaultConfig()
		cfg.WatchlistMinScore = score
		if !hasRule(Evaluate(cfg, in), RuleWatchlist) {
			t.Error("no hit at the threshold")
		}
		cfg.WatchlistMinScore = score + 0.001
		if hasRule(Evaluate(cfg, in), RuleWatchlist) {
			t.Error("hit just above the threshold")
		}
	})
	t.Run("holder", func(t *testing.T) {
		in := base()
		in.Payee.Name, in.Payee.AccountHolder = "Siti Aminah", "SITI AMINAR"
		score := NameScore(in.Payee.Name, in.Payee.AccountHolder)
		cfg := DefaultConfig()
		cfg.HolderMinScore = score
		if hasRule(Evaluate(cfg, in), RuleNameMismatch) {
			t.Error("mismatch at the threshold")
		}
		cfg.HolderMinScore = score + 0.001
		if !hasRule(Evaluate(cfg, in), RuleNameMismatch) {
			t.Error("no mismatch just above the threshold")
		}
	})
}

func hasRule(hs []Hit, r RuleID) bool {
	for _, h := range hs {
		if h.Rule == r {
			return true
		}
	}
	return false
}

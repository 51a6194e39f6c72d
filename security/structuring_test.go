package security

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/risk"
)

// TestStructuringUsesEngineLimit: the structuring rule looks just under the
// engine's own per-transfer limit (setting risk.SettingApprovalLimit), not a
// separate fixed amount; with no engine limit there is nothing to stay under.
func TestStructuringUsesEngineLimit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		limit  string // "" = setting absent
		amount domain.Rupiah
		want   bool
	}{
		{"just under the engine limit", "1000000", 950_000, true},
		{"at the engine limit (still sent automatically)", "1000000", 1_000_000, true},
		{"below the band", "1000000", 899_999, false},
		{"under the old fixed 5M, engine limit 1M", "1000000", 4_800_000, false},
		{"no engine limit", "", 4_800_000, false},
		{"engine limit 0 (no limit)", "0", 950_000, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			owner, _ := f.owner()
			cfg := risk.DefaultConfig()
			cfg.HoldFirstPayout = false
			cfg.SingleLimit = 0
			if err := f.svc.SetRiskConfig(f.ctx, owner, cfg); err != nil {
				t.Fatal(err)
			}
			if c.limit != "" {
				if err := f.db.Write(f.ctx, func(tx domain.Tx) error { return tx.SetSetting(risk.SettingApprovalLimit, c.limit) }); err != nil {
					t.Fatal(err)
				}
			}
			got, err := f.svc.GetRiskConfig(f.ctx, owner)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]domain.Rupiah{"": 0, "0": 0, "1000000": 1_000_000}[c.limit]; got.ApprovalLimit != want {
				t.Errorf("ApprovalLimit = %v, want the engine's %v", got.ApprovalLimit, want)
			}
			p := f.payee("Siti Aminah", "1234567890", "SITI AMINAH")
			var fl []domain.Flag
			for i := 1; i <= 3; i++ {
				ob := f.settled(fmt.Sprintf("o%d", i), p.ID, c.amount, c.amount)
				_, fl = f.assess(ob, fmt.Sprintf("R-%d", i), c.amount)
				f.clk.Add(2 * time.Hour)
			}
			if hit := strings.Contains(rules(fl), string(risk.RuleStructuring)); hit != c.want {
				t.Errorf("third transfer of %s with limit %q: flags %q, structuring hit %v, want %v", c.amount, c.limit, rules(fl), hit, c.want)
			}
		})
	}
}

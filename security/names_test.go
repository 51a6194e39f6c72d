package security

import (
	"errors"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/risk"
)

// TestUserNamesLookAlikesRefused: user names are stored NFKC; control,
// bidi-override and zero-width characters are refused; a new user whose
// name looks like an existing user's (a Cyrillic "а", other case, full-width
// letters) or like "engine" or "system" is refused.
func TestUserNamesLookAlikesRefused(t *testing.T) {
	f := newFixture(t)
	owner, _ := f.owner() // "sari"
	cases := []struct {
		name string
		want error
	}{
		{"sari\u200b", risk.ErrNameCharacters},       // zero-width space
		{"s\u200dari", risk.ErrNameCharacters},       // zero-width joiner
		{"sari\u202e", risk.ErrNameCharacters},       // right-to-left override
		{"\u2067sari\u2069", risk.ErrNameCharacters}, // right-to-left isolate
		{"sa\x00ri", risk.ErrNameCharacters},         // NUL
		{"sari\n", risk.ErrNameCharacters},           // control
		{"s\u0430ri", ErrNameTaken},                  // Cyrillic а
		{"SARI", ErrNameTaken},                       // case
		{"ｓａｒｉ", ErrNameTaken},                       // full-width
		{"engine\u200b", risk.ErrNameCharacters},     // reserved, with an invisible tail
		{"Engine", ErrNameTaken},                     // reserved
		{"\u0435ngine", ErrNameTaken},                // reserved, Cyrillic е
		{"system", ErrNameTaken},
	}
	for _, c := range cases {
		_, err := f.svc.AddUser(f.ctx, owner, c.name, domain.RoleStaff, "staff-password-1")
		if !errors.Is(err, c.want) || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("AddUser(%q) = %v, want %v", c.name, err, c.want)
		}
	}
	enr, err := f.svc.AddUser(f.ctx, owner, "Ｂｕｄｉ", domain.RoleStaff, "staff-password-1")
	if err != nil || enr.Name != "Budi" {
		t.Fatalf("full-width name: %q, %v; want it stored as \"Budi\"", enr.Name, err)
	}
}

// TestPayeeNamesCleanedAndLookAlikesFlagged: payee names are stored NFKC
// and invisible characters are refused; a payee whose name looks like an
// existing payee's but who is paid to another account is held for review
// before the first payout, with a look_alike flag naming the other payee.
func TestPayeeNamesCleanedAndLookAlikesFlagged(t *testing.T) {
	f := newFixture(t)
	f.owner()
	for _, bad := range []string{"Bu Ani\u200b", "Bu\u202eAni", "Bu\x00Ani"} {
		p := domain.Payee{Name: bad, Channel: "BCA", AccountNumber: "9990001112"}
		err := f.db.Write(f.ctx, func(tx domain.Tx) error { return tx.CreatePayee(&p) })
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("payee %q stored: %v", bad, err)
		}
	}
	f.payee("Bu Ani", "1234567890", "ANI")
	fake := f.payee("Bu \u0410ni", "5555666677", "ANI") // Cyrillic А, another account
	wide := f.payee("Ｂｕ Ａｎｉ", "1234567890", "ANI")      // full-width, same account: a duplicate
	if wide.Name != "Bu Ani" {
		t.Fatalf("full-width payee name stored as %q", wide.Name)
	}
	ob := f.settled("ORD-LA", fake.ID, 200000, 150000)
	a, flags := f.assess(ob, "R-LA-1", 150000)
	var hit *domain.Flag
	for i := range flags {
		if flags[i].Rule == string(risk.RuleLookAlike) {
			hit = &flags[i]
		}
	}
	if !a.Hold || a.Block || hit == nil || !strings.Contains(hit.Evidence, "#1 Bu Ani") {
		t.Fatalf("look-alike payee: hold=%v flags=%+v", a.Hold, flags)
	}
	for _, fl := range flags {
		if fl.Rule == string(risk.RuleLookAlike) && strings.Contains(fl.Evidence, "#3") {
			t.Errorf("a payee with the same account counted as a look-alike: %+v", fl)
		}
	}
}

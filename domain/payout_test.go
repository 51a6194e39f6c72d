package domain

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSplitExamples(t *testing.T) {
	rule := PayoutRule{Name: "batik", Shares: []Share{
		{Role: RoleGatewayFee, Fixed: 4500},
		{Role: RoleSeller, PayeeID: 7, BPS: 8000},
		{Role: RoleSupplier, PayeeID: 9, BPS: 333, Fixed: 1000},
	}}
	got, err := rule.Split(100001)
	if err != nil {
		t.Fatal(err)
	}
	want := []Portion{
		{Role: RoleGatewayFee, Amount: 4500},
		{Role: RoleSeller, PayeeID: 7, Amount: 80000},  // floor(100001*0.8)
		{Role: RoleSupplier, PayeeID: 9, Amount: 4330}, // 1000 + floor(100001*0.0333)
		{Role: RoleCommission, Amount: 100001 - 88830}, // the rest, rounding included
	}
	if len(got) != len(want) {
		t.Fatalf("Split = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("portion %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// Zero portions are dropped; an all-commission rule keeps everything.
	keep := PayoutRule{Name: "own"}
	got, err = keep.Split(5000)
	if err != nil || len(got) != 1 || got[0] != (Portion{Role: RoleCommission, Amount: 5000}) {
		t.Errorf("empty rule Split = %+v, %v", got, err)
	}
	got, err = rule.Split(0)
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Split(0) with a fixed fee = %+v, %v; want ErrInvalid (fee larger than amount)", got, err)
	}
}

func TestSplitRejects(t *testing.T) {
	tests := []struct {
		name   string
		rule   PayoutRule
		amount Rupiah
	}{
		{"negative amount", PayoutRule{}, -1},
		{"bps over 100%", PayoutRule{Shares: []Share{{Role: RoleSeller, PayeeID: 1, BPS: 10001}}}, 100},
		{"negative bps", PayoutRule{Shares: []Share{{Role: RoleSeller, PayeeID: 1, BPS: -1}}}, 100},
		{"negative fixed", PayoutRule{Shares: []Share{{Role: RoleGatewayFee, Fixed: -1}}}, 100},
		{"sum over 100%", PayoutRule{Shares: []Share{{Role: RoleSeller, PayeeID: 1, BPS: 6000}, {Role: RoleSupplier, PayeeID: 2, BPS: 4001}}}, 100},
		{"seller without payee", PayoutRule{Shares: []Share{{Role: RoleSeller, BPS: 100}}}, 100},
		{"unknown role", PayoutRule{Shares: []Share{{Role: "boss", BPS: 100}}}, 100},
		{"fixed over amount", PayoutRule{Shares: []Share{{Role: RoleSupplier, PayeeID: 1, Fixed: 101}}}, 100},
		{"fixed plus bps over amount", PayoutRule{Shares: []Share{{Role: RoleSeller, PayeeID: 1, BPS: 9000}, {Role: RoleGatewayFee, Fixed: 11}}}, 100},
	}
	for _, tt := range tests {
		got, err := tt.rule.Split(tt.amount)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Split = %+v, %v; want ErrInvalid", tt.name, got, err)
		}
	}
}

// TestSplitNeverCreatesOrLosesRupiah is the property test: over many random
// rules and amounts, the portions sum to the amount exactly, none is negative
// or zero, each share gets exactly fixed + floor(amount*bps/10000), the
// commission comes last, and the split is deterministic.
func TestSplitNeverCreatesOrLosesRupiah(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261122, 2))
	roles := []ShareRole{RoleSeller, RoleSupplier, RoleCommission, RoleGatewayFee}
	amounts := func() Rupiah {
		switch rng.IntN(4) {
		case 0:
			return Rupiah(rng.Int64N(1000)) // tiny: rounding dominates
		case 1:
			return Rupiah(rng.Int64N(10_000_000))
		case 2:
			return Rupiah(rng.Int64N(1 << 50))
		default:
			return Rupiah(math.MaxInt64 - rng.Int64N(1000)) // overflow edge
		}
	}
	const cases = 20000
	var splits, refused int
	for i := 0; i < cases; i++ {
		var rule PayoutRule
		rule.Name = "random"
		left := int64(10000)
		for n := rng.IntN(6); n > 0; n-- {
			s := Share{Role: roles[rng.IntN(len(roles))]}
			if s.Role.PaidOut() {
				s.PayeeID = 1 + rng.Int64N(20)
			}
			if left > 0 && rng.IntN(5) > 0 {
				s.BPS = rng.Int64N(left + 1)
				left -= s.BPS
			}
			if rng.IntN(3) == 0 {
				s.Fixed = Rupiah(rng.Int64N(20000))
			}
			rule.Shares = append(rule.Shares, s)
		}
		amount := amounts()
		got, err := rule.Split(amount)
		if err != nil {
			// The only allowed refusal: fixed amounts that do not fit.
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrOverflow) {
				t.Fatalf("case %d: Split(%d) of %+v: unexpected error %v", i, amount, rule, err)
			}
			var fixed Rupiah
			for _, s := range rule.Shares {
				fixed += s.Fixed
			}
			if fixed == 0 {
				t.Fatalf("case %d: rule without fixed amounts refused %d: %v", i, amount, err)
			}
			refused++
			continue
		}
		splits++
		var sum Rupiah
		for j, p := range got {
			if p.Amount <= 0 {
				t.Fatalf("case %d: portion %d is %d", i, j, p.Amount)
			}
			if p.Role == RoleCommission && j != len(got)-1 {
				t.Fatalf("case %d: commission portion not last: %+v", i, got)
			}
			var err error
			if sum, err = sum.Add(p.Amount); err != nil {
				t.Fatalf("case %d: portions overflow: %+v", i, got)
			}
		}
		if sum != amount {
			t.Fatalf("case %d: Split(%d) of %+v = %+v sums to %d (%+d rupiah)", i, amount, rule, got, sum, sum-amount)
		}
		// Each non-commission share is paid exactly what the rule says.
		k := 0
		for _, s := range rule.Shares {
			if s.Role == RoleCommission {
				continue
			}
			want := s.Fixed + Rupiah(mulBPSRef(int64(amount), s.BPS))
			if want == 0 {
				continue
			}
			if k >= len(got) || got[k].Role != s.Role || got[k].PayeeID != s.PayeeID || got[k].Amount != want {
				t.Fatalf("case %d: share %+v of %d: got portions %+v, want amount %d at %d", i, s, amount, got, want, k)
			}
			k++
		}
		again, _ := rule.Split(amount)
		if len(again) != len(got) {
			t.Fatalf("case %d: not deterministic", i)
		}
		for j := range got {
			if again[j] != got[j] {
				t.Fatalf("case %d: not deterministic", i)
			}
		}
		// The settlement posting built from it always balances.
		post := SettlementPosting("xendit", "payment:x", amount, got)
		if amount > 0 {
			if err := post.Validate(); err != nil {
				t.Fatalf("case %d: settlement posting: %v", i, err)
			}
		}
	}
	if splits < cases/2 {
		t.Fatalf("only %d of %d random cases split (%d refused): the generator is too strict to prove much", splits, cases, refused)
	}
}

// mulBPSRef is floor(a*bps/10000) computed with 128-bit arithmetic, an
// independent reference for mulBPS.
func mulBPSRef(a, bps int64) int64 {
	hi, lo := mul64(uint64(a), uint64(bps))
	q, _ := div128(hi, lo, 10000)
	return int64(q)
}

func mul64(a, b uint64) (hi, lo uint64) {
	const mask = 1<<32 - 1
	a0, a1 := a&mask, a>>32
	b0, b1 := b&mask, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1, w2 := t&mask, t>>32
	w1 += a0 * b1
	return a1*b1 + w2 + w1>>32, a * b
}

func div128(hi, lo, d uint64) (q, r uint64) {
	// Long division bit by bit; fine for a test.
	for i := 127; i >= 0; i-- {
		r <<= 1
		if i >= 64 {
			r |= (hi >> (i - 64)) & 1
		} else {
			r |= (lo >> i) & 1
		}
		if r >= d {
			r -= d
			if i < 64 {
				q |= 1 << i
			}
		}
	}
	return q, r
}

func TestMulBPS(t *testing.T) {
	for _, a := range []int64{0, 1, 9999, 10000, 10001, 123456789, math.MaxInt64, math.MaxInt64 - 1} {
		for _, bps := range []int64{0, 1, 333, 5000, 9999, 10000} {
			got, err := mulBPS(Rupiah(a), bps)
			if err != nil || int64(got) != mulBPSRef(a, bps) {
				t.Errorf("mulBPS(%d, %d) = %d, %v; want %d", a, bps, got, err, mulBPSRef(a, bps))
			}
		}
	}
	if _, err := mulBPS(1, 10001); !errors.Is(err, ErrInvalid) {
		t.Errorf("mulBPS(1, 10001) error = %v, want ErrInvalid", err)
	}
}

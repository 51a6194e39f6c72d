package domain

import (
	"errors"
	"math"
	"testing"
)

func TestPostingValidate(t *testing.T) {
	tests := []struct {
		name  string
		lines []PostingLine
		want  error
	}{
		{"balanced", []PostingLine{{"a", 100}, {"b", -60}, {"c", -40}}, nil},
		{"off by one", []PostingLine{{"a", 100}, {"b", -99}}, ErrUnbalanced},
		{"one line", []PostingLine{{"a", 0}}, ErrInvalid},
		{"no lines", nil, ErrInvalid},
		{"zero line", []PostingLine{{"a", 100}, {"b", -100}, {"c", 0}}, ErrInvalid},
		{"no account", []PostingLine{{"a", 100}, {"", -100}}, ErrInvalid},
		{"overflow", []PostingLine{{"a", math.MaxInt64}, {"b", 1}, {"c", math.MinInt64}}, ErrOverflow},
	}
	for _, tt := range tests {
		p := Posting{Ref: "test", Lines: tt.lines}
		err := p.Validate()
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSettlementAndPayoutPostings(t *testing.T) {
	rule := PayoutRule{Name: "r", Shares: []Share{
		{Role: RoleGatewayFee, Fixed: 4500},
		{Role: RoleSeller, PayeeID: 3, BPS: 7000},
		{Role: RoleSupplier, PayeeID: 4, BPS: 1500},
	}}
	portions, err := rule.Split(250_001)
	if err != nil {
		t.Fatal(err)
	}
	p := SettlementPosting("midtrans", "payment:INV-9", 250_001, portions)
	if err := p.Validate(); err != nil {
		t.Fatalf("settlement posting: %v", err)
	}
	bal := map[Account]Rupiah{}
	for _, l := range p.Lines {
		bal[l.Account] += l.Amount
	}
	want := map[Account]Rupiah{
		ClearingAccount("midtrans"): 250_001,
		AccountFees:                 -4500,
		PayableAccount(3):           -175_000,
		PayableAccount(4):           -37_500,
		AccountCommission:           -(250_001 - 4500 - 175_000 - 37_500),
	}
	for a, v := range want {
		if bal[a] != v {
			t.Errorf("balance %s = %d, want %d", a, bal[a], v)
		}
	}
	if len(bal) != len(want) {
		t.Errorf("accounts %v, want %v", bal, want)
	}

	tr := Transfer{RefID: "R1", PayeeID: 3, Channel: "xendit", Amount: 175_000}
	out, back := PayoutPosting(&tr, false), PayoutPosting(&tr, true)
	for _, q := range []Posting{out, back} {
		if err := q.Validate(); err != nil {
			t.Errorf("%s: %v", q.Memo, err)
		}
	}
	net := map[Account]Rupiah{}
	for _, q := range []Posting{p, out} {
		for _, l := range q.Lines {
			net[l.Account] += l.Amount
		}
	}
	if net[PayableAccount(3)] != 0 || net[PaidOutAccount("xendit")] != -175_000 {
		t.Errorf("after payout: payable %d, paid out %d", net[PayableAccount(3)], net[PaidOutAccount("xendit")])
	}
	for _, l := range back.Lines {
		net[l.Account] += l.Amount
	}
	if net[PayableAccount(3)] != -175_000 || net[PaidOutAccount("xendit")] != 0 {
		t.Errorf("after reversal: payable %d, paid out %d", net[PayableAccount(3)], net[PaidOutAccount("xendit")])
	}
	if out.Ref != "transfer:R1" {
		t.Errorf("payout ref %q", out.Ref)
	}
}

package domain

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckAccountNumberPerBank pins each bank's account-number rule: one
// number of a sourced length is accepted, and letters, a length outside the
// bank's range, and (for e-wallets) a number that is not a mobile number are
// refused with the problem named.
func TestCheckAccountNumberPerBank(t *testing.T) {
	tests := []struct {
		bank, in string
		want     string         // normalised, when accepted
		problem  AccountProblem // when refused
		min, max int
	}{
		// BCA: 10 digits (Xendit; Midtrans test account 0011223344).
		{bank: "BCA", in: "0611101146", want: "0611101146"},
		{bank: "BCA", in: "0611-101-146", want: "0611101146"},
		{bank: "BCA", in: "061 110 1146", want: "0611101146"},
		{bank: "BCA", in: "abc12", problem: AccountNotDigits},
		{bank: "BCA", in: "06111011", problem: AccountLength, min: 10, max: 10},
		{bank: "BCA", in: "06111011460", problem: AccountLength, min: 10, max: 10},
		{bank: "BCA", in: "", problem: AccountEmpty},
		{bank: "BCA", in: "  ", problem: AccountEmpty},
		// BRI: 13-17 (Xendit); 15 in the demo and Midtrans's test account.
		{bank: "BRI", in: "504101005099530", want: "504101005099530"},
		{bank: "BRI", in: "111112222233333", want: "111112222233333"},
		{bank: "BRI", in: "504101005", problem: AccountLength, min: 13, max: 17},
		{bank: "BRI", in: "5041010050995301234", problem: AccountLength, min: 13, max: 17},
		// BNI: 7-11 (Xendit); Midtrans's test account has 8.
		{bank: "BNI", in: "00010000", want: "00010000"},
		{bank: "BNI", in: "0001000012", want: "0001000012"},
		{bank: "BNI", in: "000100", problem: AccountLength, min: 7, max: 11},
		{bank: "BNI", in: "0001O000", problem: AccountNotDigits}, // a letter O
		// Mandiri: 12-17 (Xendit); 13 in the demo.
		{bank: "MANDIRI", in: "1380011819286", want: "1380011819286"},
		{bank: "mandiri", in: "1111222233333", want: "1111222233333"},
		{bank: "Bank Mandiri", in: "13800118192", problem: AccountLength, min: 12, max: 17},
		// Permata: 7-16 (Xendit).
		{bank: "PERMATA", in: "4111111111", want: "4111111111"},
		{bank: "PERMATA", in: "411111", problem: AccountLength, min: 7, max: 16},
		// BSI: 10 (Pikiran Rakyat).
		{bank: "BSI", in: "7123456789", want: "7123456789"},
		{bank: "BSI", in: "71234567890", problem: AccountLength, min: 10, max: 10},
		// CIMB Niaga: 12 (Midtrans test) to 13 (Pikiran Rakyat).
		{bank: "CIMB", in: "222233334444", want: "222233334444"},
		{bank: "CIMB", in: "7061234567891", want: "7061234567891"},
		{bank: "CIMB", in: "70612345678", problem: AccountLength, min: 12, max: 13},
		// Danamon: 10 (Pikiran Rakyat) to 12 (Midtrans test).
		{bank: "DANAMON", in: "111112222222", want: "111112222222"},
		{bank: "DANAMON", in: "3612345678", want: "3612345678"},
		{bank: "DANAMON", in: "361234567", problem: AccountLength, min: 10, max: 12},
		// BTN: 16 (Pikiran Rakyat).
		{bank: "BTN", in: "0012301500123456", want: "0012301500123456"},
		{bank: "BTN", in: "001230150012345", problem: AccountLength, min: 16, max: 16},
		// OCBC NISP: 12 (Pikiran Rakyat).
		{bank: "OCBC", in: "693810012345", want: "693810012345"},
		// Banks without a sourced length: the general 5-17 digits.
		{bank: "BJB", in: "0012345678100", want: "0012345678100"},
		{bank: "JAGO", in: "100012345678", want: "100012345678"},
		{bank: "SEABANK", in: "901234567890", want: "901234567890"},
		{bank: "SEABANK", in: "1234", problem: AccountLength, min: 5, max: 17},
		{bank: "JAGO", in: "12345678901234567890", problem: AccountLength, min: 5, max: 17},
		{bank: "BJB", in: "12-ab", problem: AccountNotDigits},
		// E-wallets: an Indonesian mobile number 08…, 10-13 digits.
		{bank: "GOPAY", in: "08123450000", want: "08123450000"},
		{bank: "GOPAY", in: "+62 812-3450-000", want: "08123450000"},
		{bank: "OVO", in: "6281234567890", want: "081234567890"},
		{bank: "DANA", in: "0812 3456 7890", want: "081234567890"},
		{bank: "SHOPEEPAY", in: "081234567", problem: AccountNotPhone, min: 10, max: 13},
		{bank: "LINKAJA", in: "0812345678901234", problem: AccountNotPhone, min: 10, max: 13},
		{bank: "GOPAY", in: "0211234567", problem: AccountNotPhone, min: 10, max: 13}, // a Jakarta landline
		{bank: "GOPAY", in: "0611101146x", problem: AccountNotPhone, min: 10, max: 13},
		{bank: "OVO", in: "", problem: AccountEmpty},
		// No bank chosen, or one Lunas does not pay to.
		{bank: "", in: "0611101146", problem: AccountUnknownBank},
		{bank: "PAYPAL", in: "0611101146", problem: AccountUnknownBank},
	}
	for _, tt := range tests {
		got, err := CheckAccountNumber(tt.bank, tt.in)
		if tt.problem == 0 {
			if err != nil || got != tt.want {
				t.Errorf("CheckAccountNumber(%q, %q) = %q, %v; want %q", tt.bank, tt.in, got, err, tt.want)
			}
			continue
		}
		var ae *AccountError
		if !errors.As(err, &ae) || !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckAccountNumber(%q, %q) = %q, %v; want an AccountError matching ErrInvalid", tt.bank, tt.in, got, err)
			continue
		}
		if ae.Problem != tt.problem || ae.Min != tt.min || ae.Max != tt.max {
			t.Errorf("CheckAccountNumber(%q, %q): problem %d %d-%d, want %d %d-%d", tt.bank, tt.in, ae.Problem, ae.Min, ae.Max, tt.problem, tt.min, tt.max)
		}
		if !strings.HasPrefix(err.Error(), "account number: ") {
			t.Errorf("%q: error %q does not name the field", tt.in, err)
		}
	}
}

// TestEveryBankHasARule: every bank has a length range inside the general
// one, every e-wallet none, and the codes are unique.
func TestEveryBankHasARule(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range Banks() {
		if seen[b.Code] {
			t.Errorf("%s listed twice", b.Code)
		}
		seen[b.Code] = true
		if b.Wallet != (b.Min == 0 && b.Max == 0) {
			t.Errorf("%s: wallet %v with lengths %d-%d", b.Code, b.Wallet, b.Min, b.Max)
		}
		if !b.Wallet && (b.Min < generalMinDigits || b.Max > generalMaxDigits || b.Min > b.Max) {
			t.Errorf("%s: lengths %d-%d outside %d-%d", b.Code, b.Min, b.Max, generalMinDigits, generalMaxDigits)
		}
		if b.Name == "" || ChannelName(b.Code) != b.Name {
			t.Errorf("%s: name %q, ChannelName %q", b.Code, b.Name, ChannelName(b.Code))
		}
	}
}

func TestChannelName(t *testing.T) {
	for in, want := range map[string]string{
		"iris": "Midtrans Iris", "xendit": "Xendit", "h2h:sandbox": "H2H sandbox", "doku": "DOKU",
		"ipaymu": "iPaymu", "midtrans": "Midtrans", "BCA": "BCA", "GOPAY": "GoPay", "mystery": "mystery",
	} {
		if got := ChannelName(in); got != want {
			t.Errorf("ChannelName(%q) = %q, want %q", in, got, want)
		}
	}
}

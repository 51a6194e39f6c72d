package domain

import (
	"fmt"
	"strings"
)

// BankInfo says what a payout destination's account numbers look like. A
// bank account number is digits only, of the bank's length; an e-wallet is
// paid to its owner's Indonesian mobile number.
type BankInfo struct {
	Code     string // the channel code payees carry (BCA, MANDIRI, GOPAY, ...)
	Name     string // how people call it
	Wallet   bool   // an e-wallet: the account is a mobile number 08…
	Min, Max int    // digits a bank account number has
}

// Account-number lengths and their sources. Where the sources differ, the
// range covers all of them (a real account must never be refused); where no
// source was found the bank gets the general range.
//
//   - Xendit, "Payouts Indonesia" (docsv2.xendit.co/docs/payouts-indonesia):
//     BCA 10, BRI 13-17, BNI 7-11, Mandiri 12-17, Permata 7-16.
//   - Midtrans Iris sandbox test accounts (docs.midtrans.com/reference/
//     testing-account-numbers): BNI 00010000 (8), Danamon 12, CIMB 12,
//     Permata 10, BRI 15, Mandiri 13, BCA 10, GoPay 08123450000.
//   - Pikiran Rakyat, "Begini Cara Mengetahui Bank dari Nomor Rekening"
//     (xcloud.id mirror): BSI 10, Danamon 10, CIMB Niaga 13, BTN 16, OCBC
//     NISP 12, Bukopin 10, Muamalat 10.
//   - General range 5-17: Worldpay's Indonesian account verification takes
//     5-16 digits (developer.worldpay.com/products/account-verifications/
//     coverage/indonesia); Xendit's Mandiri and BRI go to 17.
const (
	generalMinDigits = 5
	generalMaxDigits = 17
)

var banks = []BankInfo{
	{Code: "BCA", Name: "BCA", Min: 10, Max: 10},
	{Code: "BRI", Name: "BRI", Min: 13, Max: 17},
	{Code: "BNI", Name: "BNI", Min: 7, Max: 11},
	{Code: "MANDIRI", Name: "Mandiri", Min: 12, Max: 17},
	{Code: "BSI", Name: "BSI (Syariah Indonesia)", Min: 10, Max: 10},
	{Code: "CIMB", Name: "CIMB Niaga", Min: 12, Max: 13},
	{Code: "PERMATA", Name: "Permata", Min: 7, Max: 16},
	{Code: "DANAMON", Name: "Danamon", Min: 10, Max: 12},
	{Code: "BTN", Name: "BTN", Min: 16, Max: 16},
	{Code: "OCBC", Name: "OCBC NISP", Min: 12, Max: 12},
	{Code: "BJB", Name: "BJB", Min: generalMinDigits, Max: generalMaxDigits},
	{Code: "JAGO", Name: "Bank Jago", Min: generalMinDigits, Max: generalMaxDigits},
	{Code: "SEABANK", Name: "SeaBank", Min: generalMinDigits, Max: generalMaxDigits},
	{Code: "MEGA", Name: "Bank Mega", Min: generalMinDigits, Max: generalMaxDigits},
	{Code: "PANIN", Name: "Panin", Min: generalMinDigits, Max: generalMaxDigits},
	{Code: "MAYBANK", Name: "Maybank", Min: generalMinDigits, Max: generalMaxDigits},
	{Code: "BTPN", Name: "BTPN", Min: generalMinDigits, Max: generalMaxDigits},
	{Code: "GOPAY", Name: "GoPay", Wallet: true},
	{Code: "OVO", Name: "OVO", Wallet: true},
	{Code: "DANA", Name: "DANA", Wallet: true},
	{Code: "SHOPEEPAY", Name: "ShopeePay", Wallet: true},
	{Code: "LINKAJA", Name: "LinkAja", Wallet: true},
}

// Banks lists the banks and e-wallets payouts go to, banks first.
func Banks() []BankInfo { return append([]BankInfo(nil), banks...) }

// Bank looks a channel code up ("bca" and "Bank BCA" find BCA).
func Bank(code string) (BankInfo, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	c = strings.TrimSpace(strings.TrimPrefix(c, "BANK "))
	for _, b := range banks {
		if b.Code == c {
			return b, true
		}
	}
	return BankInfo{}, false
}

// Mobile numbers e-wallets are paid to: 08 and 8 to 11 more digits
// (Indonesian mobile numbers are 10 to 13 digits written from 0).
const (
	phoneMinDigits = 10
	phoneMaxDigits = 13
)

// AccountProblem is what is wrong with an account number.
type AccountProblem int

// Account problems.
const (
	AccountEmpty       AccountProblem = iota + 1 // nothing typed
	AccountUnknownBank                           // no bank chosen, or one Lunas does not pay to
	AccountNotDigits                             // a bank account with letters or signs
	AccountLength                                // digits, but not the bank's length
	AccountNotPhone                              // an e-wallet that is not a mobile number 08…
)

// AccountError explains why an account number was refused. It matches
// ErrInvalid.
type AccountError struct {
	Bank     string // the channel code
	Problem  AccountProblem
	Digits   int // digits typed (AccountLength, AccountNotPhone)
	Min, Max int // the lengths allowed (AccountLength, AccountNotPhone)
}

// Error implements error (for logs; people get the desktop's words).
func (e *AccountError) Error() string {
	switch e.Problem {
	case AccountEmpty:
		return "account number: required"
	case AccountUnknownBank:
		return fmt.Sprintf("account number: unknown bank or e-wallet %q", e.Bank)
	case AccountNotDigits:
		return fmt.Sprintf("account number: a %s account number has digits only", e.Bank)
	case AccountLength:
		return fmt.Sprintf("account number: a %s account number has %s digits, not %d", e.Bank, lengthText(e.Min, e.Max), e.Digits)
	default:
		return fmt.Sprintf("account number: a %s account is a mobile number 08… of %s digits", e.Bank, lengthText(e.Min, e.Max))
	}
}

// Is makes every AccountError match ErrInvalid.
func (e *AccountError) Is(target error) bool { return target == ErrInvalid }

func lengthText(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// CheckAccountNumber checks an account number for a bank or e-wallet and
// returns it the way gateways take it: spaces, dots and dashes removed; an
// e-wallet's mobile number written from 0 ("+62 812-3450-000" is
// "08123450000"). A bank account number is digits only, of the bank's
// length; an e-wallet's is an Indonesian mobile number.
func CheckAccountNumber(bank, number string) (string, error) {
	b, ok := Bank(bank)
	if !ok {
		return "", &AccountError{Bank: bank, Problem: AccountUnknownBank}
	}
	s := strings.NewReplacer(" ", "", "-", "", ".", "", "\u00a0", "").Replace(strings.TrimSpace(number))
	if s == "" {
		return "", &AccountError{Bank: b.Code, Problem: AccountEmpty}
	}
	if b.Wallet {
		switch {
		case strings.HasPrefix(s, "+62"):
			s = "0" + s[3:]
		case strings.HasPrefix(s, "62"):
			s = "0" + s[2:]
		}
		if !allDigits(s) || !strings.HasPrefix(s, "08") || len(s) < phoneMinDigits || len(s) > phoneMaxDigits {
			return "", &AccountError{Bank: b.Code, Problem: AccountNotPhone, Digits: len(s), Min: phoneMinDigits, Max: phoneMaxDigits}
		}
		return s, nil
	}
	if !allDigits(s) {
		return "", &AccountError{Bank: b.Code, Problem: AccountNotDigits}
	}
	if len(s) < b.Min || len(s) > b.Max {
		return "", &AccountError{Bank: b.Code, Problem: AccountLength, Digits: len(s), Min: b.Min, Max: b.Max}
	}
	return s, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

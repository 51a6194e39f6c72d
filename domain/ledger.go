package domain

import (
	"fmt"
	"strconv"
	"time"
)

// Account is a ledger account code. Per-payee accounts carry the payee id.
type Account string

// Fixed ledger accounts. Debits are positive, credits negative.
const (
	AccountCommission Account = "commission" // shop income
	AccountFees       Account = "fees"       // gateway fees kept back
)

// ClearingAccount holds settled money at a payment gateway until it is paid out.
func ClearingAccount(gateway string) Account { return Account("clearing:" + gateway) }

// PayableAccount is what the shop owes one payee.
func PayableAccount(payeeID int64) Account {
	return Account("payable:" + strconv.FormatInt(payeeID, 10))
}

// PaidOutAccount records money that left through a payout channel.
func PaidOutAccount(channel string) Account { return Account("paidout:" + channel) }

// PostingLine is one leg of a posting: positive is a debit, negative a credit.
type PostingLine struct {
	Account Account
	Amount  Rupiah
}

// Posting is a balanced double-entry ledger entry.
type Posting struct {
	ID        int64
	Ref       string // what caused it: "payment:<external id>", "transfer:<refid>"
	Memo      string
	Lines     []PostingLine
	CreatedAt time.Time
}

// Validate returns ErrUnbalanced unless the lines sum to zero, and ErrInvalid
// for fewer than two lines or a zero line.
func (p *Posting) Validate() error {
	if len(p.Lines) < 2 {
		return Invalid("lines", "a posting needs at least two lines")
	}
	var sum Rupiah
	for _, l := range p.Lines {
		if l.Amount == 0 {
			return Invalid("lines", "a posting line cannot be zero")
		}
		if l.Account == "" {
			return Invalid("lines", "a posting line needs an account")
		}
		var err error
		if sum, err = sum.Add(l.Amount); err != nil {
			return err
		}
	}
	if sum != 0 {
		return fmt.Errorf("%s is off by %s: %w", p.Ref, sum, ErrUnbalanced)
	}
	return nil
}

// SettlementPosting books a settled payment: the gateway clearing account is
// debited with the whole amount and each portion is credited to its account.
func SettlementPosting(gateway, ref string, amount Rupiah, portions []Portion) Posting {
	p := Posting{Ref: ref, Memo: "payment settled"}
	p.Lines = append(p.Lines, PostingLine{Account: ClearingAccount(gateway), Amount: amount})
	for _, pt := range portions {
		var acct Account
		switch pt.Role {
		case RoleCommission:
			acct = AccountCommission
		case RoleGatewayFee:
			acct = AccountFees
		default:
			acct = PayableAccount(pt.PayeeID)
		}
		p.Lines = append(p.Lines, PostingLine{Account: acct, Amount: -pt.Amount})
	}
	return p
}

// PayoutPosting books a succeeded transfer: the payable is cleared against
// the channel's paid-out account. A reversal books the opposite.
func PayoutPosting(t *Transfer, reversal bool) Posting {
	amt := t.Amount
	memo := "transfer succeeded"
	if reversal {
		amt, memo = -amt, "transfer reversed"
	}
	return Posting{
		Ref:  "transfer:" + t.RefID,
		Memo: memo,
		Lines: []PostingLine{
			{Account: PayableAccount(t.PayeeID), Amount: amt},
			{Account: PaidOutAccount(t.Channel), Amount: -amt},
		},
	}
}

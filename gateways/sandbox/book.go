package sandbox

import (
	"sort"
	"time"

	"lunas/domain"
)

// Payout is one entry of the payout book: money the sandbox actually sent to
// a payee under a REFID on a channel. Count above 1 means the same REFID was
// paid more than once, which must never happen.
type Payout struct {
	Channel  string        `json:"channel"` // "xendit", "iris", "h2h"
	RefID    string        `json:"refid"`
	Account  string        `json:"account"`
	Amount   domain.Rupiah `json:"amount"` // total paid under this REFID
	Count    int           `json:"count"`
	Reversed int           `json:"reversed"` // how many of the payments came back
	At       time.Time     `json:"at"`       // first payment
}

type bookKey struct{ channel, refid string }

// recordPaid books money reaching a payee. Call it with s.mu held exactly
// when a payout becomes successful.
func (s *Server) recordPaid(channel, refid, account string, amount domain.Rupiah) {
	k := bookKey{channel, refid}
	p := s.book[k]
	if p == nil {
		p = &Payout{Channel: channel, RefID: refid, Account: account, At: s.now()}
		s.book[k] = p
		s.bookSeq = append(s.bookSeq, k)
		if len(s.bookSeq) > s.cfg.MaxObjects {
			delete(s.book, s.bookSeq[0])
			s.bookSeq = s.bookSeq[1:]
		}
	}
	p.Count++
	p.Amount += amount
}

// recordReversed books money coming back from a payee. Call with s.mu held.
func (s *Server) recordReversed(channel, refid string) {
	if p := s.book[bookKey{channel, refid}]; p != nil {
		p.Reversed++
	}
}

// Paid returns the payout book, oldest first, after applying due status
// changes.
func (s *Server) Paid() []Payout {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	out := make([]Payout, 0, len(s.book))
	for _, k := range s.bookSeq {
		if p := s.book[k]; p != nil {
			out = append(out, *p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// PaidCount returns how many times refid was paid on channel.
func (s *Server) PaidCount(channel, refid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	if p := s.book[bookKey{channel, refid}]; p != nil {
		return p.Count
	}
	return 0
}

// balance returns channel's balance, with s.mu held.
func (s *Server) balance(channel string) domain.Rupiah {
	b, ok := s.balances[channel]
	if !ok {
		b = s.cfg.StartBalance
		s.balances[channel] = b
	}
	return b
}

// debit takes amount from channel's balance if it is there. Call with s.mu held.
func (s *Server) debit(channel string, amount domain.Rupiah) bool {
	b := s.balance(channel)
	if amount > b {
		return false
	}
	s.balances[channel] = b - amount
	return true
}

// credit returns amount to channel's balance. Call with s.mu held.
func (s *Server) credit(channel string, amount domain.Rupiah) {
	s.balances[channel] = s.balance(channel) + amount
}

// Balance returns the channel's balance ("xendit", "iris", "h2h").
func (s *Server) Balance(channel string) domain.Rupiah {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	return s.balance(channel)
}

// SetBalance sets the channel's balance.
func (s *Server) SetBalance(channel string, amount domain.Rupiah) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balances[channel] = amount
}

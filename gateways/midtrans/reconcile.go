package midtrans

// Iris statements for reconciliation (reports engineer, additive).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// IrisStatement is one account movement from GET /api/v1/statements.
type IrisStatement struct {
	Account     string     `json:"account"`
	Type        string     `json:"type"` // Topup, Payout, Fee, Refund
	Amount      wireString `json:"amount"`
	Status      string     `json:"status"` // credit or debit
	CreatedAt   string     `json:"created_at"`
	ReferenceNo string     `json:"reference_no"`
}

// ParseIrisStatements reads a statements reply: a bare array, or an object
// holding it under "statements" or "data".
func ParseIrisStatements(body []byte) ([]IrisStatement, error) {
	var list []IrisStatement
	if err := json.Unmarshal(body, &list); err == nil {
		return list, nil
	}
	var wrapped struct {
		Statements []IrisStatement `json:"statements"`
		Data       []IrisStatement `json:"data"`
	}
	if err := json.Unmarshal(body, &wrapped); err != nil {
		return nil, fmt.Errorf("%w: iris statements: %v", ErrUnparseable, err)
	}
	if wrapped.Statements != nil {
		return wrapped.Statements, nil
	}
	return wrapped.Data, nil
}

// irisStatementDays is how far back Iris serves statements ("Iris only
// provide one months data", Iris docs, Transaction History).
const irisStatementDays = 30

var irisZone = time.FixedZone("WIB", 7*3600)

// statements reads Iris's account movements for [from, to), days in WIB.
func (it *Iris) statements(ctx context.Context, from, to time.Time) ([]IrisStatement, error) {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from_date", from.In(irisZone).Format("2006-01-02"))
	}
	if !to.IsZero() {
		q.Set("to_date", to.Add(-time.Nanosecond).In(irisZone).Format("2006-01-02"))
	}
	resp, err := it.c.Do(ctx, gateways.Call{Op: "iris statements", Path: "/api/v1/statements", Query: q, Auth: it.creator})
	if err != nil {
		return nil, err
	}
	return ParseIrisStatements(resp.Body)
}

// detail reads one payout's details and remembers whose REFID its notes
// carry (notes never change), so later statement searches skip it.
func (it *Iris) detail(ctx context.Context, referenceNo string) (refID string, body []byte, err error) {
	d, err := it.c.Do(ctx, gateways.Call{Op: "iris get payout", Path: "/api/v1/payouts/" + url.PathEscape(referenceNo), Auth: it.creator})
	if err != nil {
		return "", nil, err
	}
	var detail IrisPayoutDetail
	if err := json.Unmarshal(d.Body, &detail); err != nil {
		return "", nil, fmt.Errorf("%w: iris payout %s: %v", ErrUnparseable, referenceNo, err)
	}
	refID, _, _ = strings.Cut(strings.TrimSpace(detail.Notes), " ")
	it.notesMu.Lock()
	it.notes[referenceNo] = refID
	it.notesMu.Unlock()
	return refID, d.Body, nil
}

// noteOf is the REFID a reference_no is known to carry, from this
// process's reads or the book.
func (it *Iris) noteOf(referenceNo string) (string, bool) {
	it.notesMu.Lock()
	r, ok := it.notes[referenceNo]
	it.notesMu.Unlock()
	if ok {
		return r, true
	}
	if l, ok := it.book.(refLookup); ok {
		return l.RefIDFor(referenceNo)
	}
	return "", false
}

// findInStatements looks refID up in Iris's statements from the day before
// firstSent (WIB) to today: the reference_no of the one payout whose notes
// carry it, "" when there is none. Two payouts under one REFID are
// ambiguous (paid twice) and an error; so is a first send older than the
// statements Iris serves, where "none" would not be an answer.
func (it *Iris) findInStatements(ctx context.Context, refID string, firstSent time.Time) (string, error) {
	now := it.now()
	from := firstSent.Add(-24 * time.Hour)
	if firstSent.IsZero() || now.Sub(from) > irisStatementDays*24*time.Hour {
		return "", fmt.Errorf("%w: the first send is older than the statements Iris serves", ErrReferenceUnknown)
	}
	list, err := it.statements(ctx, from, now.Add(24*time.Hour))
	if err != nil {
		return "", err
	}
	var found []string
	seen := map[string]bool{}
	for _, st := range list {
		if !strings.EqualFold(st.Type, "Payout") || st.ReferenceNo == "" || seen[st.ReferenceNo] {
			continue
		}
		seen[st.ReferenceNo] = true
		owner, ok := it.noteOf(st.ReferenceNo)
		if !ok {
			if owner, _, err = it.detail(ctx, st.ReferenceNo); err != nil {
				return "", err
			}
		}
		if owner == refID {
			found = append(found, st.ReferenceNo)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("iris: %d payouts carry REFID %s (%s): %w", len(found), refID, strings.Join(found, ", "), gateways.ErrAmbiguous)
}

// ListPayouts lists the payouts Iris debited in [from, to) from its
// statements, each read back by reference_no so that its REFID (the first
// word of its notes), amount and status are Iris's own. Days are sent in WIB.
func (it *Iris) ListPayouts(ctx context.Context, from, to time.Time) ([]domain.PayoutResult, error) {
	list, err := it.statements(ctx, from, to)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []domain.PayoutResult
	for _, st := range list {
		if !strings.EqualFold(st.Type, "Payout") || st.ReferenceNo == "" || seen[st.ReferenceNo] {
			continue
		}
		seen[st.ReferenceNo] = true
		refID, body, err := it.detail(ctx, st.ReferenceNo)
		if err != nil {
			return out, err
		}
		res, err := ParseIrisPayout(body, refID, st.ReferenceNo)
		if err != nil {
			return out, err
		}
		if res.At.IsZero() {
			res.At = parseIrisTime(st.CreatedAt)
		}
		out = append(out, res)
	}
	return out, nil
}

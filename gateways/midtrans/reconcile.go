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

// ListPayouts lists the payouts Iris debited in [from, to) from its
// statements, each read back by reference_no so that its REFID (the first
// word of its notes), amount and status are Iris's own. Days are sent in WIB.
func (it *Iris) ListPayouts(ctx context.Context, from, to time.Time) ([]domain.PayoutResult, error) {
	wib := time.FixedZone("WIB", 7*3600)
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from_date", from.In(wib).Format("2006-01-02"))
	}
	if !to.IsZero() {
		q.Set("to_date", to.Add(-time.Nanosecond).In(wib).Format("2006-01-02"))
	}
	resp, err := it.c.Do(ctx, gateways.Call{Op: "iris statements", Path: "/api/v1/statements", Query: q, Auth: it.creator})
	if err != nil {
		return nil, err
	}
	list, err := ParseIrisStatements(resp.Body)
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
		d, err := it.c.Do(ctx, gateways.Call{Op: "iris get payout", Path: "/api/v1/payouts/" + url.PathEscape(st.ReferenceNo), Auth: it.creator})
		if err != nil {
			return out, err
		}
		var detail IrisPayoutDetail
		if err := json.Unmarshal(d.Body, &detail); err != nil {
			return out, fmt.Errorf("%w: iris payout %s: %v", ErrUnparseable, st.ReferenceNo, err)
		}
		refID, _, _ := strings.Cut(strings.TrimSpace(detail.Notes), " ")
		res, err := ParseIrisPayout(d.Body, refID, st.ReferenceNo)
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

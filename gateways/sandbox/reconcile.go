package sandbox

import (
	"net/http"
	"strconv"
	"time"
)

// Iris statements for reconciliation (reports engineer, additive):
//
//	GET /iris/api/v1/statements?from_date=YYYY-MM-DD&to_date=YYYY-MM-DD
//
// returns the account movements of the period as Iris documents them
// (reference §2.4): one "Payout" debit per payout created, and a "Refund"
// credit for each payout that failed after its money left. Dates are
// inclusive days in WIB; a missing date leaves that side open.
func (s *Server) mountReconcile(mux *http.ServeMux) {
	c := s.cfg.Credentials
	either := []string{c.IrisCreatorKey, c.IrisApproverKey}
	s.route(mux, "GET /iris/api/v1/statements", "iris.statements", s.irisAuth(either, s.irisStatements))
}

func (s *Server) irisStatements(w http.ResponseWriter, r *http.Request) {
	wib := time.FixedZone("WIB", 7*3600)
	var from, to time.Time
	for _, p := range []struct {
		name string
		t    *time.Time
		add  int
	}{{"from_date", &from, 0}, {"to_date", &to, 1}} {
		v := r.URL.Query().Get(p.name)
		if v == "" {
			continue
		}
		d, err := time.ParseInLocation("2006-01-02", v, wib)
		if err != nil {
			irisErr(w, 400, "An error occurred", map[string][]string{p.name: {"is not a valid date"}})
			return
		}
		*p.t = d.AddDate(0, 0, p.add)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	ir := s.iris()
	out := []map[string]string{}
	for _, ref := range ir.order {
		p := ir.payouts[ref]
		if p == nil || (!from.IsZero() && p.Created.Before(from)) || (!to.IsZero() && !p.Created.Before(to)) {
			continue
		}
		amt := strconv.FormatInt(int64(p.Amount), 10) + ".00"
		st := p.tl.Current().Status
		if st == "queued" || st == "rejected" {
			continue // no money moved
		}
		out = append(out, map[string]string{"account": "lunas-sandbox", "type": "Payout", "amount": amt,
			"status": "debit", "created_at": p.Created.UTC().Format(time.RFC3339), "reference_no": p.Ref})
		if st == "failed" {
			out = append(out, map[string]string{"account": "lunas-sandbox", "type": "Refund", "amount": amt,
				"status": "credit", "created_at": p.tl.Changed().UTC().Format(time.RFC3339), "reference_no": p.Ref})
		}
	}
	writeJSON(w, 200, out)
}

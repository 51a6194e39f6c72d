package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
)

// Iris in the sandbox, under /iris/api/v1 (IrisURL = base + "/iris").
// Endpoint names for faults: "iris.payout.create", "iris.payout.approve",
// "iris.payout.reject", "iris.payout.get", "iris.balance",
// "iris.account_validation". The channel name in the payout book is "iris";
// the REFID is the first word of notes.
//
// Statuses: queued -> approved -> processed -> completed, or failed (test
// accounts below, or too little balance at approval); queued -> rejected;
// completed -> failed after a reversal (bank refund). X-Idempotency-Key is
// remembered until Config.KeyPurge forgets it (default: the first midnight
// UTC): the same key and body give the original answer, a different body
// gives HTTP 409 "idempotency-key is not unique" (the text is documented at
// docs.midtrans.com/reference/https-header; the HTTP code is not, reference
// §8 item 6, and 409 is our assumption). Once the key is forgotten, the same
// request creates a new payout, which is exactly the danger Lunas guards
// against.

// IrisTestAccount is a sandbox beneficiary account.
type IrisTestAccount struct {
	Bank, Holder string
	FailCode     string // payout ends failed with this error code
	Stuck        bool   // payout stays processed
}

// IrisTestAccounts are the documented sandbox accounts (reference §2.4) and
// the sandbox's own failure accounts (Iris documents none).
var IrisTestAccounts = map[string]IrisTestAccount{
	"1380011819286":   {Bank: "mandiri", Holder: "SANDBOX MANDIRI"},
	"00010000":        {Bank: "bni", Holder: "SANDBOX BNI"},
	"504101005099530": {Bank: "bri", Holder: "SANDBOX BRI"},
	"0611101146":      {Bank: "bca", Holder: "SANDBOX BCA"},
	"000001137298":    {Bank: "danamon", Holder: "SANDBOX DANAMON"},
	"4111911431":      {Bank: "permata", Holder: "SANDBOX PERMATA"},
	"800057357100":    {Bank: "cimb", Holder: "SANDBOX CIMB"},
	"08123450000":     {Bank: "gopay", Holder: "SANDBOX GOPAY"},
	"9990000001":      {Holder: "SANDBOX GAGAL NAMA", FailCode: "001"},
	"9990000005":      {Holder: "SANDBOX BANK TIMEOUT", FailCode: "005"},
	"9990000009":      {Holder: "SANDBOX TERTAHAN", Stuck: true},
}

// IrisInvalidAccount is the account that account validation reports as not existing.
const IrisInvalidAccount = "0000000000"

var irisBanks = map[string]string{
	"bca": "Bank Central Asia", "mandiri": "Bank Mandiri", "bni": "Bank Negara Indonesia",
	"bri": "Bank Rakyat Indonesia", "permata": "Bank Permata", "cimb": "Bank CIMB Niaga",
	"danamon": "Bank Danamon", "bsi": "Bank Syariah Indonesia", "gopay": "GoPay", "ovo": "OVO",
	"dana": "DANA", "shopeepay": "ShopeePay",
}

var irisErrorMessages = map[string]string{
	"001": "Invalid beneficiary name", "005": "Bank timeout", "016": "Merchant balance is not enough",
}

type irisKey struct {
	hash    [32]byte
	resp    []byte
	created time.Time
}

type irisPayout struct {
	s                                 *Server
	Ref                               string
	Name, Account, Bank, Email, Notes string
	Amount                            domain.Rupiah
	Created                           time.Time
	tl                                *Timeline
	debited, reverse                  bool
}

type irisState struct {
	payouts map[string]*irisPayout
	order   []string
	keys    map[string]*irisKey
}

func (s *Server) iris() *irisState { return s.mt().iris }

func (s *Server) mountIris(mux *http.ServeMux, st *midtransState) {
	st.iris = &irisState{payouts: map[string]*irisPayout{}, keys: map[string]*irisKey{}}
	s.errw["iris"] = func(w http.ResponseWriter, status int, code, msg string) {
		writeJSON(w, status, map[string]string{"error_message": msg, "errors": msg})
	}
	c := s.cfg.Credentials
	creator, approver, either := []string{c.IrisCreatorKey}, []string{c.IrisApproverKey}, []string{c.IrisCreatorKey, c.IrisApproverKey}
	s.route(mux, "POST /iris/api/v1/payouts", "iris.payout.create", s.irisAuth(creator, s.irisCreate))
	s.route(mux, "POST /iris/api/v1/payouts/approve", "iris.payout.approve", s.irisAuth(approver, s.irisApprove))
	s.route(mux, "POST /iris/api/v1/payouts/reject", "iris.payout.reject", s.irisAuth(approver, s.irisReject))
	s.route(mux, "GET /iris/api/v1/payouts/{ref}", "iris.payout.get", s.irisAuth(either, s.irisGet))
	s.route(mux, "GET /iris/api/v1/balance", "iris.balance", s.irisAuth(either, s.irisBalance))
	s.route(mux, "GET /iris/api/v1/account_validation", "iris.account_validation", s.irisAuth(either, s.irisValidate))
}

func (s *Server) irisAuth(keys []string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, _, ok := r.BasicAuth()
		good := false
		for _, k := range keys {
			if ok && k != "" && subtle.ConstantTimeCompare([]byte(user), []byte(k)) == 1 {
				good = true
			}
		}
		if !good {
			// The documented text (iris_access_denied_doc.http); the status
			// code is our assumption.
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "HTTP Basic: Access denied")
			return
		}
		h(w, r)
	}
}

func irisErr(w http.ResponseWriter, status int, msg string, errs any) {
	writeJSON(w, status, map[string]any{"error_message": msg, "errors": errs})
}

var irisAmount = regexp.MustCompile(`^[0-9]{1,15}(\.0{1,2})?$`)

func (p *irisPayout) advance(now time.Time) bool { return p.tl.Advance(now, p.enter) }

// nextDue lets advance skip its scan until this payout's next change.
func (p *irisPayout) nextDue() (time.Time, bool) { return p.tl.NextDue() }

// refID is the REFID Lunas puts first in notes.
func (p *irisPayout) refID() string {
	f := strings.Fields(p.Notes)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// enter applies the money side of a status change, with s.mu held.
func (p *irisPayout) enter(st Step) {
	s := p.s
	switch st.Status {
	case "completed":
		s.recordPaid("iris", p.refID(), p.Account, p.Amount)
	case "failed":
		if p.debited {
			s.credit("iris", p.Amount)
			p.debited = false
		}
		if prev, ok := p.tl.Previous(); ok && prev.Status == "completed" {
			s.recordReversed("iris", p.refID())
		}
	}
}

func (p *irisPayout) json(stale bool) map[string]any {
	st, updated := p.tl.Current(), p.tl.Changed()
	if stale {
		if prev, ok := p.tl.Previous(); ok {
			st, updated = prev, p.Created.Add(prev.After)
		}
	}
	m := map[string]any{
		"amount": strconv.FormatInt(int64(p.Amount), 10) + ".00", "beneficiary_name": p.Name,
		"beneficiary_account": p.Account, "bank": irisBanks[p.Bank], "reference_no": p.Ref,
		"notes": p.Notes, "beneficiary_email": p.Email, "status": st.Status, "created_by": "lunas-creator",
		"created_at": p.Created.UTC().Format(time.RFC3339), "updated_at": updated.UTC().Format(time.RFC3339),
	}
	if st.Code != "" {
		m["error_code"], m["error_message"] = st.Code, irisErrorMessages[st.Code]
	}
	return m
}

func (s *Server) irisCreate(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("X-Idempotency-Key")
	if len(key) > 100 {
		irisErr(w, 400, "An error occurred when creating payouts", "X-Idempotency-Key is longer than 100 characters")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	hash, herr := canonicalHash(body)
	var req struct {
		Payouts []struct {
			Name    string `json:"beneficiary_name"`
			Account string `json:"beneficiary_account"`
			Bank    string `json:"beneficiary_bank"`
			Email   string `json:"beneficiary_email"`
			Amount  string `json:"amount"`
			Notes   string `json:"notes"`
		} `json:"payouts"`
	}
	if herr != nil || json.Unmarshal(body, &req) != nil || len(req.Payouts) == 0 {
		irisErr(w, 400, "An error occurred when creating payouts", "Payouts body is not valid")
		return
	}
	errs := map[string][]string{}
	for i, p := range req.Payouts {
		var e []string
		if strings.TrimSpace(p.Name) == "" {
			e = append(e, "Beneficiary name can't be blank")
		}
		if _, ok := irisBanks[p.Bank]; !ok {
			e = append(e, "Beneficiary bank is not valid")
		}
		if !regexp.MustCompile(`^[0-9]{5,20}$`).MatchString(p.Account) {
			e = append(e, "Beneficiary account is not valid")
		}
		if !irisAmount.MatchString(p.Amount) || strings.TrimLeft(strings.Split(p.Amount, ".")[0], "0") == "" {
			e = append(e, "Amount is not valid")
		}
		if p.Notes == "" || len(p.Notes) > 100 {
			e = append(e, "Notes must be 1-100 characters")
		}
		if len(e) > 0 {
			errs[strconv.Itoa(i)] = e
		}
	}
	f, _ := faultOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	st := s.iris()
	now := s.now()
	if key != "" {
		if k := st.keys[key]; k != nil && !s.keyForgotten(k.created, now) {
			if k.hash != hash {
				irisErr(w, http.StatusConflict, "idempotency-key is not unique", "idempotency-key is not unique")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			w.Write(k.resp)
			return
		}
	}
	if len(errs) > 0 {
		irisErr(w, 400, "An error occurred when creating payouts", errs)
		return
	}
	type created struct {
		Status      string `json:"status"`
		ReferenceNo string `json:"reference_no"`
	}
	var out struct {
		Payouts []created `json:"payouts"`
	}
	for _, p := range req.Payouts {
		amt, _ := strconv.ParseInt(strings.Split(p.Amount, ".")[0], 10, 64)
		po := &irisPayout{s: s, Ref: s.newXenditID("")[:14], Name: p.Name, Account: p.Account, Bank: p.Bank,
			Email: p.Email, Notes: p.Notes, Amount: domain.Rupiah(amt), Created: now,
			tl: NewTimeline(now, Step{Status: "queued"}), reverse: f.Kind == FaultReverse}
		st.payouts[po.Ref] = po
		st.order = append(st.order, po.Ref)
		out.Payouts = append(out.Payouts, created{"queued", po.Ref})
	}
	for len(st.order) > s.cfg.MaxObjects {
		delete(st.payouts, st.order[0])
		st.order = st.order[1:]
	}
	resp, _ := json.Marshal(out)
	if key != "" {
		st.keys[key] = &irisKey{hash: hash, resp: resp, created: now}
		for k, v := range st.keys { // purge, as Iris does at midnight
			if s.keyForgotten(v.created, now) {
				delete(st.keys, k)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(resp)
}

// irisTargets reads reference_nos and checks they all exist and are queued.
func (s *Server) irisTargets(w http.ResponseWriter, refs []string) ([]*irisPayout, bool) {
	if len(refs) == 0 {
		irisErr(w, 400, "reference_nos is required", "reference_nos is required")
		return nil, false
	}
	var out []*irisPayout
	var notQueued []string
	for _, ref := range refs {
		p := s.iris().payouts[ref]
		if p == nil {
			irisErr(w, 404, "Payouts not found. Please check reference nos", "Payouts not found. Please check reference nos")
			return nil, false
		}
		if p.tl.Current().Status != "queued" {
			notQueued = append(notQueued, ref)
		}
		out = append(out, p)
	}
	if len(notQueued) > 0 {
		msg := fmt.Sprintf("Reference nos '%s' are not queued", strings.Join(notQueued, ","))
		irisErr(w, 400, msg, msg)
		return nil, false
	}
	return out, true
}

func (s *Server) irisApprove(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Refs []string `json:"reference_nos"`
		OTP  string   `json:"otp"`
	}
	if body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16)); err != nil || json.Unmarshal(body, &b) != nil {
		irisErr(w, 400, "Body is not valid JSON", "Body is not valid JSON")
		return
	}
	if subtle.ConstantTimeCompare([]byte(b.OTP), []byte(s.cfg.Credentials.IrisOTP)) != 1 {
		irisErr(w, 401, "OTP is invalid or expired", "OTP is invalid or expired")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	targets, ok := s.irisTargets(w, b.Refs)
	if !ok {
		return
	}
	now, step := s.now(), s.cfg.Step
	for _, p := range targets {
		if !s.debit("iris", p.Amount) {
			p.tl.Jump(now, Step{Status: "approved"}, Step{Status: "failed", Code: "016"})
			s.track(p)
			continue
		}
		p.debited = true
		end := Step{After: 2 * step, Status: "completed"}
		ta := IrisTestAccounts[p.Account]
		if ta.FailCode != "" {
			end = Step{After: 2 * step, Status: "failed", Code: ta.FailCode}
		}
		then := []Step{{After: step, Status: "processed"}}
		if !ta.Stuck {
			then = append(then, end)
			if p.reverse && end.Status == "completed" {
				then = append(then, Step{After: 3 * step, Status: "failed", Code: "005"})
			}
		}
		p.tl.Jump(now, Step{Status: "approved"}, then...)
		s.track(p)
	}
	writeJSON(w, 202, map[string]string{"status": "ok"})
}

func (s *Server) irisReject(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Refs   []string `json:"reference_nos"`
		Reason string   `json:"reject_reason"`
	}
	if body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16)); err != nil || json.Unmarshal(body, &b) != nil {
		irisErr(w, 400, "Body is not valid JSON", "Body is not valid JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	targets, ok := s.irisTargets(w, b.Refs)
	if !ok {
		return
	}
	for _, p := range targets {
		p.tl.Jump(s.now(), Step{Status: "rejected"})
	}
	s.touch()
	writeJSON(w, 202, map[string]string{"status": "ok"})
}

func (s *Server) irisGet(w http.ResponseWriter, r *http.Request) {
	f, _ := faultOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	p := s.iris().payouts[r.PathValue("ref")]
	if p == nil {
		irisErr(w, 404, "Specified payout not found", "Specified payout not found")
		return
	}
	writeJSON(w, 200, p.json(f.Kind == FaultStale))
}

func (s *Server) irisBalance(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	writeJSON(w, 200, map[string]string{"balance": strconv.FormatInt(int64(s.balance("iris")), 10) + ".00"})
}

func (s *Server) irisValidate(w http.ResponseWriter, r *http.Request) {
	bank, account := r.URL.Query().Get("bank"), r.URL.Query().Get("account")
	name, ok := irisBanks[bank]
	// The documented 400 carries errors only (iris_account_invalid_400_doc.http).
	if !ok {
		writeJSON(w, 400, map[string]any{"errors": map[string][]string{"bank": {"Bank is not valid"}}})
		return
	}
	if account == IrisInvalidAccount || !regexp.MustCompile(`^[0-9]{5,20}$`).MatchString(account) {
		writeJSON(w, 400, map[string]any{"errors": map[string][]string{"account": {"Account does not exist"}}})
		return
	}
	holder := "SANDBOX PENERIMA " + account[len(account)-4:]
	if ta, ok := IrisTestAccounts[account]; ok {
		holder = ta.Holder
	}
	writeJSON(w, 200, map[string]string{"account_name": holder, "account_no": account, "bank_name": name})
}

// ReverseIrisPayout makes a completed payout fail (bank refund): the money
// comes back to the Iris balance. ref is a reference_no or a REFID.
func (s *Server) ReverseIrisPayout(ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	p := s.iris().payouts[ref]
	if p == nil {
		for _, q := range s.iris().payouts {
			if q.refID() == ref {
				p = q
			}
		}
	}
	if p == nil {
		return fmt.Errorf("sandbox: iris payout %q: %w", ref, domain.ErrNotFound)
	}
	if st := p.tl.Current().Status; st != "completed" {
		return fmt.Errorf("sandbox: iris payout %q is %s: %w", ref, st, domain.ErrInvalidTransition)
	}
	st := Step{Status: "failed", Code: "005"}
	p.tl.Jump(s.now(), st)
	p.enter(st)
	s.touch()
	return nil
}

// IrisPayoutCount returns how many Iris payouts carry refID in notes: more
// than one means a resend created a second payout.
func (s *Server) IrisPayoutCount(refID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.iris().payouts {
		if p.refID() == refID {
			n++
		}
	}
	return n
}

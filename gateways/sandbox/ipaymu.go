package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"time"

	"lunas/domain"
	"lunas/gateways/ipaymu"
)

// iPaymu in the sandbox (API v2), in the shapes of
// gateways/ipaymu/testdata/wire (iPaymu's recorded Postman examples):
//
//	POST /api/v2/payment       redirect payment   "ipaymu.payment.create"
//	POST /api/v2/transaction   check transaction  "ipaymu.transaction"
//	POST /api/v2/history       transaction history "ipaymu.history"
//	POST /api/v2/balance       balance            "ipaymu.balance"
//	GET|POST /_pay/ipaymu/{sid} buyer page
//
// Every request must carry va and the documented signature; otherwise the
// answer is HTTP 401 {"Status":401,"Message":"unauthorized"} as recorded.
// A payment has a TransactionId from its creation, status 0 (pending), then
// 1 (paid) or -2 (expired) by the control API. iPaymu pays no sellers: the
// payout book has no iPaymu channel.

type ipTx struct {
	ID              int64
	SessionID, Ref  string
	Amount, Paid    int64
	Status, Prev    int
	Created, Expiry time.Time
	Success         time.Time
	Buyer, Email    string
}

type ipaymuState struct {
	byID  map[int64]*ipTx
	byRef map[string]*ipTx
	bySID map[string]*ipTx
	order []*ipTx
	seq   int64
}

func (s *Server) ip() *ipaymuState { return s.ext["ipaymu"].(*ipaymuState) }

var ipStatusDesc = map[int]string{0: "Pending", 1: "Berhasil", -2: "Expired"}

func (s *Server) mountIpaymu(mux *http.ServeMux) {
	s.ext["ipaymu"] = &ipaymuState{byID: map[int64]*ipTx{}, byRef: map[string]*ipTx{}, bySID: map[string]*ipTx{}, seq: 96400}
	s.errw["ipaymu"] = func(w http.ResponseWriter, status int, code, msg string) {
		writeJSON(w, status, map[string]any{"Status": status, "Message": msg})
	}
	s.route(mux, "POST "+ipaymu.PathPayment, "ipaymu.payment.create", s.ipAuth(s.ipCreate))
	s.route(mux, "POST "+ipaymu.PathTransaction, "ipaymu.transaction", s.ipAuth(s.ipTransaction))
	s.route(mux, "POST "+ipaymu.PathHistory, "ipaymu.history", s.ipAuth(s.ipHistory))
	s.route(mux, "POST "+ipaymu.PathBalance, "ipaymu.balance", s.ipAuth(s.ipBalance))
	mux.HandleFunc("GET /_pay/ipaymu/{sid}", s.ipPayPage)
	mux.HandleFunc("POST /_pay/ipaymu/{sid}", s.ipPayPage)
	// Control API (control.go's list):
	//	POST /_control/ipaymu/payments/{ref}/pay [{"amount":N}]
	//	POST /_control/ipaymu/payments/{ref}/expire
	mux.HandleFunc("POST /_control/ipaymu/payments/{ref}/pay", func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Amount domain.Rupiah `json:"amount"`
		}
		if r.ContentLength != 0 && !readJSON(w, r, &p) {
			return
		}
		controlResult(w, s.PayIpaymu(r.PathValue("ref"), p.Amount))
	})
	mux.HandleFunc("POST /_control/ipaymu/payments/{ref}/expire", func(w http.ResponseWriter, r *http.Request) {
		controlResult(w, s.ExpireIpaymu(r.PathValue("ref")))
	})
}

func ipErr(w http.ResponseWriter, status int, msg string, errs any) {
	m := map[string]any{"Status": status, "Message": msg}
	if errs != nil {
		m["Error"] = errs
	}
	writeJSON(w, status, m)
}

func (s *Server) ipAuth(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		c := s.cfg.Credentials
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("va")), []byte(c.IpaymuVA)) != 1 ||
			!ipaymu.VerifySignature(r.Header.Get("signature"), r.Method, c.IpaymuVA, body, c.IpaymuAPIKey) {
			ipErr(w, 401, "unauthorized", nil)
			return
		}
		h(w, r, body)
	}
}

func (s *Server) ipCreate(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Product   []string `json:"product"`
		Qty       []string `json:"qty"`
		Price     []string `json:"price"`
		Ref       string   `json:"referenceId"`
		BuyerName string   `json:"buyerName"`
		Email     string   `json:"buyerEmail"`
		Expired   int64    `json:"expired"`
		ReturnURL string   `json:"returnUrl"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Product) == 0 || len(req.Price) != len(req.Product) || len(req.Qty) != len(req.Product) {
		ipErr(w, 400, "invalid request", map[string][]string{"product": {"product wajib diisi."}})
		return
	}
	var total int64
	for i := range req.Price {
		p, err1 := strconv.ParseInt(req.Price[i], 10, 64)
		q, err2 := strconv.ParseInt(req.Qty[i], 10, 64)
		if err1 != nil || err2 != nil || p <= 0 || q <= 0 {
			ipErr(w, 400, "invalid request", map[string][]string{"price": {"price tidak valid."}})
			return
		}
		total += p * q
	}
	exp := req.Expired
	if exp <= 0 {
		exp = 24
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, now := s.ip(), s.now()
	st.seq++
	t := &ipTx{ID: st.seq, SessionID: fmt.Sprintf("%08X-LUNA-%04X-SBOX-%012X", st.seq, st.seq%65536, s.nextID()), Ref: req.Ref,
		Amount: total, Created: now, Expiry: now.Add(time.Duration(exp) * time.Hour), Buyer: req.BuyerName, Email: req.Email}
	st.byID[t.ID], st.bySID[t.SessionID] = t, t
	if t.Ref != "" {
		st.byRef[t.Ref] = t
	}
	st.order = append(st.order, t)
	writeJSON(w, 200, map[string]any{"Status": 200, "Message": "success",
		"Data": map[string]string{"SessionID": t.SessionID, "Url": "http://" + r.Host + "/_pay/ipaymu/" + t.SessionID}})
}

func (t *ipTx) json(stale, history bool) map[string]any {
	st := t.Status
	if stale {
		st = t.Prev
	}
	var ref, success any
	if t.Ref != "" {
		ref = t.Ref
	}
	amount := t.Amount
	if st == 1 {
		success = t.Success.In(wibZone).Format(time.DateTime)
		if t.Paid > 0 {
			amount = t.Paid
		}
	}
	paid := "unpaid"
	if st == 1 {
		paid = "paid"
	}
	m := map[string]any{"TransactionId": t.ID, "SessionId": t.SessionID, "ReferenceId": ref, "RelatedId": 0, "Sender": "System",
		"Receiver": "Lunas Sandbox", "Amount": amount, "Fee": 0, "Status": st, "StatusDesc": ipStatusDesc[st], "PaidStatus": paid,
		"IsLocked": false, "Type": 7, "TypeDesc": "VA & Transfer Bank", "Notes": "BCA VA", "CreatedDate": t.Created.In(wibZone).Format(time.DateTime),
		"SuccessDate": success, "ExpiredDate": t.Expiry.In(wibZone).Format(time.DateTime), "SettlementDate": nil,
		"PaymentChannel": "BCA", "PaymentCode": "", "BuyerName": t.Buyer, "BuyerPhone": "", "BuyerEmail": t.Email}
	if history { // the recorded history entries carry IsEscrow, not IsLocked
		delete(m, "IsLocked")
		m["IsEscrow"], m["Notes"] = false, nil
	}
	return m
}

func (s *Server) ipTransaction(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		ID json.Number `json:"transactionId"`
	}
	id, err := int64(0), json.Unmarshal(body, &req)
	if err == nil {
		id, err = req.ID.Int64()
	}
	if err != nil {
		ipErr(w, 400, "error - invalid request", map[string][]string{"transactionId": {"transaction id wajib diisi."}})
		return
	}
	f, _ := faultOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ip().byID[id]
	if t == nil {
		ipErr(w, 404, "transaction not found", nil)
		return
	}
	writeJSON(w, 200, map[string]any{"Status": 200, "Success": true, "Message": "success", "Data": t.json(f.Kind == FaultStale, false)})
}

func (s *Server) ipHistory(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Page  string `json:"page"`
		Limit string `json:"limit"`
	}
	_ = json.Unmarshal(body, &req)
	page, _ := strconv.Atoi(req.Page)
	limit, _ := strconv.Atoi(req.Limit)
	if page < 1 {
		page = 1
	}
	if limit < 1 || limit > 20 {
		limit = 20
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.ip().order
	var list []map[string]any
	for i := len(all) - 1 - (page-1)*limit; i >= 0 && len(list) < limit; i-- {
		list = append(list, all[i].json(false, true))
	}
	pages := (len(all) + limit - 1) / limit
	writeJSON(w, 200, map[string]any{"Status": 200, "Success": true, "Message": "success", "Data": map[string]any{
		"Transaction": list, "Pagination": map[string]int{"total": len(all), "count": len(list), "per_page": limit, "current_page": page, "total_pages": pages}}})
}

func (s *Server) ipBalance(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"Status": 200, "Message": "success", "Data": map[string]string{
		"Va": s.cfg.Credentials.IpaymuVA, "MerchantBalance": strconv.FormatInt(int64(s.balance("ipaymu")), 10), "MemberBalance": "0"}})
}

func (s *Server) ipSet(ref string, fn func(t *ipTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ip().byRef[ref]
	if t == nil {
		t = s.ip().bySID[ref]
	}
	if t == nil {
		return fmt.Errorf("sandbox: ipaymu payment %q: %w", ref, domain.ErrNotFound)
	}
	if t.Status != 0 {
		return fmt.Errorf("sandbox: ipaymu payment %q has status %d: %w", ref, t.Status, domain.ErrInvalidTransition)
	}
	return fn(t)
}

// PayIpaymu makes the buyer pay the payment with our reference (or session
// id); amount 0 pays in full.
func (s *Server) PayIpaymu(ref string, amount domain.Rupiah) error {
	return s.ipSet(ref, func(t *ipTx) error {
		t.Prev, t.Status, t.Success = t.Status, 1, s.now()
		if amount > 0 {
			t.Paid = int64(amount)
		}
		// The payment lands in the merchant's iPaymu balance.
		if t.Paid > 0 {
			s.credit("ipaymu", domain.Rupiah(t.Paid))
		} else {
			s.credit("ipaymu", domain.Rupiah(t.Amount))
		}
		return nil
	})
}

// ExpireIpaymu expires an unpaid payment.
func (s *Server) ExpireIpaymu(ref string) error {
	return s.ipSet(ref, func(t *ipTx) error { t.Prev, t.Status = t.Status, -2; return nil })
}

func (s *Server) ipPayPage(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sid")
	msg := ""
	if r.Method == http.MethodPost {
		if err := s.PayIpaymu(sid, 0); err != nil {
			http.Error(w, "cannot pay this payment now", http.StatusConflict)
			return
		}
		msg = "<p>Terima kasih, pembayaran diterima.</p>"
	}
	s.mu.Lock()
	t := s.ip().bySID[sid]
	var amt int64
	if t != nil {
		amt = t.Amount
	}
	s.mu.Unlock()
	if t == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<html><body><h1>iPaymu (sandbox)</h1><p>%s</p>%s<form method="post"><button>Bayar</button></form></body></html>`,
		html.EscapeString(domain.Rupiah(amt).String()), msg)
}

package sandbox

import (
	"crypto/rsa"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways/doku"
)

// DOKU in the sandbox, in the wire shapes of gateways/doku/testdata/wire:
//
//	POST /checkout/v1/payment               Checkout create (non-SNAP signature)  "doku.checkout.create"
//	GET  /orders/v1/status/{invoice}        Checkout status, signed answer        "doku.checkout.status"
//	POST /authorization/v1/access-token/b2b B2B token (RSA-SHA256)                "doku.token"
//	POST /snap/v1.1/emoney/bank-account-inquiry                                   "doku.inquiry"
//	POST /snap/v1.1/emoney/transfer-bank    (HMAC-SHA512 X-SIGNATURE)             "doku.transfer"
//	POST /snap/v1.1/qr/qr-mpm-status        Kirim DOKU check status               "doku.status"
//	POST /snap/v1.1/balance-inquiry                                               "doku.balance"
//	GET|POST /_pay/doku/{invoice}           buyer page
//
// The payout book's channel is "doku". Transfers go 03 (pending) -> 00
// (success), or -> 06 (failed) for DOKU's documented sandbox rule: bank 002
// with an account containing 12345 fails (developers.doku.com/payout/
// kirim-doku, "For Sandbox Environment"). An X-EXTERNAL-ID used before on
// the same WIB day is refused (HTTP 409, "unique in the same day"); a
// partnerReferenceNo DOKU already holds is refused as a duplicate (409) until
// the first 00:00 WIB after it was first used (unless KeyPurge is never);
// after that the same REFID makes a NEW transfer: the danger Lunas's key
// window (doku.KeyWindow) guards against. What DOKU's pages do not print and
// the sandbox assumes (error bodies, the transfer answer) is listed in
// docs/GATEWAYS.md.

// DOKUFailAccount is an account the sandbox's Kirim DOKU fails when paid at
// bank BRI (002), by DOKU's documented sandbox rule.
const DOKUFailAccount = "0021234500001"

// DOKUInvalidAccount is an account the account inquiry refuses.
const DOKUInvalidAccount = "0000000000"

type dokuOrder struct {
	Invoice string
	Amount  int64
	Paid    int64
	Status  string // PENDING, SUCCESS, EXPIRED
	Prev    string
	Date    time.Time
	Token   string
	tamper  bool
}

type dokuTransfer struct {
	s                         *Server
	Ref, RefID, Account, Bank string
	ExternalID                string
	Amount                    domain.Rupiah
	Created                   time.Time
	tl                        *Timeline
	debited                   bool
}

type dokuSession struct {
	Account, Bank string
}

type dokuState struct {
	orders    map[string]*dokuOrder
	transfers map[string]*dokuTransfer // by partnerReferenceNo (the live one)
	all       []*dokuTransfer
	external  map[string]time.Time // X-EXTERNAL-ID of transfers -> first use
	sessions  map[string]dokuSession
	tokens    map[string]time.Time
	pub       *rsa.PublicKey
	keyErr    error
}

func (s *Server) dk() *dokuState { return s.ext["doku"].(*dokuState) }

func (s *Server) mountDOKU(mux *http.ServeMux) {
	st := &dokuState{orders: map[string]*dokuOrder{}, transfers: map[string]*dokuTransfer{}, external: map[string]time.Time{},
		sessions: map[string]dokuSession{}, tokens: map[string]time.Time{}}
	if k, err := doku.ParsePrivateKey(s.cfg.Credentials.DOKUPrivateKey); err == nil {
		st.pub = &k.PublicKey
	} else {
		st.keyErr = err
	}
	s.ext["doku"] = st
	s.errw["doku"] = func(w http.ResponseWriter, status int, code, msg string) {
		writeJSON(w, status, map[string]string{"responseCode": strconv.Itoa(status) + "0000", "responseMessage": msg})
	}
	s.route(mux, "POST "+doku.PathCheckout, "doku.checkout.create", s.dokuCheckoutCreate)
	s.route(mux, "GET "+doku.PathOrderStatus+"{invoice}", "doku.checkout.status", s.dokuCheckoutStatus)
	s.route(mux, "POST "+doku.PathToken, "doku.token", s.dokuToken)
	s.route(mux, "POST "+doku.PathInquiry, "doku.inquiry", s.dokuSnap("42", s.dokuInquiry))
	s.route(mux, "POST "+doku.PathTransfer, "doku.transfer", s.dokuSnap("43", s.dokuTransfer))
	s.route(mux, "POST "+doku.PathKirimStatus, "doku.status", s.dokuSnap("53", s.dokuStatus))
	s.route(mux, "POST "+doku.PathBalance, "doku.balance", s.dokuSnap("11", s.dokuBalance))
	mux.HandleFunc("GET /_pay/doku/{invoice}", s.dokuPayPage)
	mux.HandleFunc("POST /_pay/doku/{invoice}", s.dokuPayPage)
	// Control API (control.go's list):
	//	POST /_control/doku/invoices/{id}/pay [{"amount":N}]
	//	POST /_control/doku/invoices/{id}/expire
	mux.HandleFunc("POST /_control/doku/invoices/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Amount domain.Rupiah `json:"amount"`
		}
		if r.ContentLength != 0 && !readJSON(w, r, &p) {
			return
		}
		controlResult(w, s.PayDOKU(r.PathValue("id"), p.Amount))
	})
	mux.HandleFunc("POST /_control/doku/invoices/{id}/expire", func(w http.ResponseWriter, r *http.Request) {
		controlResult(w, s.ExpireDOKU(r.PathValue("id")))
	})
}

func snapError(w http.ResponseWriter, status int, service, caseCode, msg string) {
	writeJSON(w, status, map[string]string{"responseCode": strconv.Itoa(status) + service + caseCode, "responseMessage": msg})
}

// dokuCheckAuth verifies a non-SNAP request signature.
func (s *Server) dokuCheckAuth(w http.ResponseWriter, r *http.Request, body []byte) bool {
	c := s.cfg.Credentials
	comp := doku.Components{ClientID: r.Header.Get("Client-Id"), RequestID: r.Header.Get("Request-Id"),
		Timestamp: r.Header.Get("Request-Timestamp"), Target: r.URL.EscapedPath(), Body: body}
	if subtle.ConstantTimeCompare([]byte(comp.ClientID), []byte(c.DOKUClientID)) != 1 || !doku.VerifySignature(r.Header.Get("Signature"), comp, c.DOKUSecretKey) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"code": "invalid_signature", "message": "Invalid Header Signature"}})
		return false
	}
	return true
}

func (s *Server) dokuCheckoutCreate(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if !s.dokuCheckAuth(w, r, body) {
		return
	}
	var req struct {
		Order struct {
			Amount        json.Number `json:"amount"`
			InvoiceNumber string      `json:"invoice_number"`
		} `json:"order"`
		Payment struct {
			Due int64 `json:"payment_due_date"`
		} `json:"payment"`
	}
	amt, err := int64(0), json.Unmarshal(body, &req)
	if err == nil {
		amt, err = req.Order.Amount.Int64()
	}
	if err != nil || amt <= 0 || !doku.ValidInvoice(req.Order.InvoiceNumber) {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "invalid_parameter", "message": "order.amount and order.invoice_number are required"}})
		return
	}
	due := req.Payment.Due
	if due <= 0 {
		due = 60
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	st := s.dk()
	if _, ok := st.orders[req.Order.InvoiceNumber]; ok {
		writeJSON(w, http.StatusConflict, map[string]any{"error": map[string]string{"code": "duplicate_invoice", "message": "Invoice number already used"}})
		return
	}
	now := s.now()
	o := &dokuOrder{Invoice: req.Order.InvoiceNumber, Amount: amt, Status: "PENDING", Date: now, Token: s.newXenditID("")}
	st.orders[o.Invoice] = o
	exp := now.Add(time.Duration(due) * time.Minute)
	url := "http://" + r.Host + "/_pay/doku/" + o.Invoice
	writeJSON(w, 200, map[string]any{"message": []string{"SUCCESS"}, "response": map[string]any{
		"order": map[string]any{"amount": strconv.FormatInt(amt, 10), "invoice_number": o.Invoice, "currency": "IDR", "session_id": o.Token},
		"payment": map[string]any{"payment_method_types": []string{"QRIS"}, "payment_due_date": due, "token_id": o.Token, "url": url,
			"expired_date": exp.In(wibZone).Format("20060102150405"), "expired_datetime": exp.UTC().Format(time.RFC3339)},
	}})
}

var wibZone = time.FixedZone("WIB", 7*3600)

func (s *Server) dokuCheckoutStatus(w http.ResponseWriter, r *http.Request) {
	if !s.dokuCheckAuth(w, r, nil) {
		return
	}
	f, _ := faultOf(r)
	s.mu.Lock()
	o := s.dk().orders[r.PathValue("invoice")]
	var out []byte
	tamper := false
	if o != nil {
		status, amount := o.Status, o.Amount
		if f.Kind == FaultStale && o.Prev != "" {
			status = o.Prev
		}
		if status == "SUCCESS" && o.Paid > 0 {
			amount = o.Paid
		}
		out, _ = json.Marshal(map[string]any{
			"order":       map[string]any{"invoice_number": o.Invoice, "amount": amount},
			"transaction": map[string]any{"status": status, "date": o.Date.UTC().Format(time.RFC3339), "original_request_id": o.Invoice},
			"service":     map[string]string{"id": "EMONEY"}, "acquirer": map[string]string{"id": "QRIS"}, "channel": map[string]string{"id": "QRIS"},
		})
		tamper = o.tamper
	}
	now := s.now()
	s.mu.Unlock()
	if o == nil {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "invoice_not_found", "message": "Invoice not found"}})
		return
	}
	// DOKU signs its answers ("Signature Componen from Response Header").
	c := s.cfg.Credentials
	ts := now.UTC().Format("2006-01-02T15:04:05Z")
	comp := doku.Components{ClientID: c.DOKUClientID, RequestID: r.Header.Get("Request-Id"), Timestamp: ts, TimestampName: "Response-Timestamp",
		Target: r.URL.EscapedPath(), Body: out}
	sig := doku.Signature(comp, c.DOKUSecretKey)
	if tamper {
		sig = doku.Signature(comp, "not-the-secret")
	}
	h := w.Header()
	h.Set("Client-Id", c.DOKUClientID)
	h.Set("Request-Id", r.Header.Get("Request-Id"))
	h.Set("Response-Timestamp", ts)
	h.Set("Signature", sig)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(200)
	w.Write(out)
}

// dokuSetOrder changes an order's status (control API).
func (s *Server) dokuSetOrder(invoice string, fn func(o *dokuOrder) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.dk().orders[invoice]
	if o == nil {
		return fmt.Errorf("sandbox: doku invoice %q: %w", invoice, domain.ErrNotFound)
	}
	return fn(o)
}

// PayDOKU makes the buyer pay invoice (amount 0: in full).
func (s *Server) PayDOKU(invoice string, amount domain.Rupiah) error {
	return s.dokuSetOrder(invoice, func(o *dokuOrder) error {
		if o.Status != "PENDING" {
			return fmt.Errorf("sandbox: doku invoice %q is %s: %w", invoice, o.Status, domain.ErrInvalidTransition)
		}
		o.Prev, o.Status, o.Date = o.Status, "SUCCESS", s.now()
		if amount > 0 {
			o.Paid = int64(amount)
		}
		// The payment lands in the DOKU balance Kirim DOKU pays from.
		if o.Paid > 0 {
			s.credit("doku", domain.Rupiah(o.Paid))
		} else {
			s.credit("doku", domain.Rupiah(o.Amount))
		}
		return nil
	})
}

// ExpireDOKU expires an unpaid invoice.
func (s *Server) ExpireDOKU(invoice string) error {
	return s.dokuSetOrder(invoice, func(o *dokuOrder) error {
		if o.Status != "PENDING" {
			return fmt.Errorf("sandbox: doku invoice %q is %s: %w", invoice, o.Status, domain.ErrInvalidTransition)
		}
		o.Prev, o.Status, o.Date = o.Status, "EXPIRED", s.now()
		return nil
	})
}

// TamperDOKU makes the status answers of invoice carry a wrong signature.
func (s *Server) TamperDOKU(invoice string) error {
	return s.dokuSetOrder(invoice, func(o *dokuOrder) error { o.tamper = true; return nil })
}

func (s *Server) dokuPayPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("invoice")
	msg := ""
	if r.Method == http.MethodPost {
		if err := s.PayDOKU(id, 0); err != nil {
			http.Error(w, "cannot pay this invoice now", http.StatusConflict)
			return
		}
		msg = "<p>Terima kasih, pembayaran diterima.</p>"
	}
	s.mu.Lock()
	o := s.dk().orders[id]
	var amt int64
	if o != nil {
		amt = o.Amount
	}
	s.mu.Unlock()
	if o == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<html><body><h1>DOKU Checkout (sandbox)</h1><p>Invoice %s: %s</p>%s<form method="post"><button>Bayar</button></form></body></html>`,
		html.EscapeString(id), domain.Rupiah(amt).String(), msg)
}

func (s *Server) dokuToken(w http.ResponseWriter, r *http.Request) {
	c := s.cfg.Credentials
	st := s.dk()
	if st.pub == nil || subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CLIENT-KEY")), []byte(c.DOKUClientID)) != 1 ||
		!doku.VerifyTokenSignature(st.pub, c.DOKUClientID, r.Header.Get("X-TIMESTAMP"), r.Header.Get("X-SIGNATURE")) {
		snapError(w, 401, "73", "00", "Unauthorized. Signature")
		return
	}
	s.mu.Lock()
	tok := "sbx" + s.newXenditID("")
	st.tokens[tok] = s.now().Add(15 * time.Minute)
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"responseCode": "2007300", "responseMessage": "Successful", "accessToken": tok, "tokenType": "Bearer", "expiresIn": 900})
}

// dokuSnap checks a SNAP transaction call's token and X-SIGNATURE, then
// runs h with the body.
func (s *Server) dokuSnap(service string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		tok := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		s.mu.Lock()
		end, ok := s.dk().tokens[tok]
		live := ok && s.now().Before(end)
		s.mu.Unlock()
		min, err := doku.Minify(body)
		c := s.cfg.Credentials
		if !live || err != nil || r.Header.Get("X-PARTNER-ID") != c.DOKUClientID || r.Header.Get("X-EXTERNAL-ID") == "" ||
			!doku.VerifySymmetric(r.Header.Get("X-SIGNATURE"), r.Method, r.URL.Path, tok, min, r.Header.Get("X-TIMESTAMP"), c.DOKUSecretKey) {
			snapError(w, 401, service, "00", "Unauthorized. [Signature]")
			return
		}
		h(w, r, body)
	}
}

type snapAmount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

func snapRupiah(v domain.Rupiah) snapAmount {
	return snapAmount{strconv.FormatInt(int64(v), 10) + ".00", "IDR"}
}

func parseSnapRupiah(a snapAmount) (domain.Rupiah, bool) {
	whole, frac, _ := strings.Cut(a.Value, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n <= 0 || strings.Trim(frac, "0") != "" || (a.Currency != "" && a.Currency != "IDR") {
		return 0, false
	}
	return domain.Rupiah(n), true
}

func dokuHolder(account string) string {
	if len(account) >= 4 {
		return "SANDBOX PENERIMA " + account[len(account)-4:]
	}
	return "SANDBOX PENERIMA"
}

var dokuBankNames = map[string]string{"014": "Bank Central Asia", "008": "Bank Mandiri", "002": "Bank Rakyat Indonesia", "009": "Bank Negara Indonesia"}

func (s *Server) dokuInquiry(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		PartnerReferenceNo       string `json:"partnerReferenceNo"`
		BeneficiaryAccountNumber string `json:"beneficiaryAccountNumber"`
		BeneficiaryBankCode      string `json:"beneficiaryBankCode"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.BeneficiaryBankCode) != 3 || req.BeneficiaryAccountNumber == "" {
		snapError(w, 400, "42", "02", "Invalid Mandatory Field beneficiaryAccountNumber/beneficiaryBankCode")
		return
	}
	if req.BeneficiaryAccountNumber == DOKUInvalidAccount || strings.Trim(req.BeneficiaryAccountNumber, "0123456789") != "" {
		snapError(w, 404, "42", "11", "Invalid Account")
		return
	}
	s.mu.Lock()
	sid := fmt.Sprintf("I%016d", s.nextID())
	s.dk().sessions[sid] = dokuSession{Account: req.BeneficiaryAccountNumber, Bank: req.BeneficiaryBankCode}
	s.mu.Unlock()
	out := map[string]any{"responseCode": "2004200", "responseMessage": "Successful", "sessionId": sid,
		"partnerReferenceNo": req.PartnerReferenceNo, "beneficiaryAccountNumber": req.BeneficiaryAccountNumber,
		"beneficiaryAccountName": dokuHolder(req.BeneficiaryAccountNumber), "beneficiaryBankCode": req.BeneficiaryBankCode}
	if n, ok := dokuBankNames[req.BeneficiaryBankCode]; ok {
		out["beneficiaryBankName"] = n
	}
	writeJSON(w, 200, out)
}

// dokuDay is the start of the WIB day of t.
func dokuDay(t time.Time) time.Time {
	w := t.In(wibZone)
	return time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, wibZone)
}

// dokuRefForgotten: DOKU's memory of a partnerReferenceNo is read as the
// WIB day of its X-EXTERNAL-ID (KeyPurge never keeps it).
func (s *Server) dokuRefForgotten(first, now time.Time) bool {
	if s.cfg.KeyPurge == PurgeNever {
		return false
	}
	return !dokuDay(first).Equal(dokuDay(now))
}

func (s *Server) dokuTransfer(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		PartnerReferenceNo       string     `json:"partnerReferenceNo"`
		BeneficiaryAccountNumber string     `json:"beneficiaryAccountNumber"`
		BeneficiaryBankCode      string     `json:"beneficiaryBankCode"`
		Amount                   snapAmount `json:"amount"`
		SessionID                string     `json:"sessionId"`
	}
	if json.Unmarshal(body, &req) != nil || req.PartnerReferenceNo == "" || len(req.PartnerReferenceNo) > 64 {
		snapError(w, 400, "43", "02", "Invalid Mandatory Field partnerReferenceNo")
		return
	}
	amt, ok := parseSnapRupiah(req.Amount)
	if !ok {
		snapError(w, 400, "43", "01", "Invalid Field Format amount")
		return
	}
	f, _ := faultOf(r)
	ext := r.Header.Get("X-EXTERNAL-ID")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	st, now := s.dk(), s.now()
	sess, ok := st.sessions[req.SessionID]
	if !ok || sess.Account != req.BeneficiaryAccountNumber || sess.Bank != req.BeneficiaryBankCode {
		snapError(w, 400, "43", "01", "Invalid Field Format sessionId")
		return
	}
	if first, used := st.external[ext]; used && dokuDay(first).Equal(dokuDay(now)) {
		snapError(w, http.StatusConflict, "43", "00", "Conflict")
		return
	}
	if t := st.transfers[req.PartnerReferenceNo]; t != nil && !s.dokuRefForgotten(t.Created, now) {
		snapError(w, http.StatusConflict, "43", "01", "Duplicate partnerReferenceNo")
		return
	}
	if !s.debit("doku", amt) {
		snapError(w, http.StatusForbidden, "43", "14", "Insufficient Funds")
		return
	}
	st.external[ext] = now
	delete(st.sessions, req.SessionID)
	t := &dokuTransfer{s: s, Ref: "DK" + fmt.Sprintf("%010d", s.nextID()), RefID: req.PartnerReferenceNo, Account: req.BeneficiaryAccountNumber,
		Bank: req.BeneficiaryBankCode, ExternalID: ext, Amount: amt, Created: now, debited: true}
	step := s.cfg.Step
	end := Step{After: step, Status: "00"}
	if req.BeneficiaryBankCode == "002" && strings.Contains(req.BeneficiaryAccountNumber, "12345") {
		end = Step{After: step, Status: "06"}
	}
	steps := []Step{{Status: "03"}, end}
	if f.Kind == FaultReverse && end.Status == "00" {
		steps = append(steps, Step{After: 3 * step, Status: "04"})
	}
	t.tl = NewTimeline(now, steps...)
	st.transfers[t.RefID] = t
	st.all = append(st.all, t)
	if len(st.all) > s.cfg.MaxObjects {
		st.all = st.all[1:]
	}
	s.track(t)
	writeJSON(w, 200, map[string]any{"responseCode": "2004300", "responseMessage": "Successful", "referenceNo": t.Ref,
		"partnerReferenceNo": t.RefID, "amount": snapRupiah(amt), "sessionId": req.SessionID})
}

func (t *dokuTransfer) advance(now time.Time) bool { return t.tl.Advance(now, t.enter) }

func (t *dokuTransfer) nextDue() (time.Time, bool) { return t.tl.NextDue() }

// enter applies the money side of a status change, with s.mu held.
func (t *dokuTransfer) enter(st Step) {
	s := t.s
	switch st.Status {
	case "00":
		s.recordPaid("doku", t.RefID, t.Account, t.Amount)
	case "06":
		if t.debited {
			s.credit("doku", t.Amount)
			t.debited = false
		}
	case "04":
		s.credit("doku", t.Amount)
		s.recordReversed("doku", t.RefID)
	}
}

var dokuStatusDesc = map[string]string{"00": "Success", "03": "Pending", "04": "Refunded", "06": "Failed"}

func (s *Server) dokuStatus(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Ref string `json:"originalPartnerReferenceNo"`
	}
	if json.Unmarshal(body, &req) != nil || req.Ref == "" {
		snapError(w, 400, "53", "02", "Invalid Mandatory Field originalPartnerReferenceNo")
		return
	}
	f, _ := faultOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	t := s.dk().transfers[req.Ref]
	if t == nil {
		snapError(w, 404, "53", "01", "Transaction Not Found")
		return
	}
	cur := t.tl.Current()
	if f.Kind == FaultStale {
		if p, ok := t.tl.Previous(); ok {
			cur = p
		}
	}
	// responseCode and serviceCode are JSON numbers, as DOKU's example prints them.
	writeJSON(w, 200, map[string]any{"responseCode": 2005300, "responseMessage": "Successful", "originalReferenceNo": t.Ref,
		"originalPartnerReferenceNo": t.RefID, "serviceCode": 43, "latestTransactionStatus": cur.Status,
		"transactionStatusDesc": dokuStatusDesc[cur.Status], "amount": snapRupiah(t.Amount),
		"transactionDate": t.Created.In(wibZone).Format("2006-01-02T15:04:05.000-07:00"), "originalResponseCode": 0})
}

func (s *Server) dokuBalance(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	writeJSON(w, 200, map[string]any{"responseCode": "2001100", "responseMessage": "Successful",
		"accountInfos": []map[string]any{{"amount": snapRupiah(s.balance("doku"))}}})
}

// DOKUTransferCount returns how many transfers the sandbox made under refID:
// more than one means a resend paid twice.
func (s *Server) DOKUTransferCount(refID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.dk().all {
		if t.RefID == refID {
			n++
		}
	}
	return n
}

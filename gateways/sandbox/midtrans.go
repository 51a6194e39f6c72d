package sandbox

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
)

// Midtrans in the sandbox. Paths (the Core API is under /midtrans because
// its /v2/{id}/status would collide with Xendit's /v2/payouts/{id}):
//
//	POST /snap/v1/transactions           Snap create (server key)
//	GET  /midtrans/v2/{order_id}/status  Core API status (server key)
//	GET  /_pay/midtrans/{order_id}       buyer page; POST pays
//
// So an adapter uses SnapURL = base and CoreURL = base + "/midtrans".
// Endpoint names for faults: "midtrans.snap.create", "midtrans.status".

// Base paths of the Midtrans parts, to append to the sandbox URL: the Core
// API adapter uses URL+MidtransCorePath, Snap uses URL itself, Iris uses
// URL+IrisPath.
const (
	MidtransCorePath = "/midtrans"
	IrisPath         = "/iris"
)

// MidtransVariants selects wire variants where the sources disagree
// (reference §2.2 and §8 item 5).
type MidtransVariants struct {
	// NotFoundHTTP404 answers a missing order with HTTP 404 (PHP SDK users'
	// reports) instead of HTTP 200 (the OpenAPI example). The body is the
	// same: status_code "404".
	NotFoundHTTP404 bool
	// UppercaseStatus writes transaction_status in upper case, as one doc
	// sample does for DANA/ShopeePay.
	UppercaseStatus bool
}

// mtOrder is one Snap transaction.
type mtOrder struct {
	OrderID     string
	TxID        string
	Token       string
	Gross       int64
	Paid        int64 // gross_amount reported once the buyer chose a method
	PaymentType string
	Created     time.Time
	Expiry      time.Time
	Settled     time.Time
	// history of (transaction_status, fraud_status); empty: the buyer has
	// not chosen a method yet (Core status says 404).
	history  [][2]string
	tamper   bool      // serve a wrong signature_key
	settleAt time.Time // a card capture (accept) settles then
}

func (o *mtOrder) current() (status, fraud string, ok bool) {
	if len(o.history) == 0 {
		return "", "", false
	}
	h := o.history[len(o.history)-1]
	return h[0], h[1], true
}

type midtransState struct {
	variants MidtransVariants
	orders   map[string]*mtOrder
	order    []string
	iris     *irisState
}

func (s *Server) mt() *midtransState { return s.ext["midtrans"].(*midtransState) }

// SetMidtransVariants selects Midtrans wire variants.
func (s *Server) SetMidtransVariants(v MidtransVariants) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mt().variants = v
}

func (s *Server) mountMidtrans(mux *http.ServeMux) {
	st := &midtransState{orders: map[string]*mtOrder{}}
	s.ext["midtrans"] = st
	s.errw["midtrans"] = func(w http.ResponseWriter, status int, code, msg string) {
		writeJSON(w, status, map[string]any{"status_code": strconv.Itoa(status), "status_message": msg})
	}
	s.route(mux, "POST /snap/v1/transactions", "midtrans.snap.create", s.mtAuth(s.mtSnapCreate))
	s.route(mux, "GET /midtrans/v2/{id}/status", "midtrans.status", s.mtAuth(s.mtStatus))
	mux.HandleFunc("GET /_pay/midtrans/{id}", s.mtPayPage)
	mux.HandleFunc("POST /_pay/midtrans/{id}", s.mtPayPage)
	s.mountIris(mux, st)
	s.mountMidtransControl(mux)
}

func (s *Server) mtAuth(h http.HandlerFunc) http.HandlerFunc {
	want := s.cfg.Credentials.MidtransServerKey
	return func(w http.ResponseWriter, r *http.Request) {
		user, _, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(want)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"status_code": "401",
				"status_message": "Unknown Merchant server_key/id", "error_messages": []string{"Access denied due to unauthorized transaction, please check client or server key"}})
			return
		}
		h(w, r)
	}
}

// midtransSignature is hex(SHA-512(order_id+status_code+gross_amount+server_key)).
func midtransSignature(orderID, code, gross, key string) string {
	h := sha512.Sum512([]byte(orderID + code + gross + key))
	return hex.EncodeToString(h[:])
}

func urlSafeOrderID(id string) bool {
	if id == "" || len(id) > 50 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.~", c)) {
			return false
		}
	}
	return true
}

func (s *Server) mtSnapCreate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TD struct {
			OrderID     string      `json:"order_id"`
			GrossAmount json.Number `json:"gross_amount"`
		} `json:"transaction_details"`
		Items []struct {
			Price    json.Number `json:"price"`
			Quantity int64       `json:"quantity"`
		} `json:"item_details"`
		Expiry *struct {
			Unit     string `json:"unit"`
			Duration int64  `json:"duration"`
		} `json:"expiry"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	snapErr := func(msg string) {
		writeJSON(w, 400, map[string]any{"error_messages": []string{msg}})
	}
	if err := json.Unmarshal(body, &req); err != nil {
		snapErr("Invalid JSON body")
		return
	}
	gross, err := req.TD.GrossAmount.Int64()
	switch {
	case !urlSafeOrderID(req.TD.OrderID):
		snapErr("transaction_details.order_id is invalid")
		return
	case err != nil || gross < 1:
		snapErr("transaction_details.gross_amount must be a whole number of at least 1")
		return
	}
	if len(req.Items) > 0 {
		var sum int64
		for _, it := range req.Items {
			p, err := it.Price.Int64()
			if err != nil {
				snapErr("item_details.price must be a whole number")
				return
			}
			sum += p * it.Quantity
		}
		if sum != gross {
			snapErr("transaction_details.gross_amount is not equal to the sum of item_details")
			return
		}
	}
	expiry := 24 * time.Hour
	if req.Expiry != nil && req.Expiry.Duration > 0 {
		unit := map[string]time.Duration{"second": time.Second, "seconds": time.Second, "minute": time.Minute,
			"minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[strings.ToLower(req.Expiry.Unit)]
		if unit == 0 {
			snapErr("expiry.unit is invalid")
			return
		}
		expiry = time.Duration(req.Expiry.Duration) * unit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	st := s.mt()
	if _, dup := st.orders[req.TD.OrderID]; dup {
		snapErr("transaction_details.order_id sudah digunakan")
		return
	}
	now := s.now()
	o := &mtOrder{OrderID: req.TD.OrderID, TxID: s.newUUID(), Token: s.newUUID(), Gross: gross, Paid: gross,
		Created: now, Expiry: now.Add(expiry)}
	st.orders[o.OrderID] = o
	st.order = append(st.order, o.OrderID)
	if len(st.order) > s.cfg.MaxObjects {
		delete(st.orders, st.order[0])
		st.order = st.order[1:]
	}
	writeJSON(w, 201, map[string]string{"token": o.Token,
		"redirect_url": "http://" + r.Host + "/_pay/midtrans/" + url.PathEscape(o.OrderID)})
}

// newUUID returns a random-looking, unique UUID-shaped id, with s.mu held.
func (s *Server) newUUID() string {
	id := s.newXenditID("")
	return id[0:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:24] + "0000" + id[0:4]
}

// mtStatusCode is the body status_code Midtrans gives for a status: 201 for
// pending and for a card capture held for review (the documented Challenge
// Notification), 202 for deny, 407 for expire.
func mtStatusCode(status, fraud string) string {
	switch {
	case status == "capture" && fraud == "challenge":
		return "201"
	}
	switch status {
	case "pending":
		return "201"
	case "deny":
		return "202"
	case "expire":
		return "407"
	}
	return "200"
}

func (s *Server) mtStatus(w http.ResponseWriter, r *http.Request) {
	f, _ := faultOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	st := s.mt()
	o := st.orders[r.PathValue("id")]
	if o != nil {
		s.mtExpireDue(o)
		s.mtSettleDue(o)
	}
	status, fraud, ok := "", "", false
	if o != nil {
		status, fraud, ok = o.current()
		if f.Kind == FaultStale && len(o.history) > 1 {
			h := o.history[len(o.history)-2]
			status, fraud = h[0], h[1]
		}
	}
	if !ok {
		code := 200
		if st.variants.NotFoundHTTP404 {
			code = 404
		}
		writeJSON(w, code, map[string]string{"status_code": "404", "status_message": "Transaction doesn't exist.", "id": s.newUUID()})
		return
	}
	code := mtStatusCode(status, fraud)
	gross := strconv.FormatInt(o.Paid, 10) + ".00"
	sig := midtransSignature(o.OrderID, code, gross, s.cfg.Credentials.MidtransServerKey)
	if o.tamper {
		sig = midtransSignature(o.OrderID, code, gross, "not-the-server-key")
	}
	word := status
	if st.variants.UppercaseStatus {
		word = strings.ToUpper(word)
	}
	m := map[string]any{
		"status_code": code, "status_message": "Success, transaction is found",
		"transaction_id": o.TxID, "order_id": o.OrderID, "gross_amount": gross, "currency": "IDR",
		"payment_type": o.PaymentType, "transaction_time": o.Created.In(wib).Format(time.DateTime),
		"transaction_status": word, "signature_key": sig, "merchant_id": "G000000000",
		"expiry_time": o.Expiry.In(wib).Format(time.DateTime),
	}
	if status == "expire" {
		// The documented expire answer carries no signature_key (the
		// SDK's stub, wire fixture core_expire_sdk.http); the adapter
		// accepts an unsigned state that settles nothing.
		delete(m, "signature_key")
	}
	if fraud != "" {
		m["fraud_status"] = fraud
	}
	switch o.PaymentType {
	case "credit_card":
		// The card fields of the documented notifications (wire fixtures
		// core_notif_*_doc.http from the 3DS reference page).
		m["masked_card"], m["bank"], m["eci"], m["card_type"], m["three_ds_version"] = "48111111-1114", "bni", "05", "credit", "2"
		m["channel_response_code"], m["channel_response_message"] = "00", "Approved"
		m["approval_code"] = fmt.Sprintf("%06d", o.Created.UnixNano()%1e6)
		if status == "deny" {
			m["eci"], m["channel_response_code"], m["channel_response_message"] = "06", "05", "Do not honor"
		}
	case "bank_transfer":
		// As the documented BNI VA notification (core_notif_bni_va_settlement_doc.http).
		m["va_numbers"] = []map[string]string{{"bank": "bni", "va_number": fmt.Sprintf("8808%012d", o.Created.UnixNano()%1e12)}}
		paid := []map[string]string{}
		if status == "settlement" {
			paid = append(paid, map[string]string{"paid_at": o.Settled.In(wib).Format(time.DateTime), "amount": gross})
		}
		m["payment_amounts"] = paid
	}
	if !o.Settled.IsZero() && (status == "settlement" || status == "capture") {
		m["settlement_time"] = o.Settled.In(wib).Format(time.DateTime)
	}
	writeJSON(w, 200, m)
}

// wib is GMT+7, the zone of Midtrans's times.
var wib = time.FixedZone("WIB", 7*3600)

// mtExpireDue lets a pending transaction expire once its time is up. An
// order whose buyer never chose a method stays "doesn't exist". s.mu held.
func (s *Server) mtExpireDue(o *mtOrder) {
	if status, _, ok := o.current(); ok && status == "pending" && !s.now().Before(o.Expiry) {
		o.history = append(o.history, [2]string{"expire", ""})
	}
}

// mtSettleDue settles an accepted card capture once its settlement time has
// come (capture, then settlement: the documented card flow). s.mu held.
func (s *Server) mtSettleDue(o *mtOrder) {
	if status, fraud, ok := o.current(); ok && status == "capture" && fraud == "accept" && !o.settleAt.IsZero() && !s.now().Before(o.settleAt) {
		o.history = append(o.history, [2]string{"settlement", "accept"})
		o.Settled = o.settleAt
	}
}

// MidtransChoose is the buyer choosing a payment method: the transaction
// becomes pending (before this, Core status says 404).
func (s *Server) MidtransChoose(orderID, paymentType string) error {
	return s.mtSet(orderID, func(o *mtOrder, cur string, ok bool) error {
		if ok {
			return fmt.Errorf("sandbox: midtrans order %q is %s: %w", orderID, cur, domain.ErrInvalidTransition)
		}
		if paymentType == "" {
			paymentType = "bank_transfer"
		}
		o.PaymentType = paymentType
		// Non-card methods report fraud_status accept while pending (the
		// documented bank transfer samples); a card waiting for 3DS does not.
		fraud := "accept"
		if paymentType == "credit_card" {
			fraud = ""
		}
		o.history = append(o.history, [2]string{"pending", fraud})
		return nil
	})
}

// PayMidtrans makes the buyer pay: settlement, or with fraud "challenge" a
// card capture held for review. An order whose buyer chose credit_card
// (MidtransChoose) is captured with fraud_status accept first and settles
// one Step later, as Midtrans documents card payments. amount 0 pays the
// gross amount; another amount makes gross_amount differ from the order
// (amount mismatch test).
func (s *Server) PayMidtrans(orderID string, amount domain.Rupiah, fraud string) error {
	return s.mtSet(orderID, func(o *mtOrder, cur string, ok bool) error {
		if ok && cur != "pending" {
			return fmt.Errorf("sandbox: midtrans order %q is %s: %w", orderID, cur, domain.ErrInvalidTransition)
		}
		if !ok {
			o.PaymentType = "bank_transfer"
		}
		if amount > 0 {
			o.Paid = int64(amount)
		}
		switch fraud {
		case "", "accept":
			if o.PaymentType == "credit_card" {
				o.history = append(o.history, [2]string{"capture", "accept"})
				o.settleAt = s.now().Add(s.cfg.Step)
				return nil
			}
			o.history = append(o.history, [2]string{"settlement", "accept"})
			o.Settled = s.now()
		case "challenge":
			o.PaymentType = "credit_card"
			o.history = append(o.history, [2]string{"capture", "challenge"})
		default:
			return fmt.Errorf("sandbox: fraud status %q: %w", fraud, domain.ErrInvalid)
		}
		return nil
	})
}

// SetMidtransStatus forces a transaction_status ("expire", "deny",
// "cancel", "failure", "refund", "settlement", ...) with an optional
// fraud_status.
func (s *Server) SetMidtransStatus(orderID, status, fraud string) error {
	return s.mtSet(orderID, func(o *mtOrder, _ string, ok bool) error {
		if !ok && o.PaymentType == "" {
			o.PaymentType = "bank_transfer"
		}
		o.history = append(o.history, [2]string{status, fraud})
		if status == "settlement" {
			o.Settled = s.now()
		}
		return nil
	})
}

// TamperMidtrans makes status answers for the order carry a wrong signature_key.
func (s *Server) TamperMidtrans(orderID string) error {
	return s.mtSet(orderID, func(o *mtOrder, _ string, _ bool) error { o.tamper = true; return nil })
}

func (s *Server) mtSet(orderID string, fn func(o *mtOrder, cur string, ok bool) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	o := s.mt().orders[orderID]
	if o == nil {
		return fmt.Errorf("sandbox: midtrans order %q: %w", orderID, domain.ErrNotFound)
	}
	s.mtExpireDue(o)
	cur, _, ok := o.current()
	return fn(o, cur, ok)
}

// mtPayPage is the buyer's side of a Snap transaction: GET shows it, POST pays.
func (s *Server) mtPayPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	msg := ""
	if r.Method == http.MethodPost {
		if err := s.PayMidtrans(id, 0, ""); err != nil {
			http.Error(w, "cannot pay this order now", http.StatusConflict)
			return
		}
		msg = "<p>Terima kasih, pembayaran diterima.</p>"
	}
	s.mu.Lock()
	o := s.mt().orders[id]
	var gross int64
	if o != nil {
		gross = o.Gross
	}
	s.mu.Unlock()
	if o == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Midtrans sandbox</title><h1>Order %s</h1><p>Total Rp%d</p>%s<form method="post"><button>Bayar</button></form>`,
		html.EscapeString(id), gross, msg)
}

// mountMidtransControl adds the Midtrans and Iris control endpoints:
//
//	POST /_control/midtrans/orders/{id}/choose  {"payment_type"}
//	POST /_control/midtrans/orders/{id}/pay     {"amount","fraud"}
//	POST /_control/midtrans/orders/{id}/status  {"status","fraud"}
//	POST /_control/midtrans/orders/{id}/tamper
//	POST /_control/iris/payouts/{ref}/reverse   (completed -> failed, bank refund)
func (s *Server) mountMidtransControl(mux *http.ServeMux) {
	mux.HandleFunc("POST /_control/midtrans/orders/{id}/choose", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			PaymentType string `json:"payment_type"`
		}
		if r.ContentLength != 0 && !readJSON(w, r, &b) {
			return
		}
		controlResult(w, s.MidtransChoose(r.PathValue("id"), b.PaymentType))
	})
	mux.HandleFunc("POST /_control/midtrans/orders/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Amount domain.Rupiah `json:"amount"`
			Fraud  string        `json:"fraud"`
		}
		if r.ContentLength != 0 && !readJSON(w, r, &b) {
			return
		}
		controlResult(w, s.PayMidtrans(r.PathValue("id"), b.Amount, b.Fraud))
	})
	mux.HandleFunc("POST /_control/midtrans/orders/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Status string `json:"status"`
			Fraud  string `json:"fraud"`
		}
		if !readJSON(w, r, &b) {
			return
		}
		controlResult(w, s.SetMidtransStatus(r.PathValue("id"), b.Status, b.Fraud))
	})
	mux.HandleFunc("POST /_control/midtrans/orders/{id}/tamper", func(w http.ResponseWriter, r *http.Request) {
		controlResult(w, s.TamperMidtrans(r.PathValue("id")))
	})
	mux.HandleFunc("POST /_control/iris/payouts/{ref}/reverse", func(w http.ResponseWriter, r *http.Request) {
		controlResult(w, s.ReverseIrisPayout(r.PathValue("ref")))
	})
}

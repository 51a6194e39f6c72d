package sandbox

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
)

// An OtomaX-style H2H supplier in the sandbox (reference §9), following the
// REFID seed: a request whose refID the supplier already knows is never
// processed again, whatever its status (even GAGAL); the reply only reports
// that earlier status. Paths:
//
//	GET  /h2h/trx?memberID&product&dest&qty&refID&sign   transaction
//	GET  /h2h/trx?memberID&refID&check=1&sign            status check
//	GET  /h2h/balance?memberID&sign                      balance
//	POST /h2h/text   text/plain message:                 (Jabber/Telegram style)
//	     [product].[dest].[qty].[pin].R#[refid] | CEK.R#[refid].[pin] | SAL.[pin]
//
// sign = base64url_nopad(sha1("OtomaX|member|product|dest|refID|pin|password"))
// over the values as sent (empty when absent). Endpoint names for faults:
// "h2h.trx" (transactions and status checks), "h2h.balance", "h2h.text".
// Book channel "h2h".
//
// Replies use the layout and words of the documented R# style (Klikoo:
// SUCCESS, FAILED, INPROGRESS; see reply). Test destinations: H2HFailDest
// fails (FAILED, REASON: NOMOR TIDAK VALID), H2HStuckDest stays INPROGRESS;
// any other destination succeeds one Step after the request. A request under
// FaultReverse succeeds, then is refunded (REFUND, the sandbox's own word)
// three Steps after the request. Products: any code of 1-16 capital letters and digits.

// H2HPath is the H2H supplier's base path: its adapter's BaseURL is
// URL+H2HPath (templates then name "trx", "balance"; the text transport
// posts to "text").
const H2HPath = "/h2h/"

// Sandbox H2H test destinations.
const (
	H2HFailDest  = "081200000040"
	H2HStuckDest = "081200000001"
)

// FaultWrongRefID makes the next H2H reply name another REFID (the "salah
// kamar" case the REFID guards against). Applies to the h2h endpoints.
const FaultWrongRefID FaultKind = "wrong_refid"

type h2hTrx struct {
	s                           *Server
	RefID, Product, Dest, TrxID string
	Qty                         domain.Rupiah
	Created                     time.Time
	tl                          *Timeline
	debited                     bool
	Serial                      string
	balanceAfter                domain.Rupiah
}

type h2hState struct {
	trx   map[string]*h2hTrx
	order []string
}

func (s *Server) h2h() *h2hState { return s.ext["h2h"].(*h2hState) }

func (s *Server) mountH2H(mux *http.ServeMux) {
	s.ext["h2h"] = &h2hState{trx: map[string]*h2hTrx{}}
	s.errw["h2h"] = func(w http.ResponseWriter, status int, code, msg string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, strings.ToUpper(msg))
	}
	s.route(mux, "GET /h2h/trx", "h2h.trx", s.h2hQuery)
	s.route(mux, "GET /h2h/balance", "h2h.balance", s.h2hQueryBalance)
	s.route(mux, "POST /h2h/text", "h2h.text", s.h2hText)
}

func h2hSign(member, product, dest, refID, pin, password string) string {
	sum := sha1.Sum([]byte("OtomaX|" + member + "|" + product + "|" + dest + "|" + refID + "|" + pin + "|" + password))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (t *h2hTrx) advance(now time.Time) bool { return t.tl.Advance(now, t.enter) }

// nextDue lets advance skip its scan until this transaction's next change.
func (t *h2hTrx) nextDue() (time.Time, bool) { return t.tl.NextDue() }

func (t *h2hTrx) enter(st Step) {
	s := t.s
	switch st.Status {
	case "SUKSES":
		t.Serial = fmt.Sprintf("%d%06d", t.Created.Unix()%100000, s.nextID())
		s.recordPaid("h2h", t.RefID, t.Dest, t.Qty)
	case "GAGAL":
		if t.debited {
			s.credit("h2h", t.Qty)
			t.debited = false
		}
	case "REFUND":
		if t.debited {
			s.credit("h2h", t.Qty)
			t.debited = false
		}
		s.recordReversed("h2h", t.RefID)
	}
}

// dotted formats 97392993 as 97.392.993.
func dotted(r domain.Rupiah) string {
	s := strconv.FormatInt(int64(r), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// reply writes the reply for the transaction's status at the current (or,
// stale, previous) step, naming refID, in the layout and words of the
// documented R# style (Klikoo; gateways/h2h/testdata/wire/klikoo_*.http):
//
//	R#<refid> <product>. <dest> SUCCESS. SN: <sn>. TRXID: <id>. SISA SALDO: <a> - <b> = <c> @<time>&refid=<refid>
//	R#<refid> <product>. <dest> FAILED. REASON: <why>. TRXID: <id>. SISA SALDO: <a> - 0 = <a> @<time>&refid=<refid>
//	R#<refid> <product>. <dest> INPROGRESS. TRXID: <id>. @<time>
//
// The REFUND reply (a success undone) is the sandbox's own: no supplier
// publishes one.
func (t *h2hTrx) reply(refID string, stale bool) string {
	st := t.tl.Current()
	if stale {
		if prev, ok := t.tl.Previous(); ok {
			st = prev
		}
	}
	at := t.tl.Changed().In(wib).Format("15:04:05.000000 02/01/2006")
	head := fmt.Sprintf("R#%s %s. %s", refID, t.Product, t.Dest)
	switch st.Status {
	case "SUKSES":
		saldo := fmt.Sprintf("SISA SALDO: %s - %s = %s", dotted(t.balanceAfter+t.Qty), dotted(t.Qty), dotted(t.balanceAfter))
		return fmt.Sprintf("%s SUCCESS. SN: %s. TRXID: %s. %s @%s&refid=%s", head, t.Serial, t.TrxID, saldo, at, refID)
	case "GAGAL":
		saldo := fmt.Sprintf("SISA SALDO: %s - 0 = %s", dotted(t.s.balance("h2h")), dotted(t.s.balance("h2h")))
		return fmt.Sprintf("%s FAILED. REASON: %s. TRXID: %s. %s @%s&refid=%s", head, st.Code, t.TrxID, saldo, at, refID)
	case "REFUND":
		return fmt.Sprintf("%s REFUND. REASON: %s. TRXID: %s. @%s&refid=%s", head, st.Code, t.TrxID, at, refID)
	}
	return fmt.Sprintf("%s INPROGRESS. TRXID: %s. @%s", head, t.TrxID, at)
}

var (
	h2hField   = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,64}$`)
	h2hProduct = regexp.MustCompile(`^[A-Z0-9]{1,16}$`)
)

// h2hRequest is one parsed request, from either transport.
type h2hRequest struct {
	check, balance bool
	product, dest  string
	qty, refID     string
}

// h2hDo runs a request whose credentials were checked and returns the reply
// text. s.mu must not be held.
func (s *Server) h2hDo(req h2hRequest, f Fault) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	st := s.h2h()
	if req.balance {
		return 200, fmt.Sprintf("SALDO ANDA: Rp %s @%s", dotted(s.balance("h2h")), s.now().In(wib).Format("15:04:05"))
	}
	if !h2hField.MatchString(req.refID) {
		return 200, "FORMAT SALAH. REFID TIDAK VALID"
	}
	name := req.refID
	if f.Kind == FaultWrongRefID {
		name = req.refID + "9"
	}
	if t := st.trx[req.refID]; t != nil {
		// The REFID rule: never process a known REFID again, only report.
		return 200, t.reply(name, f.Kind == FaultStale)
	}
	if req.check {
		return 200, fmt.Sprintf("R#%s TIDAK DITEMUKAN. @%s&refid=%s", name, s.now().In(wib).Format("15:04:05"), name)
	}
	qty, err := strconv.ParseInt(req.qty, 10, 64)
	// Refused requests are answered as Klikoo's "Failed Dana Open Denom
	// without Amount": no transaction id, no balance, no &refid suffix.
	at := s.now().In(wib).Format("15:04:05.000000 02/01/2006")
	switch {
	case !h2hProduct.MatchString(req.product):
		return 200, fmt.Sprintf("R#%s %s FAILED. REASON: PRODUK TIDAK TERSEDIA. TRXID: -. @%s", name, strings.ToUpper(clipText(req.product)), at)
	case !h2hField.MatchString(req.dest):
		return 200, fmt.Sprintf("R#%s %s FAILED. REASON: NOMOR TUJUAN SALAH. TRXID: -. @%s", name, req.product, at)
	case err != nil || qty < 1:
		return 200, fmt.Sprintf("R#%s %s FAILED. REASON: Amount must be in numbers only. TRXID: -. @%s", name, req.product, at)
	}
	now := s.now()
	t := &h2hTrx{s: s, RefID: req.refID, Product: req.product, Dest: req.dest, Qty: domain.Rupiah(qty),
		Created: now, TrxID: s.newUUID()}
	switch {
	case !s.debit("h2h", t.Qty):
		t.tl = NewTimeline(now, Step{Status: "GAGAL", Code: "SALDO TIDAK CUKUP"})
	case req.dest == H2HFailDest:
		t.debited = true
		t.tl = NewTimeline(now, Step{Status: "PROSES"}, Step{After: s.cfg.Step, Status: "GAGAL", Code: "NOMOR TIDAK VALID"})
	case req.dest == H2HStuckDest:
		t.debited = true
		t.tl = NewTimeline(now, Step{Status: "PROSES"})
	case f.Kind == FaultReverse:
		t.debited = true
		t.tl = NewTimeline(now, Step{Status: "PROSES"}, Step{After: s.cfg.Step, Status: "SUKSES"},
			Step{After: 3 * s.cfg.Step, Status: "REFUND", Code: "DANA DIKEMBALIKAN BANK"})
	default:
		t.debited = true
		t.tl = NewTimeline(now, Step{Status: "PROSES"}, Step{After: s.cfg.Step, Status: "SUKSES"})
	}
	t.balanceAfter = s.balance("h2h")
	st.trx[t.RefID] = t
	st.order = append(st.order, t.RefID)
	for len(st.order) > s.cfg.MaxObjects {
		delete(st.trx, st.order[0])
		st.order = st.order[1:]
	}
	if t.tl.Pending() {
		s.track(t)
	}
	return 200, t.reply(name, false)
}

func clipText(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}

func (s *Server) h2hCredsOK(member, sign, product, dest, refID string) bool {
	c := s.cfg.Credentials
	want := h2hSign(member, product, dest, refID, c.H2HPin, c.H2HPassword)
	return subtle.ConstantTimeCompare([]byte(member), []byte(c.H2HMemberID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(sign), []byte(want)) == 1
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, text)
}

func (s *Server) h2hQuery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := h2hRequest{check: q.Get("check") == "1", product: q.Get("product"), dest: q.Get("dest"), qty: q.Get("qty"), refID: q.Get("refID")}
	if !s.h2hCredsOK(q.Get("memberID"), q.Get("sign"), req.product, req.dest, req.refID) {
		writeText(w, http.StatusForbidden, "MEMBER ATAU SIGN TIDAK VALID")
		return
	}
	f, _ := faultOf(r)
	writeText(w, 200, s.h2hReply(req, f))
}

func (s *Server) h2hReply(req h2hRequest, f Fault) string {
	_, text := s.h2hDo(req, f)
	return text
}

func (s *Server) h2hQueryBalance(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !s.h2hCredsOK(q.Get("memberID"), q.Get("sign"), "", "", "") {
		writeText(w, http.StatusForbidden, "MEMBER ATAU SIGN TIDAK VALID")
		return
	}
	writeText(w, 200, s.h2hReply(h2hRequest{balance: true}, Fault{}))
}

var (
	h2hTextTrx     = regexp.MustCompile(`^([^.\s]+)\.([^.\s]+)\.([^.\s]+)\.([^.\s]+)\.R#(\S+)$`)
	h2hTextCheck   = regexp.MustCompile(`^CEK\.R#([^.\s]+)\.([^.\s]+)$`)
	h2hTextBalance = regexp.MustCompile(`^SAL\.(\S+)$`)
)

func (s *Server) h2hText(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		return
	}
	msg := strings.TrimSpace(string(b))
	pinOK := func(pin string) bool {
		return subtle.ConstantTimeCompare([]byte(pin), []byte(s.cfg.Credentials.H2HPin)) == 1
	}
	f, _ := faultOf(r)
	var req h2hRequest
	var pin string
	switch {
	case h2hTextBalance.MatchString(msg):
		pin, req.balance = h2hTextBalance.FindStringSubmatch(msg)[1], true
	case h2hTextCheck.MatchString(msg):
		m := h2hTextCheck.FindStringSubmatch(msg)
		req.refID, pin, req.check = m[1], m[2], true
	case h2hTextTrx.MatchString(msg):
		m := h2hTextTrx.FindStringSubmatch(msg)
		req.product, req.dest, req.qty, pin, req.refID = m[1], m[2], m[3], m[4], m[5]
	default:
		writeText(w, 200, "FORMAT SALAH")
		return
	}
	if !pinOK(pin) {
		writeText(w, 200, "PIN SALAH")
		return
	}
	writeText(w, 200, s.h2hReply(req, f))
}

// H2HStatus returns the supplier's status word for refID ("" if unknown).
func (s *Server) H2HStatus(refID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	if t := s.h2h().trx[refID]; t != nil {
		return t.tl.Current().Status
	}
	return ""
}

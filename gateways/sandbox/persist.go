package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lunas/domain"
)

// A sandbox opened with Open keeps its books in a file across restarts, so a
// test can restart the "gateway" in the middle of a payout (lunas sandbox
// --data FILE). What is kept: the sandbox clock, every channel's balance,
// the payout book, and the payouts of every payout channel with their
// idempotency keys and when each key was first used (Xendit payouts and
// invoices, Iris payouts and keys, H2H transactions, Kirim DOKU transfers and
// X-EXTERNAL-IDs, DOKU access tokens and inquiry sessions), and the buyer
// payments of every payment gateway (Xendit invoices, Midtrans Snap/Core
// orders, DOKU Checkout orders, iPaymu transactions). A restarted
// sandbox therefore answers a same-key create as the same gateway would,
// and forgets a key exactly when Config.KeyPurge says, counted from its first
// use, whatever restarts happened in between. Not kept: fault rules,
// rate-limit windows, hit counts and the Midtrans wire variants.
//
// The file is written (to a temporary file, then renamed) after every
// request that changed something, before that request's answer leaves: an
// answer the client saw is never lost by a restart, even a SIGKILL.

// snapshotVersion is the file format; a file of another version is refused.
const snapshotVersion = 1

type snapshot struct {
	Version  int                      `json:"version"`
	Now      time.Time                `json:"now"`    // sandbox time when saved
	Offset   time.Duration            `json:"offset"` // Advance/SetNow offset over the clock
	Seq      uint64                   `json:"seq"`
	Balances map[string]domain.Rupiah `json:"balances"`
	Book     []Payout                 `json:"book"`
	Xendit   []xPayoutRec             `json:"xendit_payouts"`
	Invoices []xInvoiceRec            `json:"xendit_invoices"`
	Iris     []irisPayoutRec          `json:"iris_payouts"`
	IrisKeys map[string]irisKeyRec    `json:"iris_keys"`
	H2H      []h2hRec                 `json:"h2h"`
	DOKU     []dokuRec                `json:"doku_transfers"`
	DOKUExt  map[string]time.Time     `json:"doku_external_ids"`
	DOKUSess map[string]dokuSession   `json:"doku_sessions"`
	DOKUTok  map[string]time.Time     `json:"doku_tokens"`

	Midtrans   []mtOrderRec            `json:"midtrans_orders"`
	DOKUOrders map[string]dokuOrderRec `json:"doku_orders"`
	Ipaymu     []ipTx                  `json:"ipaymu"`
	IpaymuSeq  int64                   `json:"ipaymu_seq"`
}

type mtOrderRec struct {
	OrderID, TxID, Token, PaymentType string
	Gross, Paid                       int64
	Created, Expiry, Settled          time.Time
	History                           [][2]string
	Tamper                            bool
	SettleAt                          time.Time
}

type dokuOrderRec struct {
	Order  dokuOrder
	Tamper bool
}

// timelineRec is a Timeline with the steps it reached.
type timelineRec struct {
	Start   time.Time `json:"start"`
	Steps   []Step    `json:"steps"`
	Reached int       `json:"reached"`
	Changed time.Time `json:"changed"`
}

func recTimeline(t *Timeline) timelineRec {
	return timelineRec{Start: t.Start, Steps: t.Steps, Reached: t.reached, Changed: t.changed}
}

func (r timelineRec) timeline() (*Timeline, error) {
	if len(r.Steps) == 0 || r.Reached < 1 || r.Reached > len(r.Steps) {
		return nil, fmt.Errorf("timeline with %d steps, %d reached", len(r.Steps), r.Reached)
	}
	return &Timeline{Start: r.Start, Steps: r.Steps, reached: r.Reached, changed: r.Changed}, nil
}

type xPayoutRec struct {
	ID      string        `json:"id"`
	Key     string        `json:"key"`
	Hash    [32]byte      `json:"hash"`
	Req     xPayoutReq    `json:"req"`
	Amount  domain.Rupiah `json:"amount"`
	Account string        `json:"account"`
	Created time.Time     `json:"created"`
	TL      timelineRec   `json:"timeline"`
	Debited bool          `json:"debited"`
}

type xInvoiceRec struct {
	ID, ExternalID, Description, PayerEmail, URL, Success, Failure string
	Amount, PaidAmount                                             int64
	Created, Expiry, PaidAt                                        time.Time
	TL                                                             timelineRec
}

type irisPayoutRec struct {
	Ref, Name, Account, Bank, Email, Notes string
	Amount                                 domain.Rupiah
	Created                                time.Time
	TL                                     timelineRec
	Debited, Reverse                       bool
}

type irisKeyRec struct {
	Hash    [32]byte  `json:"hash"`
	Resp    []byte    `json:"resp"`
	Created time.Time `json:"created"`
}

type h2hRec struct {
	RefID, Product, Dest, TrxID, Serial string
	Qty, BalanceAfter                   domain.Rupiah
	Created                             time.Time
	TL                                  timelineRec
	Debited                             bool
}

type dokuRec struct {
	Ref, RefID, Account, Bank, ExternalID string
	Amount                                domain.Rupiah
	Created                               time.Time
	TL                                    timelineRec
	Debited                               bool
	Live                                  bool // the one st.transfers names for its REFID
}

// persister is the file a sandbox opened with Open keeps its books in.
type persister struct {
	path string
	mu   sync.Mutex // one save at a time, so saves land in order
	last []byte
}

// Open returns a sandbox that keeps its books and idempotency keys in the
// file at path: loaded from it when it exists, written back after every
// request that changed them (see the comment at the top of persist.go). The
// sandbox clock never goes back across a restart: if cfg.Clock is earlier
// than the time last saved, the sandbox starts at the saved time.
func Open(cfg Config, path string) (*Server, error) {
	if path == "" {
		return nil, errors.New("sandbox: no data file")
	}
	s := New(cfg)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("sandbox: read %s: %w", path, err)
	default:
		if err := s.restore(b); err != nil {
			return nil, fmt.Errorf("sandbox: %s: %w", path, err)
		}
	}
	s.store = &persister{path: path}
	if err := s.Save(); err != nil {
		return nil, err
	}
	return s, nil
}

// ErrClockBackwards refuses to move the sandbox clock back: its books would
// show payouts made in the future.
var ErrClockBackwards = errors.New("sandbox: the clock cannot go back")

// SetNow moves the sandbox clock forward to t (a settable clock for a
// restarted, time-sensitive test) and applies every change that became due.
func (s *Server) SetNow(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if t.Before(now) {
		return fmt.Errorf("%w: it is %s, asked for %s", ErrClockBackwards, now.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	s.offset += t.Sub(now)
	s.advance()
	return nil
}

// Save writes the sandbox's books to its data file now; it does nothing
// for a sandbox made with New. Requests save by themselves; tests that
// change the sandbox through Go methods (Advance, SetBalance) call Save.
func (s *Server) Save() error {
	p := s.store
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s.mu.Lock()
	s.advance()
	b, err := json.Marshal(s.snapshot())
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sandbox: save: %w", err)
	}
	if bytes.Equal(b, p.last) {
		return nil
	}
	if err := writeFileAtomic(p.path, b); err != nil {
		return fmt.Errorf("sandbox: save %s: %w", p.path, err)
	}
	p.last = b
	return nil
}

func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// snapshot collects what is kept, with s.mu held.
func (s *Server) snapshot() snapshot {
	sn := snapshot{Version: snapshotVersion, Now: s.now(), Offset: s.offset, Seq: s.seq,
		Balances: s.balances, IrisKeys: map[string]irisKeyRec{}}
	for _, k := range s.bookSeq {
		if p := s.book[k]; p != nil {
			sn.Book = append(sn.Book, *p)
		}
	}
	for _, id := range s.x.order {
		if p := s.x.payouts[id]; p != nil {
			sn.Xendit = append(sn.Xendit, xPayoutRec{ID: p.ID, Key: p.Key, Hash: p.Hash, Req: p.Req, Amount: p.Amount,
				Account: p.Account, Created: p.Created, TL: recTimeline(p.tl), Debited: p.debited})
		}
	}
	for _, id := range s.x.invOrder {
		if v := s.x.invoices[id]; v != nil {
			sn.Invoices = append(sn.Invoices, xInvoiceRec{ID: v.ID, ExternalID: v.ExternalID, Description: v.Description,
				PayerEmail: v.PayerEmail, URL: v.URL, Success: v.Success, Failure: v.Failure, Amount: v.Amount,
				PaidAmount: v.PaidAmount, Created: v.Created, Expiry: v.Expiry, PaidAt: v.PaidAt, TL: recTimeline(v.tl)})
		}
	}
	ir := s.iris()
	for _, ref := range ir.order {
		if p := ir.payouts[ref]; p != nil {
			sn.Iris = append(sn.Iris, irisPayoutRec{Ref: p.Ref, Name: p.Name, Account: p.Account, Bank: p.Bank, Email: p.Email,
				Notes: p.Notes, Amount: p.Amount, Created: p.Created, TL: recTimeline(p.tl), Debited: p.debited, Reverse: p.reverse})
		}
	}
	for k, v := range ir.keys {
		sn.IrisKeys[k] = irisKeyRec{Hash: v.hash, Resp: v.resp, Created: v.created}
	}
	h := s.h2h()
	for _, ref := range h.order {
		if t := h.trx[ref]; t != nil {
			sn.H2H = append(sn.H2H, h2hRec{RefID: t.RefID, Product: t.Product, Dest: t.Dest, TrxID: t.TrxID, Serial: t.Serial,
				Qty: t.Qty, BalanceAfter: t.balanceAfter, Created: t.Created, TL: recTimeline(t.tl), Debited: t.debited})
		}
	}
	d := s.dk()
	for _, t := range d.all {
		sn.DOKU = append(sn.DOKU, dokuRec{Ref: t.Ref, RefID: t.RefID, Account: t.Account, Bank: t.Bank, ExternalID: t.ExternalID,
			Amount: t.Amount, Created: t.Created, TL: recTimeline(t.tl), Debited: t.debited, Live: d.transfers[t.RefID] == t})
	}
	sn.DOKUExt, sn.DOKUSess, sn.DOKUTok = d.external, d.sessions, d.tokens
	sn.DOKUOrders = map[string]dokuOrderRec{}
	for k, o := range d.orders {
		sn.DOKUOrders[k] = dokuOrderRec{Order: *o, Tamper: o.tamper}
	}
	mt := s.mt()
	for _, id := range mt.order {
		if o := mt.orders[id]; o != nil {
			sn.Midtrans = append(sn.Midtrans, mtOrderRec{OrderID: o.OrderID, TxID: o.TxID, Token: o.Token, PaymentType: o.PaymentType,
				Gross: o.Gross, Paid: o.Paid, Created: o.Created, Expiry: o.Expiry, Settled: o.Settled, History: o.history,
				Tamper: o.tamper, SettleAt: o.settleAt})
		}
	}
	ip := s.ip()
	for _, t := range ip.order {
		sn.Ipaymu = append(sn.Ipaymu, *t)
	}
	sn.IpaymuSeq = ip.seq
	return sn
}

// restore loads a snapshot into a new server (nothing served yet).
func (s *Server) restore(b []byte) error {
	var sn snapshot
	if err := json.Unmarshal(b, &sn); err != nil {
		return fmt.Errorf("not a sandbox data file: %w", err)
	}
	if sn.Version != snapshotVersion {
		return fmt.Errorf("data file version %d, this sandbox reads %d", sn.Version, snapshotVersion)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = sn.Offset
	if now := s.now(); now.Before(sn.Now) {
		s.offset += sn.Now.Sub(now) // never back: the books would be in the future
	}
	s.seq = sn.Seq
	for ch, v := range sn.Balances {
		s.balances[ch] = v
	}
	for i := range sn.Book {
		p := sn.Book[i]
		k := bookKey{p.Channel, p.RefID}
		s.book[k] = &p
		s.bookSeq = append(s.bookSeq, k)
	}
	for _, r := range sn.Xendit {
		tl, err := r.TL.timeline()
		if err != nil {
			return fmt.Errorf("xendit payout %s: %w", r.ID, err)
		}
		p := &xPayout{s: s, ID: r.ID, Key: r.Key, Hash: r.Hash, Req: r.Req, Amount: r.Amount, Account: r.Account,
			Created: r.Created, tl: tl, debited: r.Debited}
		s.x.payouts[p.ID] = p
		s.x.byKey[p.Key] = p // later payouts under a purged key replace earlier ones, as when they were made
		s.x.byRef[p.Req.ReferenceID] = append(s.x.byRef[p.Req.ReferenceID], p)
		s.x.order = append(s.x.order, p.ID)
		s.trackIfPending(p, tl)
	}
	for _, r := range sn.Invoices {
		tl, err := r.TL.timeline()
		if err != nil {
			return fmt.Errorf("xendit invoice %s: %w", r.ID, err)
		}
		v := &xInvoice{ID: r.ID, ExternalID: r.ExternalID, Description: r.Description, PayerEmail: r.PayerEmail, URL: r.URL,
			Success: r.Success, Failure: r.Failure, Amount: r.Amount, PaidAmount: r.PaidAmount, Created: r.Created,
			Expiry: r.Expiry, PaidAt: r.PaidAt, tl: tl}
		s.x.invoices[v.ID] = v
		s.x.invByExt[v.ExternalID] = append(s.x.invByExt[v.ExternalID], v)
		s.x.invOrder = append(s.x.invOrder, v.ID)
		s.trackIfPending(v, tl)
	}
	ir := s.iris()
	for _, r := range sn.Iris {
		tl, err := r.TL.timeline()
		if err != nil {
			return fmt.Errorf("iris payout %s: %w", r.Ref, err)
		}
		p := &irisPayout{s: s, Ref: r.Ref, Name: r.Name, Account: r.Account, Bank: r.Bank, Email: r.Email, Notes: r.Notes,
			Amount: r.Amount, Created: r.Created, tl: tl, debited: r.Debited, reverse: r.Reverse}
		ir.payouts[p.Ref] = p
		ir.order = append(ir.order, p.Ref)
		s.trackIfPending(p, tl)
	}
	for k, v := range sn.IrisKeys {
		ir.keys[k] = &irisKey{hash: v.Hash, resp: v.Resp, created: v.Created}
	}
	h := s.h2h()
	for _, r := range sn.H2H {
		tl, err := r.TL.timeline()
		if err != nil {
			return fmt.Errorf("h2h %s: %w", r.RefID, err)
		}
		t := &h2hTrx{s: s, RefID: r.RefID, Product: r.Product, Dest: r.Dest, TrxID: r.TrxID, Serial: r.Serial, Qty: r.Qty,
			balanceAfter: r.BalanceAfter, Created: r.Created, tl: tl, debited: r.Debited}
		h.trx[t.RefID] = t
		h.order = append(h.order, t.RefID)
		s.trackIfPending(t, tl)
	}
	d := s.dk()
	for _, r := range sn.DOKU {
		tl, err := r.TL.timeline()
		if err != nil {
			return fmt.Errorf("doku transfer %s: %w", r.Ref, err)
		}
		t := &dokuTransfer{s: s, Ref: r.Ref, RefID: r.RefID, Account: r.Account, Bank: r.Bank, ExternalID: r.ExternalID,
			Amount: r.Amount, Created: r.Created, tl: tl, debited: r.Debited}
		d.all = append(d.all, t)
		if r.Live {
			d.transfers[t.RefID] = t
		}
		s.trackIfPending(t, tl)
	}
	for k, v := range sn.DOKUExt {
		d.external[k] = v
	}
	for k, v := range sn.DOKUSess {
		d.sessions[k] = v
	}
	for k, v := range sn.DOKUTok {
		d.tokens[k] = v
	}
	for k, r := range sn.DOKUOrders {
		o := r.Order
		o.tamper = r.Tamper
		d.orders[k] = &o
	}
	mt := s.mt()
	for _, r := range sn.Midtrans {
		mt.orders[r.OrderID] = &mtOrder{OrderID: r.OrderID, TxID: r.TxID, Token: r.Token, PaymentType: r.PaymentType,
			Gross: r.Gross, Paid: r.Paid, Created: r.Created, Expiry: r.Expiry, Settled: r.Settled, history: r.History,
			tamper: r.Tamper, settleAt: r.SettleAt}
		mt.order = append(mt.order, r.OrderID)
	}
	ip := s.ip()
	for i := range sn.Ipaymu {
		t := sn.Ipaymu[i]
		ip.byID[t.ID], ip.bySID[t.SessionID] = &t, &t
		if t.Ref != "" {
			ip.byRef[t.Ref] = &t
		}
		ip.order = append(ip.order, &t)
	}
	if sn.IpaymuSeq > ip.seq {
		ip.seq = sn.IpaymuSeq
	}
	s.rescan = true
	return nil
}

func (s *Server) trackIfPending(m mover, tl *Timeline) {
	if tl.Pending() {
		s.track(m)
	}
}

// savingWriter holds a request's answer until the books are saved, so an
// answer never leaves before what it reports is on disk.
type savingWriter struct {
	w      http.ResponseWriter
	s      *Server
	header http.Header
	status int
	body   bytes.Buffer
}

func (sw *savingWriter) Header() http.Header { return sw.header }

func (sw *savingWriter) WriteHeader(status int) {
	if sw.status == 0 {
		sw.status = status
	}
}

func (sw *savingWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	return sw.body.Write(b)
}

// Hijack saves first: a dropped answer (FaultDrop) still did its work.
func (sw *savingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if err := sw.s.Save(); err != nil {
		return nil, nil, err
	}
	hj, ok := sw.w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("sandbox: connection cannot be hijacked")
	}
	return hj.Hijack()
}

// serveSaving serves r and saves the books before the answer leaves. A
// save that fails answers 500 instead: the client must not believe what was
// not kept.
func (s *Server) serveSaving(w http.ResponseWriter, r *http.Request) {
	sw := &savingWriter{w: w, s: s, header: http.Header{}}
	s.mux.ServeHTTP(sw, r)
	if err := s.Save(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for k, v := range sw.header {
		w.Header()[k] = v
	}
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	w.WriteHeader(sw.status)
	_, _ = w.Write(sw.body.Bytes())
}

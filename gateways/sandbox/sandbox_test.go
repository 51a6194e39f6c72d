package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"lunas/domain"
)

type tclient struct {
	t   *testing.T
	url string
	key string
}

func newTest(t *testing.T, cfg Config) (*Server, *tclient) {
	t.Helper()
	if cfg.Step == 0 {
		cfg.Step = time.Minute
	}
	s := New(cfg)
	hs := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return s, &tclient{t: t, url: hs.URL, key: s.Credentials().XenditSecretKey}
}

func (c *tclient) do(method, path, key string, body string) (int, map[string]any, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.SetBasicAuth(c.key, "")
	if key != "" {
		req.Header.Set("Idempotency-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, b
}

const payoutBody = `{"reference_id":"R1","channel_code":"ID_BCA","channel_properties":{"account_number":"123","account_holder_name":"A"},"amount":10000,"currency":"IDR"}`

func TestIdempotencySameBodyDifferentBody(t *testing.T) {
	s, c := newTest(t, Config{})
	st, first, _ := c.do("POST", "/v2/payouts", "K1", payoutBody)
	if st != 200 || first["status"] != "ACCEPTED" {
		t.Fatalf("create: %d %v", st, first)
	}
	// The same request with keys in another order and other spacing.
	same := `{ "amount": 10000, "currency":"IDR", "reference_id":"R1", "channel_code":"ID_BCA", "channel_properties":{"account_holder_name":"A","account_number":"123"} }`
	st, again, _ := c.do("POST", "/v2/payouts", "K1", same)
	if st != 200 || again["id"] != first["id"] {
		t.Fatalf("same key same body: %d %v", st, again)
	}
	st, dup, _ := c.do("POST", "/v2/payouts", "K1", strings.Replace(payoutBody, "10000", "10001", 1))
	if st != http.StatusConflict || dup["error_code"] != "DUPLICATE_ERROR" { // as recorded in test mode
		t.Fatalf("same key other body: %d %v", st, dup)
	}
	st, _, _ = c.do("POST", "/v2/payouts", "", payoutBody)
	if st != 400 {
		t.Fatalf("no key: %d", st)
	}
	s.Advance(time.Hour)
	if n := s.PaidCount("xendit", "R1"); n != 1 {
		t.Fatalf("paid %d times", n)
	}
}

func TestConcurrentResendsPayOnce(t *testing.T) {
	s, c := newTest(t, Config{})
	var wg sync.WaitGroup
	ids := make(chan any, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, m, _ := c.do("POST", "/v2/payouts", "K-RACE", payoutBody)
			ids <- m["id"]
		}()
	}
	wg.Wait()
	close(ids)
	var first any
	for id := range ids {
		if first == nil {
			first = id
		}
		if id != first || id == nil {
			t.Fatalf("different payouts for one key: %v vs %v", id, first)
		}
	}
	s.Advance(time.Hour)
	if n := s.PaidCount("xendit", "R1"); n != 1 {
		t.Fatalf("paid %d times", n)
	}
	if b := s.Balance("xendit"); b != 1_000_000_000-10_000 {
		t.Fatalf("balance %d", b)
	}
}

func TestAuthRequired(t *testing.T) {
	_, c := newTest(t, Config{})
	c.key = "xnd_development_wrong"
	st, m, _ := c.do("GET", "/balance", "", "")
	if st != 401 || m["error_code"] != "INVALID_API_KEY" {
		t.Fatalf("%d %v", st, m)
	}
}

func TestErrorMessageKeyVariant(t *testing.T) {
	_, c := newTest(t, Config{XenditErrorKey: "error_message"})
	_, m, _ := c.do("GET", "/v2/payouts/disb-none", "", "")
	if m["error_message"] == nil || m["message"] != nil {
		t.Fatalf("%v", m)
	}
}

func TestControlAPIOverHTTP(t *testing.T) {
	s, c := newTest(t, Config{})
	post := func(path, body string) int {
		resp, err := http.Post(c.url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post("/_control/balance", `{"channel":"xendit","amount":5000}`); st != 200 || s.Balance("xendit") != 5000 {
		t.Fatalf("balance: %d %d", st, s.Balance("xendit"))
	}
	if st := post("/_control/faults", `{"endpoint":"xendit.balance","kind":"5xx","count":1}`); st != 200 {
		t.Fatalf("fault: %d", st)
	}
	if st, _, _ := c.do("GET", "/balance", "", ""); st != 500 {
		t.Fatalf("faulted balance: %d", st)
	}
	if st, m, _ := c.do("GET", "/balance", "", ""); st != 200 || m["balance"] != float64(5000) {
		t.Fatalf("balance after fault: %d %v", st, m)
	}
	// Invoice: create, pay through the control API, see SETTLED after advancing.
	_, inv, _ := c.do("POST", "/v2/invoices", "", `{"external_id":"O1","amount":20000}`)
	if st := post("/_control/xendit/invoices/O1/pay", ``); st != 200 {
		t.Fatalf("pay: %d", st)
	}
	if st := post("/_control/xendit/invoices/O1/pay", ``); st != 409 {
		t.Fatalf("pay twice: %d", st)
	}
	if st := post("/_control/advance", `{"seconds":3600}`); st != 200 {
		t.Fatalf("advance: %d", st)
	}
	_, got, _ := c.do("GET", "/v2/invoices/"+inv["id"].(string), "", "")
	if got["status"] != "SETTLED" || got["paid_amount"] != float64(20000) {
		t.Fatalf("invoice %v", got)
	}
	if st := post("/_control/xendit/invoices/NOPE/expire", ``); st != 404 {
		t.Fatalf("expire missing: %d", st)
	}
	// Payout and reversal; the book over HTTP.
	s.SetBalance("xendit", 1_000_000)
	c.do("POST", "/v2/payouts", "K2", strings.Replace(payoutBody, "R1", "R2", 1))
	post("/_control/advance", `{"seconds":3600}`)
	if st := post("/_control/xendit/payouts/R2/reverse", ``); st != 200 {
		t.Fatalf("reverse: %d", st)
	}
	resp, err := http.Get(c.url + "/_control/paid")
	if err != nil {
		t.Fatal(err)
	}
	var book []Payout
	_ = json.NewDecoder(resp.Body).Decode(&book)
	resp.Body.Close()
	if len(book) != 1 || book[0].RefID != "R2" || book[0].Count != 1 || book[0].Reversed != 1 || book[0].Amount != 10_000 {
		t.Fatalf("book %+v", book)
	}
	if s.Balance("xendit") != 1_000_000 {
		t.Fatalf("reversal did not refund: %d", s.Balance("xendit"))
	}
	resp, _ = http.Get(c.url + "/_control/hits?endpoint=xendit.balance")
	var hits map[string]int
	_ = json.NewDecoder(resp.Body).Decode(&hits)
	resp.Body.Close()
	if hits["count"] != 2 {
		t.Fatalf("hits %v", hits)
	}
}

func TestProbabilisticFaultsAreSeeded(t *testing.T) {
	run := func(seed uint64) string {
		s, c := newTest(t, Config{Seed: seed})
		s.Faults().Add(Fault{Endpoint: "xendit.balance", Kind: FaultServerError, Probability: 0.5})
		var b strings.Builder
		for range 40 {
			st, _, _ := c.do("GET", "/balance", "", "")
			fmt.Fprintf(&b, "%d,", st)
		}
		return b.String()
	}
	a, b := run(7), run(7)
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "500") || !strings.Contains(a, "200") {
		t.Fatalf("probability 0.5 gave %s", a)
	}
}

func TestTimeoutFaultReleasedWhenClientGivesUp(t *testing.T) {
	s := New(Config{HoldMax: time.Minute})
	hs := httptest.NewServer(s)
	defer hs.Close() // no s.Close(): the held handler must end because the client left
	s.Faults().Add(Fault{Endpoint: "xendit.payout.create", Kind: FaultTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", hs.URL+"/v2/payouts", strings.NewReader(payoutBody))
	req.SetBasicAuth(s.Credentials().XenditSecretKey, "")
	req.Header.Set("Idempotency-key", "K")
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("held request answered")
	}
	hs.Close()
	if d := time.Since(start); d > 30*time.Second { // HoldMax is a minute; a loaded machine is slow, not that slow
		t.Fatalf("handler held for %v after the client left", d)
	}
	if s.PaidCount("xendit", "R1") != 0 || len(s.x.payouts) != 0 {
		t.Fatal("a timed-out request was processed")
	}
}

func TestDropFaultDoesTheWork(t *testing.T) {
	s, c := newTest(t, Config{})
	s.Faults().Add(Fault{Endpoint: "xendit.payout.create", Kind: FaultDrop})
	req, _ := http.NewRequest("POST", c.url+"/v2/payouts", strings.NewReader(payoutBody))
	req.SetBasicAuth(c.key, "")
	req.Header.Set("Idempotency-key", "K-DROP")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("dropped request answered")
	}
	_, m, _ := c.do("POST", "/v2/payouts", "K-DROP", payoutBody)
	if m["status"] != "ACCEPTED" {
		t.Fatalf("%v", m)
	}
	if n := s.Hits("xendit.payout.create"); n != 2 {
		t.Fatalf("hits %d", n)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	s, c := newTest(t, Config{MaxObjects: 5})
	for i := range 20 {
		body := strings.Replace(payoutBody, `"R1"`, fmt.Sprintf(`"R%d"`, i), 1)
		if st, _, _ := c.do("POST", "/v2/payouts", fmt.Sprint("K", i), body); st != 200 {
			t.Fatalf("create %d: %d", i, st)
		}
		c.do("POST", "/v2/invoices", "", fmt.Sprintf(`{"external_id":"O%d","amount":1000}`, i))
	}
	s.Advance(time.Hour)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.x.payouts) != 5 || len(s.x.byKey) != 5 || len(s.x.byRef) != 5 || len(s.x.invoices) != 5 || len(s.book) != 5 {
		t.Fatalf("kept %d payouts, %d keys, %d refs, %d invoices, %d book entries; want 5 each",
			len(s.x.payouts), len(s.x.byKey), len(s.x.byRef), len(s.x.invoices), len(s.book))
	}
	if len(s.movers) > 5 {
		t.Fatalf("%d movers tracked after everything settled", len(s.movers))
	}
}

func TestTimeline(t *testing.T) {
	t0 := time.Unix(0, 0)
	tl := NewTimeline(t0, Step{Status: "A"}, Step{After: time.Second, Status: "B"}, Step{After: 2 * time.Second, Status: "C"})
	var seen []string
	done := tl.Advance(t0.Add(1500*time.Millisecond), func(s Step) { seen = append(seen, s.Status) })
	if done || tl.Current().Status != "B" || len(seen) != 1 {
		t.Fatalf("at 1.5s: %v %v", tl.Current(), seen)
	}
	if p, ok := tl.Previous(); !ok || p.Status != "A" {
		t.Fatalf("previous %v", p)
	}
	tl.Jump(t0.Add(1600*time.Millisecond), Step{Status: "X"}, Step{After: time.Second, Status: "Y"})
	if tl.Current().Status != "X" || !tl.Pending() {
		t.Fatalf("after jump: %v", tl.Current())
	}
	if !tl.Advance(t0.Add(3*time.Second), nil) || tl.Current().Status != "Y" {
		t.Fatalf("after jump+1s: %v", tl.Current())
	}
}

func TestPayPage(t *testing.T) {
	s, c := newTest(t, Config{})
	_, inv, _ := c.do("POST", "/v2/invoices", "", `{"external_id":"O9","amount":7000}`)
	page := inv["invoice_url"].(string)
	resp, err := http.Post(page, "application/x-www-form-urlencoded", bytes.NewReader(nil))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("pay page: %v %v", resp, err)
	}
	resp.Body.Close()
	s.mu.Lock()
	st := s.findInvoice("O9").tl.Current().Status
	s.mu.Unlock()
	if st != "PAID" {
		t.Fatalf("status %s", st)
	}
	_ = domain.Rupiah(0)
}

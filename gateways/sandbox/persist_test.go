package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways/ipaymu"
)

// openEnv opens the sandbox kept in path on clock clk and serves it. The
// previous sandbox on the same file is not closed: a restart here is as
// abrupt as a SIGKILL, nothing is saved on the way out.
func openEnv(t *testing.T, path string, clk *fakeClock) *wireEnv {
	t.Helper()
	s, err := Open(Config{Clock: clk.now, Step: time.Minute}, path)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return &wireEnv{t: t, s: s, url: hs.URL, clk: clk}
}

const keptIrisBody = `{"payouts":[{"beneficiary_name":"Ani","beneficiary_account":"0611101146","beneficiary_bank":"bca","amount":"100000.00","notes":"R1 Lunas"}]}`

func (e *wireEnv) keptXendit(body string) answer {
	return e.xendit("POST", "/v2/payouts", body, "Idempotency-key", "K1")
}

func (e *wireEnv) keptIris(body string) answer {
	return e.call("POST", IrisPath+"/api/v1/payouts", e.s.Credentials().IrisCreatorKey, body, "X-Idempotency-Key", "R1")
}

func irisRef(t *testing.T, a answer) string {
	t.Helper()
	var r struct {
		Payouts []struct {
			ReferenceNo string `json:"reference_no"`
		} `json:"payouts"`
	}
	if err := json.Unmarshal(a.body, &r); err != nil || len(r.Payouts) != 1 || a.status != http.StatusCreated {
		t.Fatalf("iris create: %d %s", a.status, a.body)
	}
	return r.Payouts[0].ReferenceNo
}

// A sandbox restarted from its data file answers a same-key create inside
// the key window as the first one did (the same payout; "duplicate" for
// another body), keeps its payout book and balances, and has purged the key
// once the window is over (KeyPurge, counted from the key's first use).
func TestRestartedSandboxKeepsKeysUntilTheWindowEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clk := &fakeClock{t: time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)}
	other := `{"reference_id":"R1","channel_code":"ID_BCA","channel_properties":{"account_number":"123","account_holder_name":"A"},"amount":10001,"currency":"IDR"}`

	e := openEnv(t, path, clk)
	x1 := e.keptXendit(payoutBody)
	if x1.status != 200 {
		t.Fatalf("xendit create: %d %s", x1.status, x1.body)
	}
	id1 := x1.field(t, "id")
	ref1 := irisRef(t, e.keptIris(keptIrisBody))
	if a := e.h2hAsk("GOPAY10", "081234", "10000", "H1", false); a.status != 200 {
		t.Fatalf("h2h: %d %s", a.status, a.body)
	}

	// Restart 30 minutes later (22:30 UTC): inside every window.
	clk.add(30 * time.Minute)
	e = openEnv(t, path, clk)
	if a := e.keptXendit(payoutBody); a.status != 200 || a.field(t, "id") != id1 || a.field(t, "status") != "SUCCEEDED" {
		t.Fatalf("same key, same body after a restart: %d %s; want payout %s, SUCCEEDED", a.status, a.body, id1)
	}
	if a := e.keptXendit(other); a.status != http.StatusConflict || a.field(t, "error_code") != "DUPLICATE_ERROR" {
		t.Fatalf("same key, other body after a restart: %d %s; want 409 DUPLICATE_ERROR", a.status, a.body)
	}
	if ref := irisRef(t, e.keptIris(keptIrisBody)); ref != ref1 {
		t.Fatalf("iris same key after a restart: %s, want %s", ref, ref1)
	}
	if a := e.keptIris(`{"payouts":[{"beneficiary_name":"Ani","beneficiary_account":"0611101146","beneficiary_bank":"bca","amount":"100001.00","notes":"R1 Lunas"}]}`); a.status != http.StatusConflict || a.field(t, "error_message") != "idempotency-key is not unique" {
		t.Fatalf("iris same key, other body after a restart: %d %s", a.status, a.body)
	}
	if a := e.h2hAsk("GOPAY10", "081234", "10000", "H1", false); a.status != 200 || e.s.PaidCount("h2h", "H1") != 1 {
		t.Fatalf("h2h resend after a restart: %s, paid %d", a.body, e.s.PaidCount("h2h", "H1"))
	}
	if n := e.s.PaidCount("xendit", "R1"); n != 1 {
		t.Fatalf("xendit book after a restart: R1 paid %d times", n)
	}
	if b := e.s.Balance("xendit"); b != 1_000_000_000-10_000 {
		t.Fatalf("xendit balance after a restart: %d", b)
	}

	// Restart again and set the clock past the first midnight UTC through
	// the control API: the keys are gone, the payouts are not.
	e = openEnv(t, path, clk)
	midnight := time.Date(2026, 12, 6, 0, 5, 0, 0, time.UTC)
	if a := e.call("POST", "/_control/clock", "", fmt.Sprintf(`{"now":%q}`, midnight.Format(time.RFC3339))); a.status != 200 {
		t.Fatalf("set clock: %d %s", a.status, a.body)
	}
	if a := e.call("POST", "/_control/clock", "", `{"now":"2026-12-05T23:00:00Z"}`); a.status != http.StatusConflict {
		t.Fatalf("clock set back: %d %s; want 409", a.status, a.body)
	}
	e = openEnv(t, path, clk) // the clock (still 22:30) is behind what was saved: the sandbox keeps its time
	if now := e.s.Now(); now.Before(midnight) {
		t.Fatalf("restarted sandbox went back to %s", now)
	}
	if a := e.keptXendit(payoutBody); a.status != 200 || a.field(t, "id") == id1 {
		t.Fatalf("same key after the purge: %d %s; want a new payout", a.status, a.body)
	}
	if ref := irisRef(t, e.keptIris(keptIrisBody)); ref == ref1 {
		t.Fatalf("iris key kept past midnight: %s", ref)
	}
	e.s.Advance(3 * time.Minute)
	if n := e.s.PaidCount("xendit", "R1"); n != 2 {
		t.Fatalf("R1 paid %d times; the purged key must have made a second payout (which Lunas's window never sends)", n)
	}
	if a := e.xendit("GET", "/v2/payouts?reference_id=R1", ""); a.status != 200 {
		t.Fatalf("lookup: %d %s", a.status, a.body)
	} else {
		var l struct{ Data []any }
		if err := json.Unmarshal(a.body, &l); err != nil || len(l.Data) != 2 {
			t.Fatalf("lookup by reference_id after restarts: %s", a.body)
		}
	}
}

// The file is written before an answer leaves, and a damaged or foreign file
// is refused rather than read as an empty sandbox (which would forget keys).
func TestSandboxDataFile(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	path := filepath.Join(dir, "sb.json")
	e := openEnv(t, path, clk)
	if a := e.keptXendit(payoutBody); a.status != 200 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sn snapshot
	if err := json.Unmarshal(b, &sn); err != nil || len(sn.Xendit) != 1 || sn.Xendit[0].Key != "K1" || !sn.Now.Equal(clk.now()) {
		t.Fatalf("saved before the answer: %v %+v", err, sn.Xendit)
	}
	for name, content := range map[string]string{"garbage": "{not json", "version": `{"version":99}`,
		"bad timeline": `{"version":1,"xendit_payouts":[{"id":"x","timeline":{"steps":[],"reached":0}}]}`} {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(Config{Clock: clk.now}, p); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	s := New(Config{Clock: clk.now})
	if err := s.SetNow(clk.now().Add(-time.Second)); !errors.Is(err, ErrClockBackwards) {
		t.Fatalf("SetNow back: %v", err)
	}
	if err := s.SetNow(clk.now().Add(time.Hour)); err != nil || !s.Now().Equal(clk.now().Add(time.Hour)) {
		t.Fatalf("SetNow: %v %s", err, s.Now())
	}
}

// Buyer payments survive a restart too: a paid Midtrans order still reads
// settlement (and cannot be paid twice), a paid DOKU invoice and iPaymu
// transaction are kept as they were, and iPaymu's ids go on from where they
// were.
func TestRestartedSandboxKeepsBuyerPayments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clk := &fakeClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	e := openEnv(t, path, clk)
	e.snapOrder("M1", 50_000, "bank_transfer")
	if err := e.s.PayMidtrans("M1", 0, ""); err != nil {
		t.Fatal(err)
	}
	e.dokuInvoice("D1", 70_000)
	if err := e.s.PayDOKU("D1", 70_000); err != nil {
		t.Fatal(err)
	}
	if a := e.ipaymu(ipaymu.PathPayment, ipPay, e.s.Credentials().IpaymuAPIKey); a.status != 200 {
		t.Fatalf("ipaymu create: %d %s", a.status, a.body)
	}
	if err := e.s.PayIpaymu("INV-002", 10_000); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Save(); err != nil { // Go-method changes are saved by Save
		t.Fatal(err)
	}
	payments := func(s *Server) string {
		s.mu.Lock()
		defer s.mu.Unlock()
		sn := s.snapshot()
		b, err := json.Marshal([]any{sn.Midtrans, sn.DOKUOrders, sn.Ipaymu, sn.IpaymuSeq})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := payments(e.s)

	e2 := openEnv(t, path, clk)
	if after := payments(e2.s); after != before {
		t.Fatalf("payments after a restart:\n%s\nwant\n%s", after, before)
	}
	if a := e2.core("/v2/M1/status"); a.field(t, "transaction_status") != "settlement" {
		t.Fatalf("midtrans status after a restart: %d %s", a.status, a.body)
	}
	if err := e2.s.PayMidtrans("M1", 0, ""); !errors.Is(err, domain.ErrInvalidTransition) {
		t.Fatalf("a settled order paid again after a restart: %v", err)
	}
	if err := e2.s.PayIpaymu("INV-002", 10_000); err == nil {
		t.Fatal("a paid iPaymu transaction paid again after a restart")
	}
}

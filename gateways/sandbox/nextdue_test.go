package sandbox

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// countingMover counts how often advance looks at it: the cost of one scan.
type countingMover struct {
	due   time.Time
	calls int
}

func (m *countingMover) advance(now time.Time) bool { m.calls++; return false }
func (m *countingMover) nextDue() (time.Time, bool) { return m.due, true }

// TestIrisAndH2HReportNextDue: while Iris payouts and H2H transactions are in
// progress the sandbox still skips its progression scan until one of them is
// due, and each still moves on time.
func TestIrisAndH2HReportNextDue(t *testing.T) {
	const step = time.Minute
	s, c := newTest(t, Config{Step: step})
	cr := s.Credentials()
	send := func(method, path, user, body string) string {
		t.Helper()
		req, _ := http.NewRequest(method, c.url+path, strings.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, "")
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	// An H2H transaction: PROSES now, SUKSES one step later.
	if got := send("POST", "/h2h/text", "", "GOPAY.0812.10000."+cr.H2HPin+".R#NX1"); !strings.Contains(got, "INPROGRESS") {
		t.Fatalf("h2h: %q", got)
	}
	// An Iris payout, created and approved: processed after one step,
	// completed after two.
	created := send("POST", "/iris/api/v1/payouts", cr.IrisCreatorKey,
		`{"payouts":[{"beneficiary_name":"Sari","beneficiary_account":"0611101146","beneficiary_bank":"bca","amount":"10000.00","notes":"NX2 bagi hasil"}]}`)
	i := strings.Index(created, `"reference_no":"`)
	if i < 0 {
		t.Fatalf("iris create: %s", created)
	}
	ref := created[i+len(`"reference_no":"`):]
	ref = ref[:strings.IndexByte(ref, '"')]
	send("POST", "/iris/api/v1/payouts/approve", cr.IrisApproverKey, `{"reference_nos":["`+ref+`"],"otp":"`+cr.IrisOTP+`"}`)

	s.mu.Lock()
	always := s.alwaysScan
	probe := &countingMover{due: s.now().Add(time.Hour)}
	s.track(probe)
	s.mu.Unlock()
	if always {
		t.Fatal("an Iris or H2H object makes the sandbox scan on every request")
	}
	// Requests before anything is due do not scan.
	s.Advance(step / 2)
	send("GET", "/iris/api/v1/payouts/"+ref, cr.IrisCreatorKey, "")
	s.mu.Lock()
	calls := probe.calls
	s.mu.Unlock()
	if calls != 0 {
		t.Fatalf("%d scans before anything was due", calls)
	}
	// Once due, both move.
	s.Advance(2 * step)
	if got := send("POST", "/h2h/text", "", "CEK.R#NX1."+cr.H2HPin); !strings.Contains(got, "SUCCESS") {
		t.Fatalf("h2h after a step: %q", got)
	}
	if got := send("GET", "/iris/api/v1/payouts/"+ref, cr.IrisCreatorKey, ""); !strings.Contains(got, `"status":"completed"`) {
		t.Fatalf("iris after two steps: %s", got)
	}
	if s.PaidCount("h2h", "NX1") != 1 || s.PaidCount("iris", "NX2") != 1 {
		t.Fatal("payouts not booked")
	}
}

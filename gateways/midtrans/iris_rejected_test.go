package midtrans

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"lunas/domain"
	"lunas/gateways"
)

// scriptedIris answers creates with the given (status, body) in turn (the
// last one repeats), and records how many creates and approvals it saw.
type scriptedIris struct {
	creates, approves atomic.Int32
	answers           []struct {
		code int
		body string
	}
}

func (s *scriptedIris) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/payouts"):
		n := int(s.creates.Add(1)) - 1
		a := s.answers[min(n, len(s.answers)-1)]
		w.WriteHeader(a.code)
		w.Write([]byte(a.body))
	case strings.HasSuffix(r.URL.Path, "/approve"):
		s.approves.Add(1)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"status":"ok"}`))
	case strings.HasSuffix(r.URL.Path, "/payouts/ref1"):
		st := "queued"
		if s.approves.Load() > 0 {
			st = "approved"
		}
		w.Write([]byte(`{"amount":"100000.00","reference_no":"ref1","notes":"LNS-1 Lunas LNS-1","status":"` + st + `"}`))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (s *scriptedIris) answer(code int, body string) *scriptedIris {
	s.answers = append(s.answers, struct {
		code int
		body string
	}{code, body})
	return s
}

const (
	irisRefused  = `{"error_message":"An error occurred when creating payouts","errors":"temporarily refused"}`
	irisCreated  = `{"payouts":[{"status":"queued","reference_no":"ref1"}]}`
	irisKeyInUse = `{"error_message":"idempotency-key is not unique","errors":"idempotency-key is not unique"}`
)

func scriptedClient(t *testing.T, s *scriptedIris) *Iris {
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return NewIris(IrisConfig{BaseURL: hs.URL, CreatorKey: "IRIS-creator-test-key", ApproverKey: "IRIS-approver-test-key", OTP: StaticOTP("123456"),
		Retry: gateways.RetryPolicy{MaxAttempts: 1}})
}

func lnsPayout(attempt int) domain.PayoutRequest {
	return domain.PayoutRequest{RefID: "LNS-1", Amount: 100000, Channel: "BCA", AccountNumber: "0611101146",
		AccountHolder: "Ani", Description: "Lunas LNS-1", Attempt: attempt}
}

// A create refused with 400 makes the transfer failed; a later Status (check
// now, reconciliation) must not post the create again (it could be accepted
// and approved: paid after Lunas recorded failed).
func TestIrisStatusNeverRepostsARejectedCreate(t *testing.T) {
	s := (&scriptedIris{}).answer(400, irisRefused).answer(201, irisCreated)
	it := scriptedClient(t, s)
	res, _ := it.Send(context.Background(), lnsPayout(1))
	if res.Outcome != domain.OutcomeRejected {
		t.Fatalf("setup: %s", res.Outcome)
	}
	for i := 0; i < 2; i++ {
		st, err := it.Status(context.Background(), "LNS-1")
		if err != nil || st.Outcome != domain.OutcomeRejected {
			t.Errorf("status after rejection = %s, %v; want rejected", st.Outcome, err)
		}
	}
	// A resend of the same REFID must not post either.
	if res, _ := it.Send(context.Background(), lnsPayout(2)); res.Outcome != domain.OutcomeRejected {
		t.Errorf("resend after rejection = %s", res.Outcome)
	}
	if s.creates.Load() != 1 || s.approves.Load() != 0 {
		t.Errorf("creates=%d approves=%d; want 1 and 0", s.creates.Load(), s.approves.Load())
	}
}

// A refusal of a RESEND (same REFID after an unanswered create) may be Iris
// objecting to the key it already holds: unknown, never failed.
func TestIrisRefusedResendIsUnknown(t *testing.T) {
	cases := []struct {
		name    string
		attempt int
		code    int
		body    string
		first   bool // the client itself posted a create before (Attempt not given)
	}{
		{"engine says attempt 2, 400", 2, 400, irisRefused, false},
		{"engine says attempt 3, 422", 3, 422, irisRefused, false},
		{"this process sent before, 400", 0, 400, irisRefused, true},
		{"key conflict text on a first send, 400", 1, 400, irisKeyInUse, false},
		{"key conflict text, 409", 2, 409, irisKeyInUse, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &scriptedIris{}
			if c.first {
				s.answer(500, `{"error_message":"internal"}`)
			}
			s.answer(c.code, c.body)
			it := scriptedClient(t, s)
			if c.first {
				if res, _ := it.Send(context.Background(), lnsPayout(0)); res.Outcome != domain.OutcomeUnknown {
					t.Fatalf("setup: %s", res.Outcome)
				}
			}
			res, err := it.Send(context.Background(), lnsPayout(c.attempt))
			if res.Outcome != domain.OutcomeUnknown || err == nil {
				t.Fatalf("refused resend = %s, %v; want unknown with an error", res.Outcome, err)
			}
			if strings.Contains(c.body, "idempotency") && !errors.Is(err, ErrKeyConflict) {
				t.Errorf("err = %v; want ErrKeyConflict", err)
			}
		})
	}
}

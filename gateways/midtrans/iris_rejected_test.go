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

// Any 4xx to a create, first send or resend, with or without Iris's
// documented key-conflict text, leaves the outcome unknown: Iris documents
// no create refusal by status code (validation ends as a "rejected" payout),
// so a payout may exist and Lunas must not record a failure it could pay
// again after. The create is posted once per Send (no retry inside it).
func TestIrisRefusedCreateIsUnknown(t *testing.T) {
	for _, c := range []struct {
		name    string
		attempt int
		code    int
		body    string
	}{
		{"first send, 400", 1, 400, irisRefused},
		{"first send, 422", 1, 422, irisRefused},
		{"first send, 403", 1, 403, irisRefused},
		{"resend, 400", 2, 400, irisRefused},
		{"key conflict text on a first send, 400", 1, 400, irisKeyInUse},
		{"key conflict text, 409", 2, 409, irisKeyInUse},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := (&scriptedIris{}).answer(c.code, c.body)
			it := scriptedClient(t, s)
			res, err := it.Send(context.Background(), lnsPayout(c.attempt))
			if res.Outcome != domain.OutcomeUnknown || err == nil {
				t.Fatalf("refused create = %s, %v; want unknown with an error", res.Outcome, err)
			}
			if strings.Contains(c.body, "idempotency") {
				if !errors.Is(err, ErrKeyConflict) {
					t.Errorf("err = %v; want ErrKeyConflict", err)
				}
			} else if !errors.Is(err, ErrCreateRefused) || res.Reason == "" {
				t.Errorf("err = %v, reason %q; want ErrCreateRefused with Iris's message", err, res.Reason)
			}
			if n := s.creates.Load(); n != 1 {
				t.Errorf("%d creates posted by one Send, want 1", n)
			}
		})
	}
}

// A known reference_no is only queried: a second Send of the REFID posts
// nothing.
func TestIrisSendWithKnownReferenceOnlyQueries(t *testing.T) {
	s := (&scriptedIris{}).answer(201, irisCreated)
	it := scriptedClient(t, s)
	if res, err := it.Send(context.Background(), lnsPayout(1)); err != nil || res.Outcome != domain.OutcomeAccepted {
		t.Fatalf("send: %+v, %v", res, err)
	}
	if res, err := it.Send(context.Background(), lnsPayout(2)); err != nil || res.Outcome != domain.OutcomeAccepted {
		t.Fatalf("resend: %+v, %v", res, err)
	}
	if n := s.creates.Load(); n != 1 {
		t.Fatalf("%d creates, want 1", n)
	}
}

package xendit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/xendit"
)

// scripted answers every request to path with one status and body.
func scripted(t *testing.T, answers map[string]struct {
	code int
	body string
}) *xendit.Client {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.code)
		w.Write([]byte(a.body))
	}))
	t.Cleanup(hs.Close)
	return xendit.New(xendit.Config{BaseURL: hs.URL, SecretKey: "xnd_development_test", Retry: gateways.RetryPolicy{MaxAttempts: 1}})
}

// Only the 400 codes Xendit documents as refusals of the request are
// rejections; any other 4xx to a create leaves the REFID unknown.
func TestCreateRefusalsOnlyDocumentedAreRejected(t *testing.T) {
	for _, c := range []struct {
		code int
		body string
		want domain.PayoutOutcome
	}{
		{400, `{"error_code":"API_VALIDATION_ERROR","message":"Invalid input"}`, domain.OutcomeRejected},
		{400, `{"error_code":"CHANNEL_CODE_NOT_SUPPORTED","message":"x"}`, domain.OutcomeRejected},
		{400, `{"error_code":"MINIMUM_TRANSFER_LIMIT_ERROR","message":"x"}`, domain.OutcomeRejected},
		{400, `{"error_code":"SOMETHING_NEW","message":"x"}`, domain.OutcomeUnknown},
		{400, `{"message":"no code at all"}`, domain.OutcomeUnknown},
		{403, `{"error_code":"REQUEST_FORBIDDEN_ERROR","message":"x"}`, domain.OutcomeUnknown},
		{409, `{"error_code":"CONFLICT","message":"x"}`, domain.OutcomeUnknown},
		{422, `{"error_code":"UNPROCESSABLE","message":"x"}`, domain.OutcomeUnknown},
	} {
		x := scripted(t, map[string]struct {
			code int
			body string
		}{"POST /v2/payouts": {c.code, c.body}})
		res, err := x.Send(context.Background(), req("REF-4XX", 10_000))
		if res.Outcome != c.want || (c.want == domain.OutcomeUnknown && err == nil) {
			t.Errorf("%d %s: %s, %v; want %s", c.code, c.body, res.Outcome, err, c.want)
		}
	}
}

// reference_id is not unique at Xendit: a payout under the REFID that did
// not fail is ours; two such are ambiguous; all failed is failed.
func TestLookupTakesTheNonFailedPayoutAsOurs(t *testing.T) {
	p := func(id, status string) string {
		return `{"id":"` + id + `","reference_id":"REF-L","amount":10000,"currency":"IDR","channel_code":"ID_BCA","status":"` + status + `"}`
	}
	for _, c := range []struct {
		list string
		want domain.PayoutOutcome
		ref  string
	}{
		{`[` + p("disb-1", "FAILED") + `,` + p("disb-2", "SUCCEEDED") + `]`, domain.OutcomeSucceeded, "disb-2"},
		{`[` + p("disb-1", "ACCEPTED") + `,` + p("disb-2", "FAILED") + `]`, domain.OutcomeAccepted, "disb-1"},
		{`[` + p("disb-1", "FAILED") + `,` + p("disb-2", "FAILED") + `]`, domain.OutcomeFailed, "disb-1"},
		{`[` + p("disb-1", "SUCCEEDED") + `,` + p("disb-2", "ACCEPTED") + `]`, domain.OutcomeUnknown, ""},
		{`[]`, domain.OutcomeNotFound, ""},
	} {
		x := scripted(t, map[string]struct {
			code int
			body string
		}{"GET /v2/payouts": {200, c.list}})
		res, err := x.Status(context.Background(), "REF-L")
		if res.Outcome != c.want || res.GatewayRef != c.ref || (c.want == domain.OutcomeUnknown) != (err != nil) {
			t.Errorf("%s: %s %q, %v; want %s %q", c.list, res.Outcome, res.GatewayRef, err, c.want, c.ref)
		}
	}
}

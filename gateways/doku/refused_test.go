package doku

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/fixture"
)

// On a transfer that may have reached DOKU, only the SNAP refusals DOKU's
// error table names as refusals of the request (4004301 invalid field
// format, 4004302 invalid mandatory field, 4034314 insufficient funds) are
// rejections; every other 4xx leaves the REFID unknown, so Lunas never
// records "rejected" for a transfer that may exist. A 409 (duplicate) is
// resolved by the status inquiry. The transfer is posted once per Send.
func TestTransfer4xxIsUnknownUnlessADocumentedRefusal(t *testing.T) {
	ctx := context.Background()
	refusal := func(status int, code, msg string) fixture.File {
		return fixture.File{Name: "scripted " + code, Status: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"responseCode":"` + code + `","responseMessage":"` + msg + `"}`)}
	}
	for _, c := range []struct {
		name   string
		answer fixture.File
		want   domain.PayoutOutcome
	}{
		{"400 invalid field format", refusal(400, "4004301", "Invalid Field Format"), domain.OutcomeRejected},
		{"400 invalid mandatory field", refusal(400, "4004302", "Invalid Mandatory Field"), domain.OutcomeRejected},
		{"403 insufficient funds", refusal(403, "4034314", "Insufficient Funds"), domain.OutcomeRejected},
		{"400 another code", refusal(400, "4004300", "Bad Request"), domain.OutcomeUnknown},
		{"400 without a code", fixture.File{Name: "no code", Status: 400, Body: []byte(`bad request`)}, domain.OutcomeUnknown},
		{"401 unauthorized", refusal(401, "4014300", "Unauthorized"), domain.OutcomeUnknown},
		{"403 another code", refusal(403, "4034301", "Transaction Expired"), domain.OutcomeUnknown},
		{"404", refusal(404, "4044301", "Not Found"), domain.OutcomeUnknown},
		{"422", refusal(422, "4224300", "Unprocessable"), domain.OutcomeUnknown},
		{"429", refusal(429, "4294300", "Too Many Requests"), domain.OutcomeUnknown},
	} {
		t.Run(c.name, func(t *testing.T) {
			c2, srv := wireClient(t, nil,
				fixture.Route{Method: "POST", Path: PathToken, File: fx(t, "token_sdk.http")},
				fixture.Route{Method: "POST", Path: PathInquiry, File: fx(t, "kirim_inquiry_doc.http")},
				fixture.Route{Method: "POST", Path: PathTransfer, File: c.answer})
			res, err := c2.Send(ctx, domain.PayoutRequest{RefID: kdRef, Amount: 65000, Channel: "BCA", AccountNumber: "8377388292", Attempt: 1})
			if res.Outcome != c.want {
				t.Fatalf("outcome %s (%v); want %s", res.Outcome, err, c.want)
			}
			if c.want == domain.OutcomeUnknown && err == nil {
				t.Fatalf("unknown without an error: %+v", res)
			}
			if c.want == domain.OutcomeRejected && (err != nil || res.Code == "" || res.Reason == "") {
				t.Fatalf("rejection without code or reason: %+v %v", res, err)
			}
			posts := 0
			for _, q := range srv.Requests() {
				if strings.Contains(q, PathTransfer) {
					posts++
				}
			}
			if posts != 1 {
				t.Fatalf("%d transfers posted by one Send, want 1: %v", posts, srv.Requests())
			}
		})
	}
	t.Run("409 is resolved by the status inquiry", func(t *testing.T) {
		c2, _ := wireClient(t, nil,
			fixture.Route{Method: "POST", Path: PathToken, File: fx(t, "token_sdk.http")},
			fixture.Route{Method: "POST", Path: PathInquiry, File: fx(t, "kirim_inquiry_doc.http")},
			fixture.Route{Method: "POST", Path: PathTransfer, File: refusal(409, "4094300", "Conflict")},
			fixture.Route{Method: "POST", Path: PathKirimStatus, File: fx(t, "kirim_status_success_doc.http")})
		res, err := c2.Send(ctx, domain.PayoutRequest{RefID: kdRef, Amount: 65000, Channel: "BCA", AccountNumber: "8377388292", Attempt: 1})
		if err != nil || res.Outcome != domain.OutcomeSucceeded {
			t.Fatalf("409: %+v %v", res, err)
		}
		var ae *gateways.APIError
		if errors.As(err, &ae) {
			t.Fatalf("409 leaked as an error: %v", err)
		}
	})
}

// TestStatus404OnlyTransactionNotFoundIsNotFound: of the SNAP 404 family
// only "Transaction Not Found" (404xx01) means DOKU has no transfer under
// the REFID; another 404 case is unknown (a "not found" lets the engine
// resend the REFID).
func TestStatus404OnlyTransactionNotFoundIsNotFound(t *testing.T) {
	for _, c := range []struct {
		code string
		want domain.PayoutOutcome
	}{
		{"4045301", domain.OutcomeNotFound},
		{"4044301", domain.OutcomeNotFound},
		{"4045302", domain.OutcomeUnknown}, // invalid routing
		{"4045308", domain.OutcomeUnknown}, // invalid merchant
		{"4045311", domain.OutcomeUnknown}, // invalid account
		{"404", domain.OutcomeUnknown},
	} {
		body := []byte(`{"responseCode":"` + c.code + `","responseMessage":"x"}`)
		got, _ := ParseKirimStatus(body, "LNS-1")
		if got.Outcome != c.want {
			t.Errorf("%s: %s, want %s", c.code, got.Outcome, c.want)
		}
	}
}

package h2h

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"lunas/domain"
	"lunas/gateways"
)

// OtomaX-style suppliers document their answers as reply text, never as
// HTTP refusals: no 4xx is a documented definite rejection. So a send
// answered by any 4xx leaves the REFID unknown (the status check decides
// later), even when the body reads like a failure reply for our REFID, and
// the request is sent once per Send.
func TestSend4xxIsUnknown(t *testing.T) {
	const ref = "R4XX1"
	failedReply := "R#" + ref + " GOPAY10.0812 GAGAL. SISA SALDO: 100.000"
	for _, c := range []struct {
		code int
		body string
	}{
		{400, "Bad Request"},
		{400, failedReply},
		{401, "Unauthorized"},
		{403, "IP tidak terdaftar"},
		{404, "Not Found"},
		{409, "Duplicate"},
		{422, failedReply},
		{429, "Too Many Requests"},
	} {
		t.Run(strings.Fields(c.body)[0]+"/"+http.StatusText(c.code), func(t *testing.T) {
			var sends atomic.Int32
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/trx") && r.URL.Query().Get("check") == "" {
					sends.Add(1)
				}
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(c.code)
				w.Write([]byte(c.body))
			}))
			t.Cleanup(hs.Close)
			ch, err := New(Config{Name: "s", BaseURL: hs.URL + "/", MemberID: "M1", PIN: "1144", Password: "pw"},
				Options{Retry: gateways.RetryPolicy{MaxAttempts: 3}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ch.Send(context.Background(), domain.PayoutRequest{RefID: ref, Amount: 10_000, Channel: "GOPAY", AccountNumber: "0812"})
			if res.Outcome != domain.OutcomeUnknown || err == nil {
				t.Fatalf("HTTP %d %q: %s, %v; want unknown with an error", c.code, c.body, res.Outcome, err)
			}
			if n := sends.Load(); n != 1 {
				t.Fatalf("%d sends by one Send, want 1", n)
			}
		})
	}
}

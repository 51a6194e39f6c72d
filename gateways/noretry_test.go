package gateways

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestNoRetryCallIsNeverReplayed: net/http's Transport by itself resends a
// request carrying an Idempotency-Key header when a reused keep-alive
// connection breaks after the request was written. A NoRetry call (a payout
// create) must reach the server once however the connection ends; a keyed
// call without NoRetry may be replayed, which shows the test can fail.
func TestNoRetryCallIsNeverReplayed(t *testing.T) {
	for _, once := range []bool{true, false} {
		var creates atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				w.Write([]byte(`{}`)) // warms up a keep-alive connection
				return
			}
			creates.Add(1)
			// The work is done; the connection dies before any answer.
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close()
		}))
		c := New(Config{Gateway: "test", BaseURL: srv.URL, Retry: RetryPolicy{MaxAttempts: 1}})
		ctx := context.Background()
		if _, err := c.Do(ctx, Call{Path: "/warm"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Do(ctx, Call{Method: http.MethodPost, Path: "/payouts", JSON: map[string]int{"amount": 1},
			IdempotencyKey: "REF-1", IdempotencyHeader: "X-Idempotency-Key", NoRetry: once})
		if !IsUnknown(err) {
			t.Fatalf("once=%v: err %v, want an unknown outcome", once, err)
		}
		if n := creates.Load(); once && n != 1 {
			t.Fatalf("a NoRetry create reached the server %d times", n)
		} else if !once {
			t.Logf("without NoRetry net/http sent the keyed POST %d times", n)
		}
		srv.Close()
	}
}

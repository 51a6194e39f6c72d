package gateways

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer answers with the statuses in order (the last one repeats)
// and counts requests.
type countingServer struct {
	mu       sync.Mutex
	statuses []int
	header   http.Header
	n        atomic.Int32
	times    []time.Time
	lastReq  *http.Request
}

func (c *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(c.n.Add(1)) - 1
	c.mu.Lock()
	c.times = append(c.times, time.Now())
	c.lastReq = r
	st := c.statuses[min(i, len(c.statuses)-1)]
	c.mu.Unlock()
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st)
	if st >= 400 {
		_, _ = w.Write([]byte(`{"error_code":"SOME_ERROR","message":"went wrong"}`))
		return
	}
	_, _ = w.Write([]byte(`{"ok":true}`))
}

var fastRetry = RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxTotalWait: time.Second}

func TestRetryRules(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		key      string
		statuses []int
		wantN    int32
		wantErr  bool
	}{
		{"get 5xx then ok is retried", http.MethodGet, "", []int{503, 502, 200}, 3, false},
		{"keyed post 5xx is retried", http.MethodPost, "REF-1", []int{500, 200}, 2, false},
		{"unkeyed post 5xx is not retried", http.MethodPost, "", []int{500, 200}, 1, true},
		{"unkeyed post 429 is not retried", http.MethodPost, "", []int{429, 200}, 1, true},
		{"keyed post 400 is not retried", http.MethodPost, "REF-2", []int{400, 200}, 1, true},
		{"get 404 is not retried", http.MethodGet, "", []int{404, 200}, 1, true},
		{"attempts are capped", http.MethodGet, "", []int{500}, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := &countingServer{statuses: tt.statuses}
			hs := httptest.NewServer(cs)
			defer hs.Close()
			c := New(Config{Gateway: "test", BaseURL: hs.URL, Retry: fastRetry})
			_, err := c.Do(context.Background(), Call{Method: tt.method, Path: "/x", IdempotencyKey: tt.key, JSON: map[string]int{"a": 1}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got := cs.n.Load(); got != tt.wantN {
				t.Fatalf("requests = %d, want %d", got, tt.wantN)
			}
		})
	}
}

// Retry-After in seconds or as an HTTP date is waited out, on the client's
// clock (virtual here: the wait is exact and takes no real time).
func TestRetryAfterHonoured(t *testing.T) {
	for _, c := range []struct {
		ra   string
		want time.Duration
	}{{"1", time.Second}, {"DATE", 2 * time.Second}} {
		t.Run(c.ra, func(t *testing.T) {
			clk := &fakeClock{now: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}
			cs := &countingServer{statuses: []int{429, 200}, header: http.Header{}}
			ra := c.ra
			if ra == "DATE" {
				ra = clk.now.Add(2 * time.Second).Format(http.TimeFormat)
			}
			cs.header.Set("Retry-After", ra)
			hs := httptest.NewServer(cs)
			defer hs.Close()
			cl := New(Config{Gateway: "test", BaseURL: hs.URL, Clock: clk, Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxTotalWait: 5 * time.Second}})
			resp, err := cl.Do(context.Background(), Call{Path: "/x"})
			if err != nil || resp.Attempts != 2 {
				t.Fatalf("resp %+v err %v, want success on attempt 2", resp, err)
			}
			if len(clk.slept) != 1 || clk.slept[0] != c.want {
				t.Fatalf("waited %v before the retry, want %v", clk.slept, c.want)
			}
		})
	}
}

func TestRetryAfterBeyondBudgetGivesUp(t *testing.T) {
	cs := &countingServer{statuses: []int{429}, header: http.Header{"Retry-After": {"60"}}}
	hs := httptest.NewServer(cs)
	defer hs.Close()
	c := New(Config{Gateway: "test", BaseURL: hs.URL, Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxTotalWait: 2 * time.Second}})
	_, err := c.Do(context.Background(), Call{Path: "/x"})
	if !IsRateLimited(err) || !IsUnknown(err) || !IsRetryable(err) {
		t.Fatalf("err %v, want a retryable 429", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.RetryAfter != "60" || ae.Code != "SOME_ERROR" || ae.Message != "went wrong" {
		t.Fatalf("APIError %+v", ae)
	}
	if n := cs.n.Load(); n != 1 {
		t.Fatalf("requests = %d, want 1 (60s exceeds the 2s budget)", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	pol := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: 400 * time.Millisecond}
	for attempt, max := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 10: 400 * time.Millisecond} {
		for range 50 {
			d := backoff(pol, attempt, SystemClock{})
			if d < max/2 || d > max {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, max/2, max)
			}
		}
	}
}

func TestTransportErrorsAreUnknown(t *testing.T) {
	// A server that accepts and closes without answering.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer hs.Close()
	c := New(Config{Gateway: "test", BaseURL: hs.URL, Retry: RetryPolicy{MaxAttempts: 1}})
	_, err := c.Do(context.Background(), Call{Method: http.MethodPost, Path: "/x"})
	if !IsTransport(err) || !IsUnknown(err) || IsTimeout(err) {
		t.Fatalf("err %v: want transport, unknown, not timeout", err)
	}

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer slow.Close()
	c = New(Config{Gateway: "test", BaseURL: slow.URL, Timeout: 100 * time.Millisecond, Retry: RetryPolicy{MaxAttempts: 1}})
	_, err = c.Do(context.Background(), Call{Path: "/x"})
	if !IsTimeout(err) || !IsUnknown(err) {
		t.Fatalf("err %v: want timeout", err)
	}
}

// A caller that gives up while the client waits to retry gets the last
// answer and no further request is made.
func TestContextCancelStopsRetrying(t *testing.T) {
	cs := &countingServer{statuses: []int{503}}
	hs := httptest.NewServer(cs)
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := &hookClock{fakeClock: fakeClock{now: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}, onSleep: cancel}
	c := New(Config{Gateway: "test", BaseURL: hs.URL, Clock: clk, Retry: RetryPolicy{MaxAttempts: 10, BaseDelay: time.Second, MaxDelay: time.Second, MaxTotalWait: time.Minute}})
	_, err := c.Do(ctx, Call{Path: "/x"})
	if !IsServerError(err) || cs.n.Load() != 1 || len(clk.slept) != 1 {
		t.Fatalf("err %v after %d requests and waits %v; want the 503, one request, one wait", err, cs.n.Load(), clk.slept)
	}
}

func TestRequestCarriesAuthAgentAndKey(t *testing.T) {
	cs := &countingServer{statuses: []int{200}}
	hs := httptest.NewServer(cs)
	defer hs.Close()
	c := New(Config{Gateway: "test", BaseURL: hs.URL, Auth: &BasicAuth{User: "k"}, UserAgent: "UA/1"})
	if _, err := c.Do(context.Background(), Call{Method: http.MethodPost, Path: "/x", IdempotencyKey: "REF-9", IdempotencyHeader: "X-Idempotency-Key", JSON: 1}); err != nil {
		t.Fatal(err)
	}
	r := cs.lastReq
	if u, p, ok := r.BasicAuth(); !ok || u != "k" || p != "" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	if r.UserAgent() != "UA/1" || r.Header.Get("x-idempotency-key") != "REF-9" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
}

// TestSecretsNeverReachLogsOrErrors sets secrets, forces every error path
// with logging at debug level, and scans everything produced.
func TestSecretsNeverReachLogsOrErrors(t *testing.T) {
	const key, pin, pass = "xnd_development_SUPERSECRET123", "9931", "hunter2-password"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo": // a gateway that echoes what it got into its error
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error_code":"BAD","message":"bad key ` + key + ` pin ` + pin + ` auth ` + r.Header.Get("Authorization") + `"}`))
		case "/drop":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		default:
			w.WriteHeader(503)
			_, _ = w.Write([]byte("upstream " + pass))
		}
	}))
	defer hs.Close()
	var logs bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := New(Config{Gateway: "test", BaseURL: hs.URL, Auth: &BasicAuth{User: key}, Secrets: []string{pin, pass}, Logger: lg, Retry: fastRetry})
	var errs []string
	for _, call := range []Call{
		{Path: "/echo"},
		{Path: "/drop", Query: map[string][]string{"pin": {pin}, "sign": {"abc"}}},
		{Path: "/5xx"},
		{Path: "/drop?password=" + pass + "&pin=" + pin},
	} {
		_, err := c.Do(context.Background(), call)
		if err == nil {
			t.Fatalf("%s: want an error", call.Path)
		}
		errs = append(errs, err.Error())
		c.Logger().Error("call failed", "err", err, "note", "key was "+key)
	}
	// A connection refused error names the URL too.
	dead := New(Config{Gateway: "test", BaseURL: "http://127.0.0.1:1", Auth: &BasicAuth{User: key}, Secrets: []string{pin}, Logger: lg, Retry: RetryPolicy{MaxAttempts: 1}})
	_, err := dead.Do(context.Background(), Call{Path: "/trx", Query: map[string][]string{"pin": {pin}}})
	errs = append(errs, err.Error())
	all := logs.String() + strings.Join(errs, "\n")
	for _, s := range []string{key, pin, pass, "eG5kX2RldmVsb3BtZW50X1NVUEVSU0VDUkVUMTIzOg"} {
		if strings.Contains(all, s) {
			t.Fatalf("secret %q leaked:\n%s", s, all)
		}
	}
	if !strings.Contains(all, Redacted) {
		t.Fatal("nothing was redacted: the test did not exercise the leak paths")
	}
}

func TestRedactorQueryParams(t *testing.T) {
	r := NewRedactor()
	tests := []struct{ in, want string }{
		{"GET /trx?memberID=M1&pin=1234&sign=abc", "GET /trx?memberID=M1&pin=" + Redacted + "&sign=" + Redacted},
		{"password=x y", "password=" + Redacted + " y"},
		{"api_key=K1;", "api_key=" + Redacted + ";"},
		{"amount=5000", "amount=5000"},
		{"no pairs here", "no pairs here"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeGenericError(t *testing.T) {
	tests := []struct {
		body, code, msg string
	}{
		{`{"error_code":"DUPLICATE_ERROR","message":"dup"}`, "DUPLICATE_ERROR", "dup"},
		{`{"error_code":"X","error_message":"em"}`, "X", "em"},
		{`{"status_code":"404","status_message":"Transaction doesn't exist."}`, "", "Transaction doesn't exist."},
		{`{"error_messages":["first","second"]}`, "", "first"},
		{`<html>bad gateway</html>`, "", "<html>bad gateway</html>"},
	}
	for _, tt := range tests {
		code, msg := DecodeGenericError(500, []byte(tt.body))
		if code != tt.code || msg != tt.msg {
			t.Errorf("%s: got %q %q", tt.body, code, msg)
		}
	}
}

func FuzzDecodeGenericError(f *testing.F) {
	for _, s := range []string{`{"error_code":"A","message":"b"}`, `{"error_messages":[1]}`, `[]`, ``, `{"message":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeGenericError(500, b)
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "", "-5", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, time.Now())
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// runSandboxCmd starts `lunas sandbox` with args and returns its URL and a
// stop that waits for it to end.
func runSandboxCmd(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	var out syncBuffer
	e := &env{Stdout: &out, Stderr: &out}
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveSandbox(ctx, e, args, func(u string) { urls <- u }) }()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		cancel()
		t.Fatalf("sandbox %v ended: %v\n%s", args, err, out.String())
	case <-time.After(stallLimit):
		cancel()
		t.Fatal("sandbox did not start")
	}
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("sandbox returned %v", err)
			}
		case <-time.After(stallLimit):
			t.Fatal("sandbox did not stop")
		}
	}
	return url, stop
}

func sandboxClock(t *testing.T, url string) time.Time {
	t.Helper()
	resp, err := http.Get(url + "/_control/clock")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Now time.Time `json:"now"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.Now
}

// `lunas sandbox --data FILE` is a gateway that can be restarted mid-test:
// a restarted sandbox still holds the Xendit idempotency key of a payout
// made before (a resend gets the same payout), and once its clock (--now)
// is past the key window's midnight it has purged the key, so a resend
// would make a second payout: the one Lunas's resend window never sends.
func TestSandboxCommandKeepsKeysAcrossRestarts(t *testing.T) {
	data := filepath.Join(t.TempDir(), "sandbox.json")
	creds := sandbox.DefaultCredentials()
	req := domain.PayoutRequest{RefID: "DATA-1", Amount: 10_000, Channel: "BCA", AccountNumber: "0611101146", AccountHolder: "Sari"}
	ctx := context.Background()
	// --step 1h: nothing moves on the wall clock during the test.
	send := func(url string) domain.PayoutResult {
		t.Helper()
		x := xendit.New(xendit.Config{BaseURL: url, SecretKey: creds.XenditSecretKey})
		res, err := x.Send(ctx, req)
		if err != nil || res.Outcome != domain.OutcomeAccepted || res.GatewayRef == "" {
			t.Fatalf("send: %+v, %v", res, err)
		}
		return res
	}

	url, stop := runSandboxCmd(t, "--addr", "127.0.0.1:0", "--step", "1h", "--data", data, "--now", "2099-01-05T22:00:00Z")
	first := send(url)
	stop()

	url, stop = runSandboxCmd(t, "--addr", "127.0.0.1:0", "--step", "1h", "--data", data)
	if now := sandboxClock(t, url); now.Before(time.Date(2099, 1, 5, 22, 0, 0, 0, time.UTC)) {
		t.Fatalf("restarted sandbox's clock went back to %s", now)
	}
	if again := send(url); again.GatewayRef != first.GatewayRef {
		t.Fatalf("resend after a restart made payout %s, the first was %s", again.GatewayRef, first.GatewayRef)
	}
	stop()

	url, stop = runSandboxCmd(t, "--addr", "127.0.0.1:0", "--step", "1h", "--data", data, "--now", "2099-01-06T00:05:00Z")
	if again := send(url); again.GatewayRef == first.GatewayRef {
		t.Fatalf("the key outlived midnight UTC: resend got %s again", again.GatewayRef)
	}
	stop()

	var out syncBuffer
	err := serveSandbox(ctx, &env{Stdout: &out, Stderr: &out}, []string{"--addr", "127.0.0.1:0", "--data", data, "--now", "2099-01-05T23:00:00Z"}, nil)
	if !errors.Is(err, sandbox.ErrClockBackwards) {
		t.Fatalf("--now before the saved time: %v", err)
	}
	for _, bad := range [][]string{{"--now", "yesterday"}, {"--key-purge", "sometimes"}} {
		if err := serveSandbox(ctx, &env{Stdout: &out, Stderr: &out}, bad, nil); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

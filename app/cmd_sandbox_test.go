package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// syncBuffer is a bytes.Buffer safe for the serving goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSandboxCommandAnswersTheAdapter(t *testing.T) {
	var out syncBuffer
	e := &env{Stdout: &out, Stderr: &out}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveSandbox(ctx, e, []string{"--addr", "127.0.0.1:0", "--step", "50ms"}, func(u string) { urls <- u })
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("sandbox command ended: %v", err)
	case <-time.After(stallLimit):
		t.Fatal("sandbox did not start")
	}
	creds := sandbox.DefaultCredentials()
	for _, want := range []string{url, creds.XenditSecretKey, creds.IrisApproverKey, creds.H2HPin, creds.MidtransServerKey} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	x := xendit.New(xendit.Config{BaseURL: url, SecretKey: creds.XenditSecretKey})
	res, err := x.Send(ctx, domain.PayoutRequest{RefID: "CMD-1", Amount: 10_000, Channel: "BCA", AccountNumber: "0611101146", AccountHolder: "Sari"})
	if err != nil || res.Outcome != domain.OutcomeAccepted {
		t.Fatalf("send through the standalone sandbox: %+v, %v", res, err)
	}
	waitFor(t, "the payout through the standalone sandbox to succeed", func() bool {
		st, err := x.Status(ctx, "CMD-1")
		return err == nil && st.Outcome == domain.OutcomeSucceeded
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox command returned %v", err)
		}
	case <-time.After(stallLimit):
		t.Fatal("sandbox did not stop on cancel")
	}
}

func TestSandboxCommandRefusesNonLoopback(t *testing.T) {
	var out bytes.Buffer
	e := &env{Stdout: &out, Stderr: &out}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8089", "example.com:80"} {
		err := serveSandbox(context.Background(), e, []string{"--addr", addr}, nil)
		if !errors.Is(err, errNotLoopback) {
			t.Errorf("%s: err %v, want errNotLoopback", addr, err)
		}
	}
	if err := serveSandbox(context.Background(), e, []string{"extra"}, nil); !errors.Is(err, errUsage) {
		t.Errorf("extra argument: %v", err)
	}
}

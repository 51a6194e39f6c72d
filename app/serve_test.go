package app

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// TestServeChild runs `lunas serve` for TestServeGracefulShutdown.
func TestServeChild(t *testing.T) {
	if os.Getenv("LUNAS_SERVE_CHILD") != "1" {
		t.Skip("child of TestServeGracefulShutdown")
	}
	os.Exit(Main([]string{"--db", os.Getenv(envCrashDB), "serve", "--xendit-url", os.Getenv(envCrashURL), "--fast", "--rate", "-1"}, os.Stdout, os.Stderr))
}

// TestServeGracefulShutdown: `lunas serve` under load stops on SIGTERM with
// exit code 0, leaving no transfer half-sent (sending) and an intact file.
func TestServeGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Step: 50 * time.Millisecond})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	defer sb.Close()
	sb.Faults().Add(sandbox.Fault{Endpoint: "xendit.payout.create", Kind: sandbox.FaultLatency, Latency: 300 * time.Millisecond, Probability: 0.5})
	path := filepath.Join(t.TempDir(), "serve.db")
	ciph, err := keyFileCipher(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path, sqlite.Options{Cipher: ciph})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	shop, err := seedDemo(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	db.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting(settingLimitPerTransfer, "0") })
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 40; i++ {
		ext, _, err := demoBuyer(ctx, db, x, shop, rng, i)
		if err != nil {
			t.Fatal(err)
		}
		sb.PayXenditInvoice(ext, 0)
	}
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^TestServeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LUNAS_SERVE_CHILD=1", envCrashDB+"="+path, envCrashURL+"="+srv.URL,
		"LUNAS_XENDIT_KEY="+sb.Credentials().XenditSecretKey)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Stop it while transfers are being sent.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		db.Read(ctx, func(tx domain.ReadTx) error {
			n, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSending, domain.TransferAccepted, domain.TransferSucceeded}})
			return nil
		})
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not stop\n%s", out.String())
	}
	if !strings.Contains(out.String(), "finishing in-flight work") {
		t.Fatalf("no shutdown message:\n%s", out.String())
	}
	var sending int
	db.Read(ctx, func(tx domain.ReadTx) error {
		sending, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSending}})
		return nil
	})
	if sending != 0 {
		t.Fatalf("%d transfers left in sending after a graceful stop", sending)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

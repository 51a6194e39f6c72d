package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"lunas/gateways/sandbox"
)

// errNotLoopback refuses a sandbox address other hosts could reach: the
// sandbox has no real authentication on its control API.
var errNotLoopback = errors.New("the sandbox only listens on a loopback address (127.0.0.1, ::1 or localhost)")

// runSandbox serves the sandbox gateway until SIGINT or SIGTERM.
func runSandbox(e *env, args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveSandbox(ctx, e, args, nil)
}

// serveSandbox parses the sandbox flags, starts it, prints its URL and demo
// credentials, calls ready (if set) with the URL, and serves until ctx ends.
func serveSandbox(ctx context.Context, e *env, args []string, ready func(url string)) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "listen address (loopback only; port 0 picks a free one)")
	step := fs.Duration("step", 2*time.Second, "delay between two status changes of a payout or payment")
	seed := fs.Uint64("seed", 1, "seed for probabilistic faults")
	data := fs.String("data", "", "keep the sandbox's books and idempotency keys in this file across restarts")
	nowAt := fs.String("now", "", "start the sandbox clock at this time (RFC 3339, e.g. 2026-12-05T23:50:00Z); it runs on from there")
	purge := fs.String("key-purge", string(sandbox.PurgeAtMidnight), "when idempotency keys are forgotten: midnight, 24h-midnight or never")
	rate := fs.String("buyers", "", "RATE: buyers for the shop at --db (5 = five a second; 30/m, 100/h): orders with payment links through the shop's own gateway settings, paid at this sandbox (as LUNAS_USER with LUNAS_PASSWORD)")
	var bo buyerOptions
	fs.IntVar(&bo.Orders, "orders", 0, "with --buyers: stop after this many orders (0 = until Ctrl+C)")
	fs.StringVar(&bo.PayWith, "pay-with", "", "with --buyers: the shop's payment gateway to use (xendit, midtrans, doku, ipaymu; default xendit when set up)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || !sandbox.KeyPurge(*purge).Valid() || bo.Orders < 0 {
		return errUsage
	}
	if !isLoopback(*addr) {
		return errNotLoopback
	}
	if *rate != "" {
		var err error
		if bo.Every, err = parseRate(*rate); err != nil {
			return err
		}
	}
	var at time.Time
	if *nowAt != "" {
		t, err := time.Parse(time.RFC3339, *nowAt)
		if err != nil {
			return errUsage
		}
		at = t
	}
	cfg := sandbox.Config{Step: *step, Seed: *seed, KeyPurge: sandbox.KeyPurge(*purge)}
	sb := sandbox.New(cfg)
	if *data != "" {
		var err error
		if sb, err = sandbox.Open(cfg, *data); err != nil {
			return err
		}
	}
	if !at.IsZero() {
		if err := sb.SetNow(at); err != nil {
			return err
		}
		if err := sb.Save(); err != nil {
			return err
		}
	}
	sb, url, stop, err := listenSandbox(sb, *addr)
	if err != nil {
		return fmt.Errorf("start sandbox: %w", err)
	}
	defer stop()
	printSandbox(e, url, sb.Credentials(), *step)
	if *data != "" {
		fmt.Fprintf(e.Stdout, "Books and idempotency keys kept in %s (sandbox time %s)\n", *data, sb.Now().UTC().Format(time.RFC3339))
	}
	if ready != nil {
		ready(url)
	}
	if bo.Every > 0 {
		out := &lockedWriter{w: e.Stdout}
		report := func(s string) { fmt.Fprintln(out, time.Now().Format("15:04:05"), s) }
		if err := runShopBuyers(ctx, e, sb, url, bo, report); err != nil {
			return errors.Join(fmt.Errorf("buyers: %w", err), sb.Save())
		}
	}
	<-ctx.Done()
	if err := sb.Save(); err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, "sandbox stopped")
	return nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// printSandbox shows what a person needs to point Lunas (or curl) at the
// sandbox. The credentials are demo values, not secrets.
func printSandbox(e *env, url string, c sandbox.Credentials, step time.Duration) {
	w := e.Stdout
	fmt.Fprintf(w, "Lunas sandbox gateway listening on %s (status step %s)\n\n", url, step)
	fmt.Fprintf(w, "Xendit    base URL        %s\n", url)
	fmt.Fprintf(w, "          secret key      %s\n", c.XenditSecretKey)
	fmt.Fprintf(w, "          callback token  %s\n", c.XenditCallbackToken)
	fmt.Fprintf(w, "Midtrans  Core API URL    %s/midtrans\n", url)
	fmt.Fprintf(w, "          Snap URL        %s\n", url)
	fmt.Fprintf(w, "          server key      %s\n", c.MidtransServerKey)
	fmt.Fprintf(w, "          client key      %s\n", c.MidtransClientKey)
	fmt.Fprintf(w, "Iris      base URL        %s/iris\n", url)
	fmt.Fprintf(w, "          creator key     %s\n", c.IrisCreatorKey)
	fmt.Fprintf(w, "          approver key    %s\n", c.IrisApproverKey)
	fmt.Fprintf(w, "          merchant key    %s\n", c.IrisMerchantKey)
	fmt.Fprintf(w, "          approval OTP    %s\n", c.IrisOTP)
	fmt.Fprintf(w, "H2H       base URL        %s/h2h/\n", url)
	fmt.Fprintf(w, "          member ID       %s\n", c.H2HMemberID)
	fmt.Fprintf(w, "          PIN             %s\n", c.H2HPin)
	fmt.Fprintf(w, "          password        %s\n", c.H2HPassword)
	fmt.Fprintf(w, "\nControl API: %s/_control/ (faults, balance, paid, advance, clock, pay/expire/reverse)\n", url)
	fmt.Fprintf(w, "Xendit test accounts: 131313 stays ACCEPTED;")
	accts := make([]string, 0, len(sandbox.XenditTestAccounts))
	for acct := range sandbox.XenditTestAccounts {
		accts = append(accts, acct)
	}
	sort.Strings(accts)
	for _, acct := range accts {
		if code := sandbox.XenditTestAccounts[acct]; code != "ACCEPTED" {
			fmt.Fprintf(w, " %s=%s", acct, code)
		}
	}
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")
}

package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// runDemo runs the demo shop headless: sandbox, engine and simulated buyers,
// printing what happens until the duration ends or Ctrl+C.
func runDemo(e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	dur := fs.Duration("duration", time.Minute, "how long buyers keep coming (0 = until Ctrl+C)")
	every := fs.Duration("every", 2*time.Second, "one buyer per interval")
	keep := fs.String("keep", "", "keep the demo database in this file (default: a temporary file)")
	gateway := fs.String("gateway", "xendit", "the payment gateway buyers pay through: xendit, midtrans, doku or ipaymu (sandbox)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rt, shop, err := startDemo(ctx, demoOptions{DBPath: *keep, Secure: true, Gateway: *gateway})
	if err != nil {
		return err
	}
	defer rt.Stop()
	fmt.Fprintf(e.Stdout, "Lunas demo: Toko Batik Sari, %d makers, payments through %s, sandbox at %s\n", len(demoMakers), *gateway, rt.SandboxURL)
	events, unsub := rt.Engine.Bus().Subscribe(1024)
	defer unsub()
	go func() {
		for ev := range events {
			if line := describeEvent(ev); line != "" {
				fmt.Fprintln(e.Stdout, time.Now().Format("15:04:05"), line)
			}
		}
	}()
	bctx := ctx
	if *dur > 0 {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	runBuyers(bctx, rt, shop, *every, 0, func(s string) { fmt.Fprintln(e.Stdout, time.Now().Format("15:04:05"), s) })
	// Let the last payments settle and transfers finish.
	select {
	case <-ctx.Done():
	case <-time.After(8 * time.Second):
	}
	return printSummary(context.Background(), e, rt.Store)
}

// describeEvent is one progress line for an event, or "".
func describeEvent(ev engine.Event) string {
	switch ev.Kind {
	case engine.EventPaymentSettled:
		return "payment " + ev.Payment + " settled " + ev.Amount.String()
	case engine.EventPaymentFlagged:
		return "payment " + ev.Payment + " FLAGGED: " + ev.Message
	case engine.EventTransferCreated:
		return fmt.Sprintf("transfer %s created %s (%s)", ev.RefID, ev.Amount, ev.Status)
	case engine.EventNeedsApproval:
		return "transfer " + ev.RefID + " waits for approval: " + ev.Message
	case engine.EventTransferStatus:
		if ev.Status == domain.TransferSucceeded || ev.Status == domain.TransferFailed || ev.Status == domain.TransferUnknown {
			return fmt.Sprintf("transfer %s %s %s", ev.RefID, ev.Status, ev.Amount)
		}
	case engine.EventNeedsAttention, engine.EventTransferReversed, engine.EventLowBalance, engine.EventGatewayDown, engine.EventGatewayUp:
		return string(ev.Kind) + ": " + ev.Message
	}
	return ""
}

func printSummary(ctx context.Context, e *env, st domain.Store) error {
	return st.Read(ctx, func(tx domain.ReadTx) error {
		fmt.Fprintln(e.Stdout, "--- summary ---")
		for _, s := range domain.AllTransferStatuses {
			n, err := tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{s}})
			if err != nil {
				return err
			}
			if n > 0 {
				fmt.Fprintf(e.Stdout, "transfers %-18s %d\n", s, n)
			}
		}
		bal, err := tx.Balances()
		if err != nil {
			return err
		}
		var sum domain.Rupiah
		for _, v := range bal {
			sum += v
		}
		fmt.Fprintf(e.Stdout, "ledger accounts %d, sum %s (must be Rp0)\n", len(bal), sum)
		return nil
	})
}

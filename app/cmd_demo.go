package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"lunas/demo"
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
	keep := fs.String("keep", "", "keep the demo database in this file (default: the --db database when one is named, else a temporary file); prints the demo owner's name and password")
	gateway := fs.String("gateway", "xendit", "the payment gateway buyers pay through: xendit, midtrans, doku or ipaymu (sandbox)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	path := *keep
	if path == "" && e.DBChosen {
		path = e.DBPath // lunas --db FILE|postgres://... demo
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rt, shop, err := startDemo(ctx, demoOptions{DBPath: path, Secure: true, Gateway: *gateway})
	if err != nil {
		return err
	}
	defer rt.Stop()
	fmt.Fprintf(e.Stdout, "Lunas demo: Toko Batik Sari, %d makers, payments through %s, sandbox at %s\n", len(demo.Makers), *gateway, rt.SandboxURL)
	if path != "" {
		printDemoOwner(e, path, rt)
	}
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
	case <-time.After(demoSettle):
	}
	return printSummary(context.Background(), e, rt.Store)
}

// demoSettle is how long lunas demo lets the last payments settle before
// its summary; tests shorten it.
var demoSettle = 8 * time.Second

// printDemoOwner tells how to open a kept demo shop: the owner's name and
// password, and her authenticator (the desktop asks for a code).
func printDemoOwner(e *env, path string, rt *runtime) {
	name := (&env{DBPath: path}).dbName()
	fmt.Fprintf(e.Stdout, "Toko demo disimpan di / demo shop kept in: %s\n", name)
	fmt.Fprintf(e.Stdout, "  pemilik / owner:        %s\n", rt.Owner.Name)
	fmt.Fprintf(e.Stdout, "  kata sandi / password:  %s\n", rt.OwnerPassword)
	fmt.Fprintf(e.Stdout, "  autentikator / authenticator: %s\n", rt.OwnerTOTPURL)
	fmt.Fprintf(e.Stdout, "  e.g. LUNAS_USER=%s LUNAS_PASSWORD=%s lunas --db %s serve\n", rt.Owner.Name, rt.OwnerPassword, name)
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

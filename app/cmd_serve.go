package app

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"lunas/security"
)

// serveContext is the context serve runs under until a signal; tests replace
// it to stop an in-process serve.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// runServe runs the engine headless until SIGINT or SIGTERM. It opens the
// shop's vault (the key remembered on this computer, else LUNAS_PASSWORD of
// an owner) and pays through every gateway whose keys the desktop stored in
// it. On a signal the loops stop taking new work, calls already made are
// recorded, and the store closes after the last transaction: nothing is left
// half-written.
func runServe(e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	xurl := fs.String("xendit-url", os.Getenv("LUNAS_XENDIT_URL"), "Xendit API base URL (default: the stored setting, else production)")
	sbURL := fs.String("sandbox", os.Getenv("LUNAS_SANDBOX_URL"), "send every gateway (Xendit, Midtrans, Iris) to this sandbox URL")
	rpm := fs.Int("rate", 0, "Xendit requests per minute per endpoint (0 = the key's default: 60 test mode, 600 live; -1 = unlimited)")
	fast := fs.Bool("fast", false, "short polling intervals (sandbox and tests)")
	leaseTTL := fs.Duration("lease", defaultLeaseTTL, "engine lease: a standby takes over this long after the sending engine stopped renewing it")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	if *leaseTTL < time.Second {
		return fmt.Errorf("--lease %s: minimal 1s / at least 1s", *leaseTTL)
	}
	out := &lockedWriter{w: e.Stdout}
	log := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := serveContext()
	defer stop()
	sh, err := unlockShop(ctx, e, false)
	if err != nil {
		return err
	}
	defer sh.Close()
	cs, err := shopChannels(ctx, sh, gatewayURLs{Sandbox: *sbURL, Xendit: *xurl}, log)
	if err != nil {
		return err
	}
	for _, w := range cs.Warnings {
		log.Warn("gateway settings", "note", w)
	}
	o := engineOptions{RatePerMinute: *rpm, Log: log, Lease: engineLease("serve", *leaseTTL)}
	if *fast {
		o.Intervals.PollFirst, o.Intervals.List, o.Intervals.TrackFirst, o.Intervals.Send = 200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
	}
	smtpPW, err := secretOf(ctx, sh.Sec, security.SecretSMTPPassword)
	if err != nil {
		return err
	}
	if pw := os.Getenv("LUNAS_SMTP_PASSWORD"); pw != "" {
		smtpPW = pw
	}
	if o.Mailer, err = mailerFromSettings(ctx, sh.DB, smtpPW); err != nil {
		return fmt.Errorf("mail settings: %w", err)
	}
	eng, err := shopEngine(ctx, sh, cs, o)
	if err != nil {
		return err
	}
	events, unsub := eng.Bus().Subscribe(64)
	defer unsub()
	if err := eng.Start(ctx); err != nil {
		return err
	}
	names := cs.names()
	sort.Strings(names)
	fmt.Fprintf(out, "lunas serve: engine running on %s with %v (Ctrl+C to stop)\n", e.dbName(), names)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		printLeaseEvents(out, eng, events) // who sends, and every change
	}()
	<-ctx.Done()
	fmt.Fprintln(out, "lunas serve: stopping; finishing in-flight work")
	eng.Stop()
	unsub()
	<-printed
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

package app

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"lunas/domain/sqlite"
	"lunas/gateways/xendit"
	"lunas/security"
)

// runServe runs the engine headless until SIGINT or SIGTERM. On a signal the
// loops stop taking new work, calls already made are recorded, and the
// store closes after the last transaction: nothing is left half-written.
func runServe(e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	url := fs.String("xendit-url", envOr("LUNAS_XENDIT_URL", xendit.DefaultBaseURL), "Xendit API base URL (a sandbox URL for testing)")
	rpm := fs.Int("rate", 0, "requests per minute per gateway (0 = Xendit test-mode 60, -1 = unlimited)")
	fast := fs.Bool("fast", false, "short polling intervals (sandbox and tests)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	key := os.Getenv("LUNAS_XENDIT_KEY")
	if key == "" {
		return fmt.Errorf("set LUNAS_XENDIT_KEY to the Xendit secret key")
	}
	log := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := engineOptions{XenditURL: *url, XenditKey: key, RatePerMinute: *rpm, Log: log}
	var db *sqlite.DB
	if pw := os.Getenv("LUNAS_PASSWORD"); pw != "" {
		// The shop's vault, unlocked by an owner's password: the same
		// encryption, risk rules and TOTP approval as the desktop.
		owner, err := strconv.ParseInt(envOr("LUNAS_OWNER_ID", "1"), 10, 64)
		if err != nil {
			return fmt.Errorf("LUNAS_OWNER_ID: %w", err)
		}
		vault := security.NewVault(security.VaultOptions{})
		if db, err = sqlite.Open(ctx, e.DBPath, sqlite.Options{Cipher: vault}); err != nil {
			return err
		}
		defer db.Close()
		vault.Bind(db)
		if err := vault.Unlock(ctx, owner, pw); err != nil {
			return fmt.Errorf("unlocking the vault: %w", err)
		}
		sec := security.New(db, vault, security.Options{})
		o.Risk, o.Codes = sec.Checker(), sec
	} else {
		// No vault password: a data key kept in a 0600 file beside the
		// database (tests and sandbox use only).
		fmt.Fprintf(e.Stderr, "lunas serve: LUNAS_PASSWORD not set; using the key file %s.key (not for real money)\n", e.DBPath)
		ciph, err := keyFileCipher(e.DBPath)
		if err != nil {
			return err
		}
		if db, err = sqlite.Open(ctx, e.DBPath, sqlite.Options{Cipher: ciph}); err != nil {
			return err
		}
		defer db.Close()
	}
	if *fast {
		o.Intervals.PollFirst, o.Intervals.List, o.Intervals.TrackFirst, o.Intervals.Send = 200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
	}
	mailer, err := mailerFromSettings(ctx, db, os.Getenv("LUNAS_SMTP_PASSWORD"))
	if err != nil {
		return fmt.Errorf("mail settings: %w", err)
	}
	o.Mailer = mailer
	eng, err := buildEngine(ctx, db, o)
	if err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "lunas serve: engine running on %s (Ctrl+C to stop)\n", e.DBPath)
	<-ctx.Done()
	fmt.Fprintln(e.Stdout, "lunas serve: stopping; finishing in-flight work")
	eng.Stop()
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

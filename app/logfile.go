package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"

	"lunas/gateways"
	"lunas/ui"
)

// appLog is the application's one log file: logs/lunas.log in the folder of
// the database (the user's config folder by default), rotated at 5 MB with
// five older files kept for 30 days. Everything the desktop logs goes there
// (its own slog records and what Fyne writes through the standard logger),
// with every secret the application has seen (gateway keys typed into the
// wizard or settings, saved secrets) and sensitive URL parameters redacted.
type appLog struct {
	Path   string
	Logger *slog.Logger
	Redact *gateways.Redactor
	file   *lumberjack.Logger
}

// logFileName is where the log lives relative to the database's folder.
const logFileName = "logs/lunas.log"

// openAppLog opens the log beside dbPath. Warnings and errors also go to
// stderr (a terminal shows them; a desktop launch ignores them).
func openAppLog(dbPath string, stderr io.Writer) (*appLog, error) {
	path := filepath.Join(filepath.Dir(dbPath), filepath.FromSlash(logFileName))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f := &lumberjack.Logger{Filename: path, MaxSize: 5, MaxBackups: 5, MaxAge: 30}
	red := gateways.NewRedactor()
	toFile := red.Handler(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo}))
	toErr := red.Handler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l := &appLog{Path: path, Logger: slog.New(slog.NewMultiHandler(toFile, toErr)), Redact: red, file: f}
	// Fyne's errors (fyne.LogError) go through the standard logger.
	log.SetOutput(io.MultiWriter(redactWriter{red, f}, redactWriter{red, stderr}))
	return l, nil
}

// Close flushes and closes the file and gives the standard logger back its
// stderr.
func (l *appLog) Close() error {
	log.SetOutput(os.Stderr)
	return l.file.Close()
}

// redactWriter removes secrets from each write.
type redactWriter struct {
	r *gateways.Redactor
	w io.Writer
}

func (w redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// connectionAnswer words what a connection test learned: the key refused
// (401 or 403), the gateway unreachable (no connection, timeout, or a
// server error), or connected with a test-mode key (sandbox keys move no
// real money). Other errors pass as they are.
func connectionAnswer(gateway string, keys map[string]string, err error) error {
	var ae *gateways.APIError
	switch {
	case err == nil:
		key := strings.TrimSpace(keys["key1"])
		if strings.HasPrefix(key, "xnd_development_") || strings.HasPrefix(key, "SB-Mid-server-") {
			return fmt.Errorf("%s: %w", gateway, ui.ErrTestMode)
		}
		return nil
	case errors.As(err, &ae) && (ae.HTTPStatus == http.StatusUnauthorized || ae.HTTPStatus == http.StatusForbidden):
		return fmt.Errorf("%w: %w", ui.ErrKeyRefused, err)
	case gateways.IsTransport(err), gateways.IsTimeout(err), gateways.IsServerError(err),
		errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ui.ErrUnreachable, err)
	}
	return err
}

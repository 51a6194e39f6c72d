package app

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/gateways"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
	"lunas/mail"
	"lunas/security"
)

// engineOptions is what building an engine needs beyond the store.
type engineOptions struct {
	XenditURL string // gateway base URL (the sandbox's in demo and tests)
	XenditKey string
	// RatePerMinute caps requests per gateway endpoint family; 0 = Xendit's
	// default for the key (60/min per endpoint in test mode, 600 live),
	// negative = unlimited.
	RatePerMinute int
	Intervals     engine.Intervals
	Batch         int
	Concurrency   int
	Log           *slog.Logger
	Mailer        engine.MailSender
	Risk          engine.RiskChecker
	Codes         engine.CodeVerifier
	// UserCount counts the active users so the engine refuses
	// self-approval when someone else could approve (nil: one user).
	UserCount func(ctx context.Context) (int, error)
	// Extra payout channels beside Xendit, and which one pays a payee's
	// bank or wallet code (unlisted codes go through DefaultChannel).
	Extra map[string]domain.PayoutChannel
	Route map[string]string
	// Payments are payment gateways beside Xendit (Midtrans).
	Payments map[string]domain.PaymentGateway
	// DefaultChannel pays unrouted codes; "" means Xendit when it has a key.
	DefaultChannel string

	// Minute is the limiter's minute; 0 = time.Minute. Only time-scaled
	// benchmarks shorten it (app/engine_scaled_bench_test.go).
	Minute time.Duration
	// Now is the engine's clock; nil = time.Now (tests pass a fake one).
	Now func() time.Time
	// Lease makes the engine one of several on the shop that only sends
	// while it holds the engine lease (serve and the desktop; nil: it
	// always sends, as the demo and most tests).
	Lease *engine.LeaseOptions
}

// xenditPacing is how Lunas keeps to Xendit's rate limits: the engine's
// limiters by operation, and the limiter the adapter waits for before each
// invoice list page (one list call may read several pages).
type xenditPacing struct {
	Engine    map[string]engine.Limiter
	ListPages engine.Limiter
	// byOp holds the limiters of each Xendit endpoint, by the adapter's
	// operation name, so that a 429's reset holds them (OnRateLimit).
	byOp map[string][]*gateways.WindowLimiter
}

// OnRateLimit holds the limiters of the endpoint Xendit answered 429 for
// until the reset it asked for: no request of the engine goes to that
// endpoint before then (the adapter's client holds its own calls too).
func (p xenditPacing) OnRateLimit(op string, until time.Time) {
	for _, l := range p.byOp[op] {
		l.HoldUntil(until)
	}
}

// chain waits for each limiter in turn: a share of a shared budget.
type chain []engine.Limiter

// Wait implements engine.Limiter.
func (c chain) Wait(ctx context.Context) error {
	for _, l := range c {
		if err := l.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// xenditLimiters paces Lunas as Xendit counts: per endpoint, in a sliding
// minute (gateways.WindowLimiter; a token bucket admits its burst on top
// of the rate, which is a 429 at Xendit).
//   - GET /v2/invoices serves both the list pages and the one-by-one
//     payment checks: one window, kept at 55 of 60 for the rare lookups
//     outside the engine (a retried invoice creation looks its external_id
//     up). The one-by-one checks may take only a third of the limit, so a
//     backlog of old unpaid links never delays the list that settles.
//   - GET /v2/payouts (status): the reversal watch may take a tenth, so
//     tracking keeps the rest.
//
// perMinute 0 means the test-mode limit of 60; negative means no limit.
func xenditLimiters(perMinute int) xenditPacing {
	return xenditLimitersPer(perMinute, time.Minute)
}

// xenditLimitersPer is xenditLimiters with a minute of the given length, so
// that a time-scaled run paces the engine at the same scaled rate.
func xenditLimitersPer(perMinute int, minute time.Duration) xenditPacing {
	if perMinute < 0 {
		return xenditPacing{}
	}
	if perMinute == 0 {
		perMinute = 60
	}
	// A thirtieth of the window as slack: calls admitted a minute apart
	// still arrive a minute apart when the network holds one back by up to
	// 2 s (at the real minute).
	mk := func(n int) *gateways.WindowLimiter { return gateways.NewWindowLimiter(max(1, n), minute, minute/30) }
	invoices := mk(perMinute * 11 / 12)
	status := mk(perMinute)
	create, cancel, balance := mk(perMinute), mk(perMinute), mk(perMinute)
	return xenditPacing{
		ListPages: invoices,
		Engine: map[string]engine.Limiter{
			"xendit/" + engine.OpPaymentStatus: chain{mk(perMinute / 3), invoices},
			"xendit/" + engine.OpPayoutCreate:  create, // POST /v2/payouts
			"xendit/" + engine.OpPayoutStatus:  status,
			"xendit/" + engine.OpPayoutWatch:   mk(perMinute / 10),
			"xendit/" + engine.OpPayoutCancel:  cancel,
			"xendit/" + engine.OpBalance:       balance,
		},
		byOp: map[string][]*gateways.WindowLimiter{
			"POST /v2/payouts":             {create},
			"GET /v2/payouts?reference_id": {status}, // the reversal watch waits for status too
			"POST /v2/payouts/{id}/cancel": {cancel},
			"GET /v2/invoices":             {invoices}, // list pages and one-by-one checks
			"GET /balance":                 {balance},
		},
	}
}

// xenditRate is the per-endpoint limit to keep to: the one asked for, or
// when none was (0), Xendit's documented default for the key's mode: 600 a
// minute for a live key, 60 for a test key.
func xenditRate(asked int, key string) int {
	if asked == 0 && strings.HasPrefix(key, "xnd_production_") {
		return 600
	}
	return asked
}

// limitedListInterval is the invoice list interval under a rate limit. A
// list round is one GET /v2/invoices (paid_after): every 2 s is 30 a minute
// while payments are pending, leaving the rest of the test-mode 60 to the
// one-by-one checks of payments past expiry, and it bounds the wait from a
// buyer paying to Lunas knowing (settlement latency p99 <= 3 s).
const limitedListInterval = 2 * time.Second

// settingRupiah reads a rupiah setting, 0 when absent.
func settingRupiah(ctx context.Context, st domain.Store, key string) domain.Rupiah {
	var v domain.Rupiah
	st.Read(ctx, func(tx domain.ReadTx) error {
		s, err := tx.GetSetting(key)
		if err != nil {
			return nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			v = domain.Rupiah(n)
		}
		return nil
	})
	return v
}

// Settings keys for the auto-send limits (whole rupiah).
const (
	settingLimitPerTransfer = "limits.per_transfer"
	settingLimitPayeeDaily  = "limits.payee_daily"
	settingLowBalance       = "limits.low_balance"
	settingShopName         = "shop.name" // the same key as ui.SettingShopName
)

// buildEngine wires the engine to the store, the Xendit gateway (payments
// and payouts) when it has a key, and the other gateways in o. The limits
// come from the store's settings.
func buildEngine(ctx context.Context, st domain.Store, o engineOptions) (*engine.Engine, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	payments := map[string]domain.PaymentGateway{}
	channels := map[string]domain.PayoutChannel{}
	var lim map[string]engine.Limiter
	if o.XenditKey != "" {
		if o.Minute <= 0 {
			o.Minute = time.Minute
		}
		pace := xenditLimitersPer(xenditRate(o.RatePerMinute, o.XenditKey), o.Minute)
		x := xendit.New(xendit.Config{BaseURL: o.XenditURL, SecretKey: o.XenditKey, Logger: o.Log, Timeout: 20 * time.Second,
			// The engine owns retries: a retry inside the adapter would hide a
			// slow gateway from the backoff and hold a sender slot.
			Retry:       gateways.RetryPolicy{MaxAttempts: 2, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxTotalWait: 3 * time.Second},
			ListLimiter: pace.ListPages, OnRateLimit: pace.OnRateLimit})
		payments["xendit"], channels["xendit"] = x, x
		lim = pace.Engine
		if lim != nil && o.Intervals.List == 0 {
			o.Intervals.List = limitedListInterval
		}
		if o.DefaultChannel == "" {
			o.DefaultChannel = "xendit"
		}
	}
	for name, ch := range o.Extra {
		channels[name] = ch
	}
	for name, p := range o.Payments {
		payments[name] = p
	}
	return engine.New(engine.Config{
		Store:          st,
		Payments:       payments,
		Channels:       channels,
		DefaultChannel: o.DefaultChannel,
		UserCount:      o.UserCount,
		Route:          func(p domain.Payee) string { return o.Route[strings.ToUpper(p.Channel)] },
		Limiters:       lim,
		Batch:          o.Batch,
		Concurrency:    o.Concurrency,
		Intervals:      o.Intervals,
		Limits: engine.Limits{
			PerTransfer: settingRupiah(ctx, st, settingLimitPerTransfer),
			PayeeDaily:  settingRupiah(ctx, st, settingLimitPayeeDaily),
			LowBalance:  settingRupiah(ctx, st, settingLowBalance),
		},
		Risk: o.Risk, Codes: o.Codes, Mailer: o.Mailer, Log: o.Log, Now: o.Now, Lease: o.Lease,
	})
}

// runtime is a running engine with what it runs against. Stop ends it in
// order: engine loops first (in-flight work is recorded), then the store,
// then the sandbox.
type runtime struct {
	Engine     *engine.Engine
	Store      shopDB
	Sandbox    *sandbox.Server // nil unless in-process
	SandboxURL string
	// Security, Owner and OwnerTOTPSecret are set for a secure demo
	// (demoOptions.Secure): the demo owner and her authenticator secret.
	Security        *security.Service
	Owner           domain.Actor
	OwnerTOTPSecret string
	// OwnerPassword and OwnerTOTPURL let a person sign in to a demo shop
	// that was kept (lunas demo --keep FILE, or --db).
	OwnerPassword, OwnerTOTPURL string
	// DemoGateway is the payment gateway the demo's buyers pay through
	// (demoOptions.Gateway; nil: Xendit) and DemoPay how a buyer pays it.
	DemoGateway domain.PaymentGateway
	DemoPay     func(externalID string, amount domain.Rupiah) error
	stops       []func()
}

// Stop shuts everything down; in-flight database work finishes first.
func (r *runtime) Stop() {
	for i := len(r.stops) - 1; i >= 0; i-- {
		r.stops[i]()
	}
	r.stops = nil
}

// startSandbox serves a sandbox on a loopback port.
func startSandbox(cfg sandbox.Config, addr string) (*sandbox.Server, string, func(), error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return listenSandbox(sandbox.New(cfg), addr)
}

// listenSandbox serves sb on addr (loopback; port 0 picks one).
func listenSandbox(sb *sandbox.Server, addr string) (*sandbox.Server, string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", nil, err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop := func() {
		sb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return sb, "http://" + ln.Addr().String(), stop, nil
}

// memoryCipher is AES-256-GCM with a key that lives only in memory, bound to
// the field reference. Demo databases are thrown away, so their key may be too.
type memoryCipher struct{ a cipher.AEAD }

func newMemoryCipher(key []byte) (*memoryCipher, error) {
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &memoryCipher{a}, nil
}

func fieldAD(r domain.FieldRef) []byte {
	return []byte(r.Table + "\x00" + r.Column + "\x00" + strconv.FormatInt(r.Row, 10))
}

// Seal implements domain.FieldCipher.
func (c *memoryCipher) Seal(p string, r domain.FieldRef) ([]byte, error) {
	n := make([]byte, c.a.NonceSize())
	if _, err := rand.Read(n); err != nil {
		return nil, err
	}
	return c.a.Seal(n, n, []byte(p), fieldAD(r)), nil
}

// Open implements domain.FieldCipher.
func (c *memoryCipher) Open(ct []byte, r domain.FieldRef) (string, error) {
	ns := c.a.NonceSize()
	if len(ct) < ns {
		return "", errors.New("ciphertext too short")
	}
	p, err := c.a.Open(nil, ct[:ns], ct[ns:], fieldAD(r))
	if err != nil {
		return "", fmt.Errorf("decrypt %s.%s: %w", r.Table, r.Column, err)
	}
	return string(p), nil
}

// mailerFromSettings builds the SMTP sender from the shop's settings
// (smtp.host as "host" or "host:port", smtp.user, smtp.from, optional
// smtp.tls) and the password given. It returns nil when no SMTP host is set:
// confirmations then wait in the outbox until one is.
func mailerFromSettings(ctx context.Context, st domain.Store, password string) (engine.MailSender, error) {
	get := func(k string) string {
		var v string
		st.Read(ctx, func(tx domain.ReadTx) error {
			v, _ = tx.GetSetting(k)
			return nil
		})
		return v
	}
	host := get("smtp.host")
	if host == "" {
		return nil, nil
	}
	port := 587
	if h, p, err := net.SplitHostPort(host); err == nil {
		host = h
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("smtp.host port: %w", err)
		}
	}
	return mail.New(mail.Config{Host: host, Port: port, Username: get("smtp.user"), Password: password,
		From: get("smtp.from"), Shop: get(settingShopName), TLS: get("smtp.tls")})
}

package gateways

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// Default client settings. The gateways' own SDKs ship without a timeout;
// Lunas always sets one.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultTimeout        = 30 * time.Second
	DefaultUserAgent      = "Lunas/0.1 (+https://lunas.invalid)"
)

// BasicAuth is HTTP Basic credentials. Xendit, Midtrans and Iris use the key
// as the user name with an empty password.
type BasicAuth struct {
	User, Password string
}

// RetryPolicy says how often and how long a retryable call is repeated.
type RetryPolicy struct {
	MaxAttempts  int           // total attempts including the first; 1 disables retries
	BaseDelay    time.Duration // first backoff; doubles each attempt
	MaxDelay     time.Duration // cap on one backoff (a Retry-After may exceed it)
	MaxTotalWait time.Duration // cap on the sum of all waits of one call
}

// DefaultRetry is the policy used when Config.Retry is zero.
var DefaultRetry = RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, MaxTotalWait: 15 * time.Second}

// ErrorDecoder reads a gateway's error body into a code and a message. It
// must not panic on any input.
type ErrorDecoder func(status int, body []byte) (code, message string)

// Config builds a Client.
type Config struct {
	Gateway        string // short name used in errors and logs ("xendit")
	BaseURL        string
	Auth           *BasicAuth // sent on every call unless the Call overrides it
	UserAgent      string
	ConnectTimeout time.Duration // dial timeout; default DefaultConnectTimeout
	Timeout        time.Duration // whole attempt; default DefaultTimeout
	Retry          RetryPolicy   // zero means DefaultRetry
	Logger         *slog.Logger  // nil: slog.Default(); always wrapped by the redactor
	Secrets        []string      // extra values to redact (PINs, passwords, other keys)
	DecodeError    ErrorDecoder  // nil: the generic decoder (error_code/message/error_message)
	Transport      http.RoundTripper
	Clock          Clock // retry waits, Retry-After dates and jitter; nil: SystemClock
	// OnRateLimit, when set, is told when a gateway answered 429 for an
	// operation (Call.Op) and until when it asked to wait, so that the
	// caller's own pacing (the engine's limiter) holds that endpoint too.
	OnRateLimit func(op string, until time.Time)
}

// Client is a gateway HTTP client: one resty client plus the retry rules,
// error typing and redaction. It is safe for concurrent use.
type Client struct {
	cfg   Config
	rc    *resty.Client
	red   *Redactor
	log   *slog.Logger
	clock Clock

	holdMu sync.Mutex
	holds  map[string]time.Time // per operation: no request before this time (a 429's reset)
}

// New builds a Client. Auth and Secrets are registered with the redactor.
func New(cfg Config) *Client {
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retry == (RetryPolicy{}) {
		cfg.Retry = DefaultRetry
	}
	if cfg.Retry.MaxAttempts < 1 {
		cfg.Retry.MaxAttempts = 1
	}
	if cfg.DecodeError == nil {
		cfg.DecodeError = DecodeGenericError
	}
	red := NewRedactor(cfg.Secrets...)
	if cfg.Auth != nil {
		red.Add(cfg.Auth.User, cfg.Auth.Password)
	}
	base := cfg.Logger
	if base == nil {
		base = slog.Default()
	}
	log := slog.New(red.Handler(base.Handler())).With("gateway", cfg.Gateway)
	tr := cfg.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout: cfg.ConnectTimeout,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
		}
	}
	rc := resty.New().
		SetBaseURL(strings.TrimRight(cfg.BaseURL, "/")).
		SetTransport(tr).
		SetTimeout(cfg.Timeout).
		SetHeader("User-Agent", cfg.UserAgent).
		SetLogger(restyLogger{log}).
		SetRetryCount(0).
		SetDisableWarn(true). // plain HTTP is the loopback sandbox only; resty's warning is noise
		SetPreRequestHook(noReplay)
	return &Client{cfg: cfg, rc: rc, red: red, log: log, clock: clockOr(cfg.Clock), holds: map[string]time.Time{}}
}

// Redactor returns the client's redactor, so adapters can register secrets
// they learn later and redact their own messages.
func (c *Client) Redactor() *Redactor { return c.red }

// Logger returns the client's redacting logger.
func (c *Client) Logger() *slog.Logger { return c.log }

// Gateway returns the configured gateway name.
func (c *Client) Gateway() string { return c.cfg.Gateway }

// Call is one HTTP request to a gateway.
type Call struct {
	Op     string // name for errors and logs; default "METHOD path"
	Method string
	Path   string // relative to BaseURL, or absolute
	Query  url.Values
	Header map[string]string
	// Exactly one of JSON, Form or Body may be set.
	JSON        any
	Form        url.Values
	Body        []byte
	ContentType string
	// IdempotencyKey makes a POST retryable; it is sent in IdempotencyHeader
	// (default "Idempotency-Key"; header names are case-insensitive).
	IdempotencyKey    string
	IdempotencyHeader string
	// NoRetry sends the call once even when it is retryable. Payout creates
	// use it: a repeat of a create is a same-REFID resend, which only the
	// engine may decide (domain.ResendAllowed), because a gateway's key
	// window may close between two tries.
	NoRetry bool
	Auth    *BasicAuth // overrides Config.Auth for this call
}

// Response is a gateway's HTTP answer.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Attempts int
}

// Retryable reports whether the call may be repeated: reads always, POSTs
// only with an idempotency key, because a repeated unkeyed POST could move
// money twice; never a call marked NoRetry.
func (call *Call) Retryable() bool {
	if call.NoRetry {
		return false
	}
	switch call.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return call.IdempotencyKey != ""
}

// Do sends call, retrying per the policy when the call is retryable and the
// answer was a transport error, a 429 or a 5xx. It returns the response and
// nil for 2xx; the response and an *APIError for other statuses; nil and a
// *TransportError when no answer came; or ErrUnparseable-wrapped errors for
// an unusable request. Every error text is redacted.
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	if call.Method == "" {
		call.Method = http.MethodGet
	}
	if call.Op == "" {
		path, _, _ := strings.Cut(call.Path, "?")
		call.Op = call.Method + " " + path
	}
	call.Op = c.red.String(call.Op)
	var body []byte
	ctype := call.ContentType
	switch {
	case call.JSON != nil:
		b, err := json.Marshal(call.JSON)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", c.cfg.Gateway, call.Op, err)
		}
		body, ctype = b, "application/json"
	case call.Form != nil:
		body, ctype = []byte(call.Form.Encode()), "application/x-www-form-urlencoded"
	case call.Body != nil:
		body = call.Body
	}
	pol := c.cfg.Retry
	if !call.Retryable() {
		pol.MaxAttempts = 1
	}
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		if err := c.awaitHold(ctx, call.Op); err != nil {
			return nil, err
		}
		resp, err := c.once(ctx, call, body, ctype)
		if resp != nil {
			resp.Attempts = attempt
		}
		c.noteRateLimit(call.Op, err)
		retry, wait := c.shouldRetry(resp, err, attempt, pol)
		if retry && waited+wait > pol.MaxTotalWait {
			retry = false
		}
		if retry {
			if dl, ok := ctx.Deadline(); ok && dl.Sub(c.clock.Now()) < wait {
				retry = false
			}
		}
		if !retry {
			return resp, err
		}
		c.log.Debug("gateway retry", "op", call.Op, "attempt", attempt, "wait", wait, "err", err)
		if serr := c.clock.Sleep(ctx, wait); serr != nil {
			return resp, err
		}
		waited += wait
	}
}

// shouldRetry decides whether to repeat and how long to wait first.
func (c *Client) shouldRetry(resp *Response, err error, attempt int, pol RetryPolicy) (bool, time.Duration) {
	if attempt >= pol.MaxAttempts || err == nil {
		return false, 0
	}
	if errors.Is(err, context.Canceled) {
		return false, 0
	}
	var te *TransportError
	if errors.As(err, &te) {
		if errors.Is(te.Err, context.Canceled) || errors.Is(te.Err, context.DeadlineExceeded) {
			// The caller's own context ended; a client timeout is a
			// net.Error and is retried below.
			var ne net.Error
			if !(errors.As(te.Err, &ne) && ne.Timeout()) {
				return false, 0
			}
		}
		return true, backoff(pol, attempt, c.clock)
	}
	var ae *APIError
	if !errors.As(err, &ae) || !ae.Retryable {
		return false, 0
	}
	if ae.HTTPStatus == http.StatusTooManyRequests && ae.Wait > 0 {
		return true, ae.Wait
	}
	return true, backoff(pol, attempt, c.clock)
}

// noteRateLimit holds operation op until the reset a 429 asked for, and
// tells Config.OnRateLimit.
func (c *Client) noteRateLimit(op string, err error) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusTooManyRequests {
		return
	}
	wait := ae.Wait
	if wait <= 0 {
		// A 429 without a usable reset: hold at least a second rather
		// than let the next request hit the same wall at once.
		wait = time.Second
	}
	until := c.clock.Now().Add(wait)
	c.holdMu.Lock()
	if until.After(c.holds[op]) {
		c.holds[op] = until
	}
	c.holdMu.Unlock()
	c.log.Info("gateway rate limit: holding the endpoint", "op", op, "wait", wait)
	if c.cfg.OnRateLimit != nil {
		c.cfg.OnRateLimit(op, until)
	}
}

// HeldUntil returns until when operation op is held by a 429's reset (zero
// when it is not).
func (c *Client) HeldUntil(op string) time.Time {
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if t, ok := c.holds[op]; ok && t.After(c.clock.Now()) {
		return t
	}
	return time.Time{}
}

// awaitHold waits until op's rate-limit hold (if any) has passed, so that no
// request to that endpoint goes out before the reset the gateway asked for.
// When ctx would end first it returns a *HoldError without sending anything.
func (c *Client) awaitHold(ctx context.Context, op string) error {
	for {
		until := c.HeldUntil(op)
		if until.IsZero() {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
			return &HoldError{Gateway: c.cfg.Gateway, Op: op, Until: until}
		}
		if err := c.clock.Sleep(ctx, until.Sub(c.clock.Now())); err != nil {
			return &HoldError{Gateway: c.cfg.Gateway, Op: op, Until: until, Err: err}
		}
	}
}

// backoff is exponential with "equal jitter": half fixed, half random, so
// that clients that failed together do not retry together.
func backoff(pol RetryPolicy, attempt int, c Clock) time.Duration {
	d := pol.BaseDelay << (attempt - 1)
	if d <= 0 || (pol.MaxDelay > 0 && d > pol.MaxDelay) {
		d = pol.MaxDelay
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + c.Jitter(half)
}

// MaxRateLimitWait bounds the wait a 429 can impose: a header asking for
// more is treated as asking for this long.
const MaxRateLimitWait = time.Hour

// RateLimitWait reads how long a gateway asked the client to wait:
// Rate-Limit-Reset (seconds, possibly fractional, as Xendit sends it:
// "58.37") or Retry-After (seconds or an HTTP date), whichever is present;
// the longer when both are. ok is false when neither is usable.
func RateLimitWait(h http.Header, now time.Time) (time.Duration, bool) {
	var wait time.Duration
	found := false
	if d, ok := ParseRateLimitReset(h.Get("Rate-Limit-Reset")); ok {
		wait, found = d, true
	}
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), now); ok {
		wait, found = max(wait, d), true
	}
	return min(wait, MaxRateLimitWait), found
}

// ParseRateLimitReset reads a Rate-Limit-Reset header: the seconds left in
// the current window, possibly fractional ("58.37"). Rounded up to the
// millisecond, so a wait never ends early.
func ParseRateLimitReset(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 24*3600 {
		return 0, false
	}
	return time.Duration(math.Ceil(f*1000)) * time.Millisecond, true
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// A date in the past gives zero. ok is false for a missing or bad header.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > 24*3600 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}

// onceKey marks the context of a NoRetry call.
type onceKey struct{}

// noReplay stops net/http from repeating a NoRetry call by itself: its
// Transport silently resends a request carrying an Idempotency-Key or
// X-Idempotency-Key header when a reused connection breaks, if it can
// rewind the body (GetBody). For a payout create that would be a resend
// nobody decided, so the body is made one-shot.
func noReplay(_ *resty.Client, r *http.Request) error {
	if once, _ := r.Context().Value(onceKey{}).(bool); once {
		r.GetBody = nil
	}
	return nil
}

func (c *Client) once(ctx context.Context, call Call, body []byte, ctype string) (*Response, error) {
	if call.NoRetry {
		ctx = context.WithValue(ctx, onceKey{}, true)
	}
	req := c.rc.R().SetContext(ctx)
	if call.Auth != nil {
		req.SetBasicAuth(call.Auth.User, call.Auth.Password)
	} else if c.cfg.Auth != nil {
		req.SetBasicAuth(c.cfg.Auth.User, c.cfg.Auth.Password)
	}
	if call.Query != nil {
		req.SetQueryParamsFromValues(call.Query)
	}
	for k, v := range call.Header {
		req.SetHeader(k, v)
	}
	if call.IdempotencyKey != "" {
		h := call.IdempotencyHeader
		if h == "" {
			h = "Idempotency-Key"
		}
		req.SetHeader(h, call.IdempotencyKey)
	}
	if body != nil {
		req.SetBody(body)
		if ctype != "" {
			req.SetHeader("Content-Type", ctype)
		}
	}
	req.SetHeader("Accept", "application/json")
	start := time.Now()
	rr, err := req.Execute(call.Method, call.Path)
	if err != nil {
		te := newTransportError(c.cfg.Gateway, call.Op, err, c.red)
		c.log.Info("gateway call failed", "op", call.Op, "err", te.Error(), "took", time.Since(start))
		return nil, te
	}
	resp := &Response{Status: rr.StatusCode(), Header: rr.Header(), Body: rr.Body()}
	c.log.Debug("gateway call", "op", call.Op, "status", resp.Status, "took", time.Since(start))
	if resp.Status >= 200 && resp.Status < 300 {
		return resp, nil
	}
	code, msg := c.cfg.DecodeError(resp.Status, resp.Body)
	var wait time.Duration
	if resp.Status == http.StatusTooManyRequests {
		wait, _ = RateLimitWait(resp.Header, c.clock.Now())
	}
	ae := &APIError{
		Gateway:    c.cfg.Gateway,
		Op:         call.Op,
		HTTPStatus: resp.Status,
		Code:       c.red.String(code),
		Message:    c.red.String(msg),
		Retryable:  resp.Status == http.StatusTooManyRequests || resp.Status >= 500,
		RetryAfter: resp.Header.Get("Retry-After"),
		Wait:       wait,
	}
	c.log.Info("gateway error", "op", call.Op, "status", resp.Status, "code", ae.Code, "message", ae.Message)
	return resp, ae
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// DecodeGenericError reads the common JSON error shapes: error_code or code,
// and message, error_message, status_message or the first of error_messages.
// Non-JSON bodies give an empty code and a short excerpt as the message.
func DecodeGenericError(status int, body []byte) (code, message string) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		s := strings.TrimSpace(string(body))
		if len(s) > 200 {
			s = s[:200]
		}
		return "", s
	}
	code = firstString(m, "error_code", "code")
	message = firstString(m, "message", "error_message", "status_message")
	if message == "" {
		if arr, ok := m["error_messages"].([]any); ok && len(arr) > 0 {
			message, _ = arr[0].(string)
		}
	}
	return code, message
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// DecodeJSON unmarshals a reply body into v; any failure wraps ErrUnparseable.
func DecodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", ErrUnparseable, err)
	}
	return nil
}

// restyLogger sends resty's own messages to the redacting slog logger.
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(f string, v ...any) { r.l.Warn(fmt.Sprintf(f, v...)) }
func (r restyLogger) Warnf(f string, v ...any)  { r.l.Warn(fmt.Sprintf(f, v...)) }
func (r restyLogger) Debugf(f string, v ...any) { r.l.Debug(fmt.Sprintf(f, v...)) }

package h2h

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// Transports a supplier can use.
const (
	TransportQuery = "query" // HTTP GET of a templated path and query (the default)
	TransportText  = "text"  // a templated text message POSTed as text/plain to TextPath
)

// Default templates (gateways.md section 9).
const (
	DefaultQuerySend    = "trx?memberID=[memberid]&product=[product]&dest=[dest]&qty=[qty]&refID=[refid]&sign=[sign]"
	DefaultQueryStatus  = "trx?memberID=[memberid]&refID=[refid]&check=1&sign=[sign]"
	DefaultQueryBalance = "balance?memberID=[memberid]&sign=[sign]"
	DefaultTextSend     = "[product].[dest].[qty].[pin].R#[refid]"
	DefaultTextStatus   = "CEK.R#[refid].[pin]"
	DefaultTextBalance  = "SAL.[pin]"
)

// ErrValidationUnsupported reports that an H2H supplier cannot validate bank
// accounts. It matches gateways.ErrUnsupported; the UI can say so plainly.
var ErrValidationUnsupported = fmt.Errorf("h2h: this supplier cannot check account holder names: %w", gateways.ErrUnsupported)

// Config describes one supplier. It is JSON-serialisable so suppliers can be
// configured in settings; PIN and Password are secrets and are stored
// encrypted by the caller, never logged.
type Config struct {
	Name      string `json:"name"`      // stable supplier name; the channel is "h2h:<name>"
	BaseURL   string `json:"base_url"`  // supplier endpoint, e.g. http://1.2.3.4:6969/
	Transport string `json:"transport"` // "query" (default) or "text"
	TextPath  string `json:"text_path,omitempty"`
	MemberID  string `json:"member_id"`
	PIN       string `json:"pin,omitempty"`
	Password  string `json:"password,omitempty"`

	SendTemplate    string `json:"send_template,omitempty"`
	StatusTemplate  string `json:"status_template,omitempty"`
	BalanceTemplate string `json:"balance_template,omitempty"`

	// Products maps a Lunas channel code (GOPAY, BCA) to the supplier's
	// product code; unmapped codes are sent as they are.
	Products map[string]string `json:"products,omitempty"`

	// Preset names a documented reply style ("otomax", "otomax-report",
	// "otomax-trxid", "digiflazz"; see Presets); empty reads every
	// documented style.
	Preset          string   `json:"preset,omitempty"`
	ReplyPatterns   []string `json:"reply_patterns,omitempty"`
	BalancePatterns []string `json:"balance_patterns,omitempty"`
	// Status-word synonyms, added to the defaults (SUKSES/GAGAL/PROSES...).
	SuccessWords  []string `json:"success_words,omitempty"`
	FailedWords   []string `json:"failed_words,omitempty"`
	PendingWords  []string `json:"pending_words,omitempty"`
	NotFoundWords []string `json:"not_found_words,omitempty"`
	ReversedWords []string `json:"reversed_words,omitempty"` // success later undone (refund)

	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
}

// Options are the non-serialisable parts of a channel.
type Options struct {
	Timeout   time.Duration // overrides Config.TimeoutSeconds when set
	Logger    *slog.Logger
	Retry     gateways.RetryPolicy
	Transport http.RoundTripper
	Now       func() time.Time
	Clock     gateways.Clock // the HTTP client's waits and jitter; nil: gateways.SystemClock
}

// Channel is one H2H supplier as a domain.PayoutChannel.
type Channel struct {
	cfg    Config
	c      *gateways.Client
	parser *Parser
	now    func() time.Time
}

var (
	_ domain.PayoutChannel = (*Channel)(nil)
	_ domain.ResendWindow  = (*Channel)(nil)
)

// KeyWindow is how long Lunas counts on an H2H supplier recognising a refID
// it has seen: until the first 00:00 WIB after the first send, less 15
// minutes. The OtomaX REFID rule (a known refID is never processed again,
// whatever its status) names no time limit, and suppliers without it only
// block a repeat on the same day, so the supplier's day is taken as the
// shortest reading; see docs/GATEWAYS.md.
var KeyWindow = domain.KeyWindow{MidnightIn: time.FixedZone("WIB", 7*3600), Margin: 15 * time.Minute}

// KeyWindow implements domain.ResendWindow.
func (ch *Channel) KeyWindow() domain.KeyWindow { return KeyWindow }

// New builds a channel for a supplier. It returns ErrConfig for a config that
// cannot work (bad pattern, unknown transport, missing URL or member id).
func New(cfg Config, opt Options) (*Channel, error) {
	switch cfg.Transport {
	case "":
		cfg.Transport = TransportQuery
	case TransportQuery, TransportText:
	default:
		return nil, fmt.Errorf("%w: transport %q", ErrConfig, cfg.Transport)
	}
	if cfg.Name == "" || cfg.BaseURL == "" || cfg.MemberID == "" {
		return nil, fmt.Errorf("%w: name, base_url and member_id are required", ErrConfig)
	}
	def := func(s *string, q, t string) {
		if *s == "" {
			if cfg.Transport == TransportText {
				*s = t
			} else {
				*s = q
			}
		}
	}
	def(&cfg.SendTemplate, DefaultQuerySend, DefaultTextSend)
	def(&cfg.StatusTemplate, DefaultQueryStatus, DefaultTextStatus)
	def(&cfg.BalanceTemplate, DefaultQueryBalance, DefaultTextBalance)
	if err := applyPreset(&cfg); err != nil {
		return nil, err
	}
	p, err := NewParser(cfg.ReplyPatterns, cfg.BalancePatterns, cfg.SuccessWords, cfg.FailedWords, cfg.PendingWords, cfg.NotFoundWords, cfg.ReversedWords)
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(cfg.TimeoutSeconds) * time.Second
	if opt.Timeout > 0 {
		timeout = opt.Timeout
	}
	c := gateways.New(gateways.Config{
		Gateway: "h2h:" + cfg.Name, BaseURL: cfg.BaseURL, Timeout: timeout,
		Logger: opt.Logger, Retry: opt.Retry, Transport: opt.Transport, Clock: opt.Clock,
		Secrets: []string{cfg.PIN, cfg.Password}, DecodeError: decodeText,
	})
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	return &Channel{cfg: cfg, c: c, parser: p, now: now}, nil
}

// Name implements domain.PayoutChannel.
func (ch *Channel) Name() string { return "h2h:" + ch.cfg.Name }

// decodeText makes a short message of a non-2xx text reply.
func decodeText(status int, body []byte) (code, message string) {
	s := strings.TrimSpace(string(body))
	if len(s) > 120 {
		s = s[:120]
	}
	return strconv.Itoa(status), s
}

// safeField is what may be put in a template: no separators that would let
// a value change the message's structure.
var safeField = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,64}$`)

// fields are the placeholder values of one request.
type fields struct{ product, dest, qty, refID string }

// render fills a template. In the query transport every value is escaped.
func (ch *Channel) render(tpl string, f fields) string {
	sign := Sign(ch.cfg.MemberID, f.product, f.dest, f.refID, ch.cfg.PIN, ch.cfg.Password)
	esc := func(s string) string { return s }
	if ch.cfg.Transport == TransportQuery {
		esc = url.QueryEscape
	}
	r := strings.NewReplacer(
		"[product]", esc(f.product), "[dest]", esc(f.dest), "[tujuan]", esc(f.dest),
		"[qty]", esc(f.qty), "[refid]", esc(f.refID), "[trxid]", esc(f.refID),
		"[memberid]", esc(ch.cfg.MemberID), "[pin]", esc(ch.cfg.PIN), "[sign]", esc(sign),
	)
	return r.Replace(tpl)
}

// exchange sends one rendered request and returns the reply text. Every
// request carries the REFID, which the supplier deduplicates, so the
// client may repeat it (GETs, and text POSTs keyed by the REFID).
func (ch *Channel) exchange(ctx context.Context, op, rendered, refID string) (string, error) {
	// A transaction request is sent once: a repeat is a same-REFID resend,
	// which only the engine decides (domain.ResendAllowed).
	call := gateways.Call{Op: "h2h " + op, NoRetry: op == "send"}
	if ch.cfg.Transport == TransportText {
		call.Method, call.Path = http.MethodPost, ch.cfg.TextPath
		call.Body, call.ContentType = []byte(rendered), "text/plain; charset=utf-8"
		call.IdempotencyKey, call.IdempotencyHeader = refID, "X-Refid"
	} else {
		call.Method, call.Path = http.MethodGet, rendered
	}
	resp, err := ch.c.Do(ctx, call)
	if err != nil {
		return "", err
	}
	return string(resp.Body), nil
}

func (ch *Channel) product(channel string) string {
	if p, ok := ch.cfg.Products[channel]; ok {
		return p
	}
	return channel
}

// Send implements domain.PayoutChannel: product = the channel's product code,
// dest = the account number (phone number for e-wallets), qty = the amount.
// A resend of a known REFID only reports its earlier status.
func (ch *Channel) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	res := domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeUnknown, Amount: req.Amount}
	prod := ch.product(req.Channel)
	switch {
	case !safeField.MatchString(req.RefID):
		res.Outcome = domain.OutcomeRejected
		return res, domain.Invalid("refid", "REFID must be 1-64 letters, digits, '_', '-' or '+'")
	case req.Amount <= 0:
		res.Outcome = domain.OutcomeRejected
		return res, domain.Invalid("amount", "amount must be positive")
	case !safeField.MatchString(prod):
		res.Outcome = domain.OutcomeRejected
		return res, domain.Invalid("channel", "product code must be letters and digits")
	case !safeField.MatchString(req.AccountNumber):
		res.Outcome = domain.OutcomeRejected
		return res, domain.Invalid("account_number", "destination must be letters and digits only")
	}
	f := fields{product: prod, dest: req.AccountNumber, qty: strconv.FormatInt(int64(req.Amount), 10), refID: req.RefID}
	text, err := ch.exchange(ctx, "send", ch.render(ch.cfg.SendTemplate, f), req.RefID)
	if err != nil {
		return res, err
	}
	out, err := ch.result(text, req.RefID)
	out.Amount = req.Amount
	return out, err
}

// Status implements domain.PayoutChannel with the status-check template.
func (ch *Channel) Status(ctx context.Context, refID string) (domain.PayoutResult, error) {
	res := domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}
	if !safeField.MatchString(refID) {
		return res, domain.Invalid("refid", "not a valid REFID")
	}
	text, err := ch.exchange(ctx, "status", ch.render(ch.cfg.StatusTemplate, fields{refID: refID}), refID)
	if err != nil {
		return res, err
	}
	return ch.result(text, refID)
}

// result parses a reply for refID into a PayoutResult.
func (ch *Channel) result(text, refID string) (domain.PayoutResult, error) {
	r, err := ch.parser.Parse(text, refID)
	res := domain.PayoutResult{
		RefID: refID, Outcome: r.Outcome, GatewayRef: r.SupplierRef, Code: strings.ToUpper(r.Status),
		Reason: ch.c.Redactor().String(r.Reason), Serial: r.Serial, Balance: r.Balance,
		RawStatus: r.Status, At: ch.now(),
	}
	if err != nil {
		res.Outcome = domain.OutcomeUnknown
		ch.c.Logger().Warn("h2h reply not usable", "refid", refID, "err", err, "reply", clip(text))
		return res, err
	}
	return res, nil
}

// Balance implements domain.PayoutChannel with the balance template.
func (ch *Channel) Balance(ctx context.Context) (domain.Rupiah, error) {
	text, err := ch.exchange(ctx, "balance", ch.render(ch.cfg.BalanceTemplate, fields{}), "")
	if err != nil {
		return 0, err
	}
	return ch.parser.ParseBalance(text)
}

// ValidateAccount implements domain.PayoutChannel: H2H suppliers have no
// account inquiry, so it returns ErrValidationUnsupported.
func (ch *Channel) ValidateAccount(context.Context, string, string) (domain.AccountInfo, error) {
	return domain.AccountInfo{}, ErrValidationUnsupported
}

// IsValidationUnsupported reports whether err says a channel cannot validate accounts.
func IsValidationUnsupported(err error) bool { return errors.Is(err, ErrValidationUnsupported) }

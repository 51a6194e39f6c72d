package doku

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"lunas/domain"
	"lunas/gateways"
)

// Hosts (developers.doku.com; DOKU's Go SDK commons/config.go).
const (
	SandboxURL    = "https://api-sandbox.doku.com"
	ProductionURL = "https://api.doku.com"
)

// Paths Lunas uses. The Kirim DOKU paths are the ones DOKU's payout pages
// print (developers.doku.com/payout/kirim-doku/*). The check-status page
// prints /snap/v1.1/qr/qr-mpm-status under "KIRIMDOKU Check Status";
// Config.StatusPath can replace it should DOKU give a partner another one.
const (
	PathCheckout     = "/checkout/v1/payment"
	PathOrderStatus  = "/orders/v1/status/"
	PathToken        = "/authorization/v1/access-token/b2b"
	PathInquiry      = "/snap/v1.1/emoney/bank-account-inquiry"
	PathTransfer     = "/snap/v1.1/emoney/transfer-bank"
	PathKirimStatus  = "/snap/v1.1/qr/qr-mpm-status"
	PathBalance      = "/snap/v1.1/balance-inquiry"
	transferService  = "43" // the service code of transfer-bank (check-status example)
	snapChannelID    = "H2H"
	snapTimeLayout   = "2006-01-02T15:04:05-07:00"
	nonSnapTimeStamp = "2006-01-02T15:04:05Z"
)

// wib is Asia/Jakarta (UTC+7), the zone of SNAP timestamps and of DOKU's day.
var wib = time.FixedZone("WIB", 7*3600)

// KeyWindow is how long Lunas counts on DOKU answering a same-REFID
// transfer with "duplicate" instead of paying again: until the first 00:00
// WIB after the first send, less 15 minutes. DOKU documents X-EXTERNAL-ID as
// "unique in the same day" and states no retention for partnerReferenceNo,
// so the day of the external id is the whole window (docs/GATEWAYS.md).
var KeyWindow = domain.KeyWindow{MidnightIn: wib, Margin: 15 * time.Minute}

// BankCodes maps Lunas's bank codes to the BI bank codes Kirim DOKU takes
// (beneficiaryBankCode "014" is BCA in DOKU's example). Codes not listed are
// refused before anything is sent: route such payees to another channel.
var BankCodes = map[string]string{
	"BCA": "014", "MANDIRI": "008", "BRI": "002", "BNI": "009", "PERMATA": "013",
	"CIMB": "022", "DANAMON": "011", "BSI": "451", "BTN": "200", "OCBC": "028",
	"PANIN": "019", "MAYBANK": "016", "MEGA": "426", "BJB": "110",
}

// Config configures a Client.
type Config struct {
	BaseURL    string // default ProductionURL
	ClientID   string // Client-Id / X-PARTNER-ID / X-CLIENT-KEY
	SecretKey  string // non-SNAP HMAC key and SNAP clientSecret
	PrivateKey string // PEM RSA key whose public half is in the DOKU dashboard (payouts)
	// CustomerNumber is the sender's phone number Kirim DOKU asks for
	// (customerNumber, "628115678890" in DOKU's example).
	CustomerNumber string
	// NotificationPath is the path of the shop's notification URL, the
	// Request-Target DOKU signs notifications with.
	NotificationPath string
	// StatusPath replaces PathKirimStatus when set.
	StatusPath string
	// PaymentDue is the checkout page's payment_due_date when a request
	// gives no expiry; 0 = DOKU's default (60 minutes).
	PaymentDue time.Duration
	Logger     *slog.Logger
	Timeout    time.Duration
	Retry      gateways.RetryPolicy
	Transport  http.RoundTripper
	Clock      gateways.Clock
	// Now is the time of timestamps, token lifetimes and link expiries;
	// default Clock's (tests pass the sandbox's clock).
	Now func() time.Time
	// OnRateLimit is told when DOKU answered 429 for an operation.
	OnRateLimit func(op string, until time.Time)
}

// Client talks to DOKU. It implements domain.PaymentGateway,
// domain.PayoutChannel and domain.ResendWindow.
type Client struct {
	cfg    Config
	hc     *gateways.Client
	clock  gateways.Clock
	key    *rsa.PrivateKey
	keyErr error

	tokMu    sync.Mutex
	token    string
	tokenEnd time.Time

	mu    sync.Mutex
	links map[string]domain.PaymentLink // created by this client, by invoice
	sent  map[string]bool               // invoices this client posted a create for
	seq   uint64
}

var (
	_ domain.PaymentGateway = (*Client)(nil)
	_ domain.PayoutChannel  = (*Client)(nil)
	_ domain.ResendWindow   = (*Client)(nil)
)

// New returns a Client. The secret key and private key never reach logs or
// error text.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = ProductionURL
	}
	if cfg.StatusPath == "" {
		cfg.StatusPath = PathKirimStatus
	}
	c := &Client{cfg: cfg, links: map[string]domain.PaymentLink{}, sent: map[string]bool{}}
	c.hc = gateways.New(gateways.Config{
		Gateway: "doku", BaseURL: cfg.BaseURL, Logger: cfg.Logger, Timeout: cfg.Timeout, Retry: cfg.Retry,
		Secrets: []string{cfg.SecretKey, cfg.PrivateKey}, DecodeError: decodeError,
		Transport: cfg.Transport, Clock: cfg.Clock, OnRateLimit: cfg.OnRateLimit,
	})
	c.clock = cfg.Clock
	if c.clock == nil {
		c.clock = gateways.SystemClock{}
	}
	if strings.TrimSpace(cfg.PrivateKey) != "" {
		c.key, c.keyErr = ParsePrivateKey(cfg.PrivateKey)
	} else {
		c.keyErr = fmt.Errorf("%w: no private key configured (Kirim DOKU needs one)", ErrPrivateKey)
	}
	return c
}

// Name implements domain.PaymentGateway and domain.PayoutChannel.
func (c *Client) Name() string { return "doku" }

// KeyWindow implements domain.ResendWindow.
func (c *Client) KeyWindow() domain.KeyWindow { return KeyWindow }

// HTTP returns the underlying shared client (redactor, logger).
func (c *Client) HTTP() *gateways.Client { return c.hc }

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return c.clock.Now()
}

// requestID returns a fresh Request-Id / X-EXTERNAL-ID: digits only (SNAP
// wants a numeric string), unique within this process and random across.
func (c *Client) requestID() string {
	c.mu.Lock()
	c.seq++
	n := c.seq
	c.mu.Unlock()
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%d%06d%08d", c.now().Unix(), n%1_000_000, binary.BigEndian.Uint64(b[:])%100_000_000)
}

// ExternalID is the X-EXTERNAL-ID of the transfer of refID: digits derived
// from the REFID, so that a same-day resend carries the same id and DOKU
// refuses it as a duplicate ("unique in the same day") instead of paying.
func ExternalID(refID string) string {
	sum := sha256.Sum256([]byte("lunas-doku-transfer:" + refID))
	return new(big.Int).SetBytes(sum[:14]).String() // at most 34 digits (SNAP: max 36)
}

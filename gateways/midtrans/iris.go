package midtrans

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/gateways"
)

// IrisKeyWindow is how long Lunas counts on Iris remembering an
// X-Idempotency-Key: until the first 00:00 UTC after the first send, less a
// margin for clock skew. Iris documents "We will removing Idempotency-Key
// which is older than 24 hours, every midnight (UTC)"
// (docs.midtrans.com/reference/https-header); that sentence also reads as
// "every key goes at midnight", so the shortest reading is used (see
// docs/GATEWAYS.md). Past it Lunas never posts the create again; it looks
// the REFID up in Iris's statements instead.
var IrisKeyWindow = domain.KeyWindow{MidnightIn: time.UTC, Margin: 15 * time.Minute}

// ErrReferenceUnknown reports a REFID whose Iris reference_no this computer
// does not know. Iris cannot be queried by REFID: Status looks the REFID up
// in Iris's statements (the REFID is the first word of the payout's notes).
var ErrReferenceUnknown = errors.New("iris: reference_no for this REFID is not known; look the REFID up in the Iris portal (notes)")

// ErrCreateRefused reports a create Iris answered with an HTTP 4xx. Iris
// documents no refusal of a create by status code (a payout that fails
// validation is created and then "rejected"), so the REFID's outcome stays
// unknown: a payout may exist.
var ErrCreateRefused = errors.New("iris refused the create; whether a payout exists is not known")

// ErrKeyConflict reports that Iris already holds this REFID's idempotency
// key with a different request: a payout exists that does not match ours.
var ErrKeyConflict = fmt.Errorf("iris: idempotency key already used with a different request: %w", gateways.ErrMismatch)

// OTPSource supplies the approver's one-time password for an approval.
type OTPSource func(ctx context.Context) (string, error)

// StaticOTP returns a fixed code (the sandbox accepts one fixed OTP).
func StaticOTP(code string) OTPSource {
	return func(context.Context) (string, error) { return code, nil }
}

// TOTP returns the current Google Authenticator code for the approver's
// TOTP secret (base32), which is how Iris production OTPs work.
func TOTP(secret string, now func() time.Time) OTPSource {
	if now == nil {
		now = time.Now
	}
	return func(context.Context) (string, error) {
		code, err := totp.GenerateCode(secret, now())
		if err != nil {
			return "", errors.New("iris: approver TOTP secret is not valid base32")
		}
		return code, nil
	}
}

// IrisEntry is what Iris needs to remember about one REFID.
type IrisEntry struct {
	RefID       string
	ReferenceNo string    // Iris's reference_no, once known
	FirstSent   time.Time // the first create for the REFID (statements are searched from its day)
	// Completed records that Iris reported the payout completed; a later
	// "failed" is then a bank refund (reversal), not a failure.
	Completed bool
}

// RefBook remembers REFID -> Iris reference_no. Entries must exist before
// the first network call for the REFID. MemoryBook is the default; the app
// should use StoreBook so that a restart does not forget them.
type RefBook interface {
	Get(refID string) (IrisEntry, bool)
	Put(e IrisEntry)
}

// bookLookup is a RefBook that can fail to read (StoreBook): a failed read
// is not "never sent".
type bookLookup interface {
	Lookup(refID string) (IrisEntry, bool, error)
}

// lookup reads the book; an error means the book could not say.
func (it *Iris) lookup(refID string) (IrisEntry, bool, error) {
	if l, ok := it.book.(bookLookup); ok {
		return l.Lookup(refID)
	}
	e, ok := it.book.Get(refID)
	return e, ok, nil
}

// MemoryBook is an in-memory RefBook, safe for concurrent use.
type MemoryBook struct {
	mu    sync.Mutex
	m     map[string]IrisEntry
	byRef map[string]string // reference_no -> REFID
}

// NewMemoryBook returns an empty MemoryBook.
func NewMemoryBook() *MemoryBook {
	return &MemoryBook{m: map[string]IrisEntry{}, byRef: map[string]string{}}
}

// RefIDFor returns the REFID of an Iris reference_no, for notifications.
func (b *MemoryBook) RefIDFor(referenceNo string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.byRef[referenceNo]
	return r, ok
}

// refLookup is implemented by books that can map reference_no to REFID.
type refLookup interface {
	RefIDFor(referenceNo string) (string, bool)
}

// Get implements RefBook.
func (b *MemoryBook) Get(refID string) (IrisEntry, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.m[refID]
	return e, ok
}

// Put implements RefBook.
func (b *MemoryBook) Put(e IrisEntry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[e.RefID] = e
	if e.ReferenceNo != "" {
		b.byRef[e.ReferenceNo] = e.RefID
	}
}

// IrisConfig configures the Iris payout channel.
type IrisConfig struct {
	BaseURL     string // https://app.sandbox.midtrans.com/iris (paths /api/v1/... are appended)
	CreatorKey  string // creates payouts; also used for queries
	ApproverKey string // approves payouts; empty: a person approves in the portal
	OTP         OTPSource
	MerchantKey string  // verifies Iris-Signature on notifications
	Book        RefBook // default NewMemoryBook()
	// BankCodes maps Lunas channel codes to Iris bank codes; unmapped codes
	// are lower-cased ("BCA" -> "bca").
	BankCodes map[string]string
	Logger    *slog.Logger
	Timeout   time.Duration
	Retry     gateways.RetryPolicy
	Transport http.RoundTripper
	Now       func() time.Time
	Clock     gateways.Clock // the HTTP client's waits and jitter; nil: gateways.SystemClock
}

// Iris is Midtrans Iris as a domain.PayoutChannel and domain.ResendWindow.
type Iris struct {
	c                *gateways.Client
	creator, approve *gateways.BasicAuth
	otp              OTPSource
	merchantKey      string
	book             RefBook
	banks            map[string]string
	now              func() time.Time
	log              *slog.Logger

	notesMu sync.Mutex
	notes   map[string]string // reference_no -> REFID from its notes, as read back from Iris
}

var (
	_ domain.PayoutChannel = (*Iris)(nil)
	_ domain.ResendWindow  = (*Iris)(nil)
)

// NewIris builds an Iris channel.
func NewIris(cfg IrisConfig) *Iris {
	c := gateways.New(gateways.Config{
		Gateway: "iris", BaseURL: cfg.BaseURL, Auth: &gateways.BasicAuth{User: cfg.CreatorKey},
		Logger: cfg.Logger, Timeout: cfg.Timeout, Retry: cfg.Retry, Transport: cfg.Transport, Clock: cfg.Clock,
		Secrets: []string{cfg.ApproverKey, cfg.MerchantKey}, DecodeError: decodeError,
	})
	it := &Iris{c: c, creator: &gateways.BasicAuth{User: cfg.CreatorKey}, otp: cfg.OTP,
		merchantKey: cfg.MerchantKey, book: cfg.Book, banks: cfg.BankCodes, now: cfg.Now, log: c.Logger(),
		notes: map[string]string{}}
	if cfg.ApproverKey != "" {
		it.approve = &gateways.BasicAuth{User: cfg.ApproverKey}
	}
	if it.book == nil {
		it.book = NewMemoryBook()
	}
	if it.now == nil {
		it.now = time.Now
	}
	return it
}

// Name implements domain.PayoutChannel.
func (it *Iris) Name() string { return "iris" }

// KeyWindow implements domain.ResendWindow (IrisKeyWindow).
func (it *Iris) KeyWindow() domain.KeyWindow { return IrisKeyWindow }

// Remember records a REFID's reference_no learnt elsewhere (for example from
// the store after a restart), so Status can query it.
func (it *Iris) Remember(refID, referenceNo string, firstSent time.Time) {
	e, _ := it.book.Get(refID)
	e.RefID, e.ReferenceNo = refID, referenceNo
	if e.FirstSent.IsZero() {
		e.FirstSent = firstSent
	}
	it.book.Put(e)
}

func (it *Iris) bank(channel string) string {
	if b, ok := it.banks[channel]; ok {
		return b
	}
	return strings.ToLower(strings.TrimSpace(channel))
}

// payoutBody builds the create body. It depends only on the request, so a
// replay is byte-identical and Iris answers it with the original payout.
func (it *Iris) payoutBody(req domain.PayoutRequest) irisCreateRequest {
	notes := req.RefID
	if d := strings.TrimSpace(req.Description); d != "" {
		notes += " " + d
	}
	if len(notes) > 100 {
		notes = notes[:100]
	}
	return irisCreateRequest{Payouts: []IrisPayout{{
		BeneficiaryName: req.AccountHolder, BeneficiaryAccount: req.AccountNumber,
		BeneficiaryBank: it.bank(req.Channel), BeneficiaryEmail: req.Email,
		Amount: FormatAmount(req.Amount), Notes: notes,
	}}}
}

func validatePayout(req domain.PayoutRequest) error {
	switch {
	case req.RefID == "" || len(req.RefID) > 100 || strings.ContainsAny(req.RefID, " |,;"):
		return domain.Invalid("refid", "REFID must be 1-100 characters without spaces")
	case req.Amount <= 0:
		return domain.Invalid("amount", "amount must be positive")
	case strings.TrimSpace(req.Channel) == "":
		return domain.Invalid("channel", "bank is required")
	case strings.TrimSpace(req.AccountNumber) == "":
		return domain.Invalid("account_number", "account number is required")
	case strings.TrimSpace(req.AccountHolder) == "":
		return domain.Invalid("account_holder", "account holder name is required")
	}
	return nil
}

// Send creates the payout with the creator key (X-Idempotency-Key = REFID,
// REFID first in notes) and, when an approver key is configured, approves it
// with the OTP. The create is posted once per call (no retry inside the
// call): whether a same-REFID resend may be made is the engine's decision
// (domain.ResendAllowed), and a REFID whose reference_no is already known is
// only queried, never posted again. Any HTTP 4xx to a create leaves the
// outcome unknown (ErrCreateRefused), because Iris documents none as a
// refusal that created nothing.
func (it *Iris) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	res := domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeUnknown, Amount: req.Amount}
	if err := validatePayout(req); err != nil {
		res.Outcome = domain.OutcomeRejected // refused here: nothing was sent
		return res, err
	}
	e, ok, err := it.lookup(req.RefID)
	if err != nil {
		return res, err // unknown: whether it was sent before cannot be read now
	}
	if !ok || e.FirstSent.IsZero() {
		e = IrisEntry{RefID: req.RefID, ReferenceNo: e.ReferenceNo, FirstSent: it.now(), Completed: e.Completed}
		it.book.Put(e)
	}
	if e.ReferenceNo != "" {
		return it.queryAndApprove(ctx, req.RefID, e.ReferenceNo)
	}
	ref, _, err := it.create(ctx, req)
	if err != nil {
		var ae *gateways.APIError
		switch {
		case errors.Is(err, ErrKeyConflict):
			// Iris holds this key with another request: a payout exists that
			// is not ours as sent. Unknown; a person looks.
		case errors.As(err, &ae) && ae.HTTPStatus >= 400 && ae.HTTPStatus < 500:
			res.Code, res.Reason = strconv.Itoa(ae.HTTPStatus), clip(ae.Message)
			err = fmt.Errorf("%w: %w", ErrCreateRefused, err)
		}
		return res, err
	}
	e.ReferenceNo = ref
	it.book.Put(e)
	return it.queryAndApprove(ctx, req.RefID, ref)
}

// create posts the payout once and returns Iris's reference_no.
func (it *Iris) create(ctx context.Context, req domain.PayoutRequest) (ref, status string, err error) {
	resp, err := it.c.Do(ctx, gateways.Call{
		Op: "iris create payout", Method: http.MethodPost, Path: "/api/v1/payouts",
		JSON: it.payoutBody(req), IdempotencyKey: req.RefID, IdempotencyHeader: "X-Idempotency-Key",
		NoRetry: true, Auth: it.creator,
	})
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && (ae.HTTPStatus == http.StatusConflict || isKeyConflict(ae)) {
			return "", "", fmt.Errorf("%w (%s)", ErrKeyConflict, ae.Error())
		}
		return "", "", err
	}
	return ParseIrisCreate(resp.Body)
}

// irisKeyConflictText is Iris's documented answer to a reused
// X-Idempotency-Key with a different body (docs.midtrans.com/reference/
// https-header); the HTTP status is not documented, so the text identifies it.
const irisKeyConflictText = "idempotency-key is not unique"

func isKeyConflict(ae *gateways.APIError) bool {
	return strings.Contains(strings.ToLower(ae.Message), irisKeyConflictText) ||
		strings.Contains(strings.ToLower(ae.Code), irisKeyConflictText)
}

// queryAndApprove reads the payout and approves it if it is still queued and
// Lunas holds the approver key: an interrupted approval is finished here.
func (it *Iris) queryAndApprove(ctx context.Context, refID, ref string) (domain.PayoutResult, error) {
	res, err := it.get(ctx, refID, ref)
	if err != nil || res.RawStatus != "queued" || it.approve == nil || it.otp == nil {
		return res, err
	}
	if aerr := it.approveRef(ctx, ref); aerr != nil {
		// The payout exists and is queued: accepted, approval retried on the next Status.
		it.log.Warn("iris approve failed", "refid", refID, "reference_no", ref, "err", aerr)
		return res, nil
	}
	return it.get(ctx, refID, ref)
}

func (it *Iris) approveRef(ctx context.Context, ref string) error {
	code, err := it.otp(ctx)
	if err != nil {
		return err
	}
	it.c.Redactor().Add(code)
	_, err = it.c.Do(ctx, gateways.Call{
		Op: "iris approve payout", Method: http.MethodPost, Path: "/api/v1/payouts/approve",
		JSON: map[string]any{"reference_nos": []string{ref}, "otp": code}, Auth: it.approve,
	})
	return err
}

// Reject refuses a queued payout with the approver key.
func (it *Iris) Reject(ctx context.Context, refID, reason string) (domain.PayoutResult, error) {
	e, ok := it.book.Get(refID)
	if !ok || e.ReferenceNo == "" {
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}, ErrReferenceUnknown
	}
	if it.approve == nil {
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}, fmt.Errorf("iris reject: %w: no approver key configured", gateways.ErrUnsupported)
	}
	if _, err := it.c.Do(ctx, gateways.Call{
		Op: "iris reject payout", Method: http.MethodPost, Path: "/api/v1/payouts/reject",
		JSON: map[string]any{"reference_nos": []string{e.ReferenceNo}, "reject_reason": reason}, Auth: it.approve,
	}); err != nil {
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown, GatewayRef: e.ReferenceNo}, err
	}
	return it.get(ctx, refID, e.ReferenceNo)
}

// Cancel implements domain.PayoutCanceller by rejecting a queued payout.
func (it *Iris) Cancel(ctx context.Context, refID string) (domain.PayoutResult, error) {
	return it.Reject(ctx, refID, "cancelled by Lunas")
}

// get reads a payout. Iris reports a bank refund after completion as
// "failed"; the book remembers completion so that it is reported as reversed.
func (it *Iris) get(ctx context.Context, refID, ref string) (domain.PayoutResult, error) {
	resp, err := it.c.Do(ctx, gateways.Call{Op: "iris get payout", Path: "/api/v1/payouts/" + url.PathEscape(ref), Auth: it.creator})
	if err != nil {
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown, GatewayRef: ref}, err
	}
	res, err := ParseIrisPayout(resp.Body, refID, ref)
	if err != nil {
		return res, err
	}
	e, _ := it.book.Get(refID)
	switch {
	case res.Outcome == domain.OutcomeSucceeded && !e.Completed && e.RefID != "":
		e.Completed = true
		it.book.Put(e)
	case res.Outcome == domain.OutcomeFailed && e.Completed:
		res.Outcome = domain.OutcomeReversed
	}
	return res, nil
}

// Status asks Iris about a REFID. Iris is queried by its own reference_no,
// so the RefBook must know the REFID (entries are written before any
// network call; StoreBook reads them back from the store after a restart):
//   - no entry: this computer never sent the REFID, so OutcomeNotFound;
//   - a reference_no: the payout's details (approving it if still queued);
//   - no reference_no (the create's answer was lost or refused): the REFID
//     is looked up in Iris's statements since the day of the first send; a
//     payout found there is ours (its reference_no is remembered), and none
//     found gives OutcomeNotFound. Whether to resend is then the engine's
//     decision, by the key window; it never happens here.
func (it *Iris) Status(ctx context.Context, refID string) (domain.PayoutResult, error) {
	e, ok, err := it.lookup(refID)
	if err != nil {
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}, err
	}
	if !ok {
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeNotFound, Reason: "Lunas has not sent this REFID to Iris"}, nil
	}
	if e.ReferenceNo == "" {
		ref, err := it.findInStatements(ctx, refID, e.FirstSent)
		if err != nil {
			return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}, err
		}
		if ref == "" {
			return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeNotFound,
				Reason: "Iris's statements show no payout with this REFID"}, nil
		}
		e.ReferenceNo = ref
		it.book.Put(e)
	}
	return it.queryAndApprove(ctx, refID, e.ReferenceNo)
}

// Balance implements domain.PayoutChannel.
func (it *Iris) Balance(ctx context.Context) (domain.Rupiah, error) {
	resp, err := it.c.Do(ctx, gateways.Call{Op: "iris balance", Path: "/api/v1/balance", Auth: it.creator})
	if err != nil {
		return 0, err
	}
	return ParseIrisBalance(resp.Body)
}

// ValidateAccount implements domain.PayoutChannel. Iris answers 400 for an
// account that does not exist: that is a definite "not valid", not an error.
func (it *Iris) ValidateAccount(ctx context.Context, channel, account string) (domain.AccountInfo, error) {
	info := domain.AccountInfo{Channel: channel, AccountNumber: account}
	q := url.Values{"bank": {it.bank(channel)}, "account": {account}}
	resp, err := it.c.Do(ctx, gateways.Call{Op: "iris account validation", Path: "/api/v1/account_validation", Query: q, Auth: it.creator})
	if err != nil {
		var ae *gateways.APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusBadRequest {
			return info, nil
		}
		return info, err
	}
	holder, _, _, err := ParseIrisAccount(resp.Body)
	if err != nil {
		return info, err
	}
	info.HolderName, info.Valid = holder, true
	return info, nil
}

// VerifyNotification checks an Iris notification's Iris-Signature header
// against the raw body and reads it. A bad signature returns ErrSignature and
// nothing else: the body must be ignored. RefID is filled in when the book
// knows the reference_no; notifications may be duplicated or out of order,
// so callers apply them only forward, as they do polled statuses.
func (it *Iris) VerifyNotification(signature string, body []byte) (domain.PayoutResult, error) {
	if !VerifyIrisSignature(signature, body, it.merchantKey) {
		return domain.PayoutResult{Outcome: domain.OutcomeUnknown}, ErrSignature
	}
	res, err := ParseIrisNotification(body)
	if err != nil {
		return res, err
	}
	if l, ok := it.book.(refLookup); ok {
		res.RefID, _ = l.RefIDFor(res.GatewayRef)
	}
	if e, ok := it.book.Get(res.RefID); ok && res.RefID != "" && e.Completed && res.Outcome == domain.OutcomeFailed {
		res.Outcome = domain.OutcomeReversed
	}
	return res, nil
}

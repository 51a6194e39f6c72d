package midtrans

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/gateways"
)

// IrisKeyWindow is how long Iris is documented to remember an
// X-Idempotency-Key (older keys are purged every midnight UTC).
const IrisKeyWindow = 24 * time.Hour

// irisSafetyMargin keeps resends well inside the key window, allowing for
// clock skew between this computer and Iris.
const irisSafetyMargin = 15 * time.Minute

// ErrReferenceUnknown reports a REFID whose Iris reference_no this computer
// does not know and can no longer learn safely (Iris cannot be queried by
// REFID). The outcome stays unknown; a person checks the Iris portal, where
// the REFID is in the payout's notes.
var ErrReferenceUnknown = errors.New("iris: reference_no for this REFID is not known; look the REFID up in the Iris portal (notes)")

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
	ReferenceNo string               // Iris's reference_no, once known
	Request     domain.PayoutRequest // the original request, replayed byte-identically within the key window
	FirstSent   time.Time
	// TimedOut records that the last create got no answer in time: Iris may
	// still be working on it, so Status leaves the resend to the engine.
	TimedOut bool
	// Completed records that Iris reported the payout completed; a later
	// "failed" is then a bank refund (reversal), not a failure.
	Completed bool
	// Attempts counts creates this process posted for the REFID.
	Attempts int
	// Rejected records that Iris definitively refused the first create
	// (HTTP 400/422, not an idempotency conflict): no payout exists, and
	// Status must never post the create again.
	Rejected               bool
	RejectCode, RejectText string
}

// RefBook remembers REFID -> Iris reference_no. Entries must exist before
// the first network call for the REFID. MemoryBook is the default; the app
// should use StoreBook so that a restart does not forget them.
type RefBook interface {
	Get(refID string) (IrisEntry, bool)
	Put(e IrisEntry)
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
		merchantKey: cfg.MerchantKey, book: cfg.Book, banks: cfg.BankCodes, now: cfg.Now, log: c.Logger()}
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

// ResendSafe implements domain.ResendWindow: a resend under the same REFID
// is safe only while Iris still remembers the idempotency key.
func (it *Iris) ResendSafe(firstSent, now time.Time) bool {
	return !firstSent.IsZero() && now.Sub(firstSent) < IrisKeyWindow-irisSafetyMargin
}

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
// REFID in notes) and, when an approver key is configured, approves it with
// the OTP. A resend of the same REFID inside the key window returns the same
// payout; Iris processes it once.
func (it *Iris) Send(ctx context.Context, req domain.PayoutRequest) (domain.PayoutResult, error) {
	res := domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeUnknown, Amount: req.Amount}
	if err := validatePayout(req); err != nil {
		res.Outcome = domain.OutcomeRejected
		return res, err
	}
	e, ok := it.book.Get(req.RefID)
	if !ok || e.FirstSent.IsZero() {
		e = IrisEntry{RefID: req.RefID, ReferenceNo: e.ReferenceNo, FirstSent: it.now(), Attempts: e.Attempts, Rejected: e.Rejected}
	}
	if e.Rejected {
		// Iris refused this REFID's create for good; nothing exists to resend.
		return domain.PayoutResult{RefID: req.RefID, Outcome: domain.OutcomeRejected, Amount: req.Amount, Code: e.RejectCode, Reason: e.RejectText}, nil
	}
	// A resend: the engine says so (Attempt > 1), or this process already
	// posted a create for the REFID.
	resend := req.Attempt > 1 || (req.Attempt == 0 && e.Attempts > 0)
	e.Request = req
	it.book.Put(e)
	if !it.ResendSafe(e.FirstSent, it.now()) {
		// Iris may have forgotten the key: a resend could pay twice.
		if e.ReferenceNo != "" {
			return it.Status(ctx, req.RefID)
		}
		return res, fmt.Errorf("%w: %w", domain.ErrUnsafe, ErrReferenceUnknown)
	}
	e.Attempts++
	it.book.Put(e)
	ref, _, err := it.create(ctx, req)
	if err != nil {
		e.TimedOut = gateways.IsTimeout(err)
		var ae *gateways.APIError
		switch {
		case errors.Is(err, ErrKeyConflict):
			// The key is known to Iris: the earlier create exists. Unknown.
		case resend:
			// The same REFID after an unanswered create: a refusal may be Iris
			// objecting to the key it already holds (its conflict answer is
			// not documented as a status code), so the payout may exist.
			err = fmt.Errorf("iris refused a resend of this REFID; the first create may exist: %w", err)
		case errors.As(err, &ae) && (ae.HTTPStatus == http.StatusBadRequest || ae.HTTPStatus == http.StatusUnprocessableEntity):
			res.Outcome, res.Code, res.Reason = domain.OutcomeRejected, ae.Code, ae.Message
			e.Rejected, e.RejectCode, e.RejectText = true, ae.Code, ae.Message
		}
		it.book.Put(e)
		return res, err
	}
	e.ReferenceNo, e.TimedOut = ref, false
	it.book.Put(e)
	return it.queryAndApprove(ctx, req.RefID, ref)
}

// create posts the payout and returns Iris's reference_no.
func (it *Iris) create(ctx context.Context, req domain.PayoutRequest) (ref, status string, err error) {
	resp, err := it.c.Do(ctx, gateways.Call{
		Op: "iris create payout", Method: http.MethodPost, Path: "/api/v1/payouts",
		JSON: it.payoutBody(req), IdempotencyKey: req.RefID, IdempotencyHeader: "X-Idempotency-Key",
		Auth: it.creator,
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
// X-Idempotency-Key with a different body; the HTTP status is not documented,
// so the text is what identifies it.
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
// so the RefBook must know it (entries are written before any network call):
//   - no entry: this computer never sent the REFID, so OutcomeNotFound;
//   - a create Iris refused for good (see Send): OutcomeRejected, with no
//     request at all (a replayed create could be accepted and paid);
//   - a create whose connection broke after sending: the reference_no is
//     learnt by replaying the identical keyed create inside the key window
//     (Iris answers with the original payout and pays once);
//   - a create that timed out, or one sent before a restart (no request
//     to replay): OutcomeNotFound inside the window, so the engine resends
//     the same REFID on its own schedule (Iris deduplicates);
//   - past the window with no reference_no: unknown, ErrReferenceUnknown.
func (it *Iris) Status(ctx context.Context, refID string) (domain.PayoutResult, error) {
	e, ok := it.book.Get(refID)
	if !ok {
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeNotFound, Reason: "Lunas has not sent this REFID to Iris"}, nil
	}
	if e.Rejected && e.ReferenceNo == "" {
		// The create was refused for good: report that, never post it again.
		return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeRejected, Code: e.RejectCode, Reason: e.RejectText}, nil
	}
	if e.ReferenceNo == "" {
		if !it.ResendSafe(e.FirstSent, it.now()) {
			return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}, ErrReferenceUnknown
		}
		if e.TimedOut || e.Request.RefID == "" {
			return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeNotFound,
				Reason: "Iris did not answer the create in time; a resend with the same REFID is safe"}, nil
		}
		e.Attempts++
		it.book.Put(e)
		ref, _, err := it.create(ctx, e.Request)
		if err != nil {
			// A replay is a resend: even a 400 leaves the outcome unknown.
			return domain.PayoutResult{RefID: refID, Outcome: domain.OutcomeUnknown}, err
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

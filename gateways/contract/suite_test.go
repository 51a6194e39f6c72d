package contract

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"lunas/domain"
	"lunas/gateways"
	"lunas/gateways/sandbox"
)

// step is the sandbox's status step; long, so that only Advance moves state.
const step = time.Minute

// Env is one sandbox behind a real loopback HTTP server, plus the client
// settings a channel constructor should use.
type Env struct {
	Srv   *sandbox.Server
	URL   string
	Creds sandbox.Credentials
	// Timeout and Retry are what the adapter's client must use; cases change
	// them (a short timeout for the timeout case).
	Timeout time.Duration
	Retry   gateways.RetryPolicy
}

// newEnv starts a sandbox for one test.
func newEnv(t testing.TB) *Env {
	t.Helper()
	// The sandbox's clock starts at a fixed 03:00 UTC and runs with the
	// wall clock: settle moves it minutes ahead, and from the wall clock
	// that crossed the sandbox's midnight key purge whenever the suite ran
	// in the ten minutes before 00:00 UTC (a resend then made a second
	// payout, as the real Iris would: TestPayoutContract failed at 23:54).
	start, base := time.Now(), time.Date(2026, 1, 6, 3, 0, 0, 0, time.UTC)
	srv := sandbox.New(sandbox.Config{Step: step, Seed: 1, Clock: func() time.Time { return base.Add(time.Since(start)) }})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return &Env{Srv: srv, URL: hs.URL, Creds: srv.Credentials(), Timeout: 5 * time.Second,
		Retry: gateways.RetryPolicy{MaxAttempts: 4, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxTotalWait: 5 * time.Second}}
}

// settle moves the sandbox clock far enough for every progression to end.
func (e *Env) settle() { e.Srv.Advance(10 * step) }

// failureCase is one documented definite failure of a channel.
type failureCase struct {
	Name    string
	Code    string // expected PayoutResult.Code
	Request func(refID string, amount domain.Rupiah) domain.PayoutRequest
}

// payoutCase describes one payout channel for the suite.
type payoutCase struct {
	Name string
	Book string // the channel's name in the sandbox payout book
	New  func(t testing.TB, e *Env) domain.PayoutChannel
	// Request builds a request that ends in success.
	Request func(refID string, amount domain.Rupiah) domain.PayoutRequest
	// Approve, if set, does what must happen besides time for the payout to
	// proceed (e.g. Iris approval). Called after every successful Send.
	Approve func(t testing.TB, e *Env, ch domain.PayoutChannel, refID string)
	// Failures are the documented definite failures (test accounts).
	Failures []failureCase
	// CreateEndpoint and StatusEndpoint are the sandbox endpoint names that
	// Send and Status use.
	CreateEndpoint string
	StatusEndpoint string
	// UnkeyedPost, if set, makes one POST that carries no idempotency key
	// to UnkeyedEndpoint; it must not be retried on a 5xx.
	UnkeyedPost     func(ctx context.Context, e *Env) error
	UnkeyedEndpoint string
	// LostCreateNotListed: a created payout whose answer was lost is not
	// found by Status until money moved for it (Iris: a queued payout is not
	// in the statements), so the engine's same-REFID resend recovers it.
	LostCreateNotListed bool
}

// payoutCases is the table; adapters append their rows in init functions.
var payoutCases []payoutCase

// paymentCase describes one payment gateway for the suite.
type paymentCase struct {
	Name           string
	New            func(t testing.TB, e *Env) domain.PaymentGateway
	Pay            func(e *Env, externalID string, amount domain.Rupiah) error // the buyer pays (amount 0: in full)
	Expire         func(e *Env, externalID string) error
	CreateEndpoint string
	StatusEndpoint string
}

var paymentCases []paymentCase

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func send(t *testing.T, pc payoutCase, e *Env, ch domain.PayoutChannel, req domain.PayoutRequest) domain.PayoutResult {
	t.Helper()
	res, err := ch.Send(ctx(t), req)
	if err != nil {
		t.Fatalf("Send(%s): %v", req.RefID, err)
	}
	if res.RefID != req.RefID {
		t.Fatalf("Send(%s) answered about %q", req.RefID, res.RefID)
	}
	if res.Outcome != domain.OutcomeAccepted && res.Outcome != domain.OutcomeSucceeded {
		t.Fatalf("Send(%s) outcome %s (code %s, %s), want accepted", req.RefID, res.Outcome, res.Code, res.Reason)
	}
	if pc.Approve != nil {
		pc.Approve(t, e, ch, req.RefID)
	}
	return res
}

func status(t *testing.T, ch domain.PayoutChannel, refID string) domain.PayoutResult {
	t.Helper()
	res, err := ch.Status(ctx(t), refID)
	if err != nil {
		t.Fatalf("Status(%s): %v", refID, err)
	}
	if res.RefID != refID {
		t.Fatalf("Status(%s) answered about %q", refID, res.RefID)
	}
	return res
}

func wantPaid(t *testing.T, e *Env, book, refID string, amount domain.Rupiah, n int) {
	t.Helper()
	for _, p := range e.Srv.Paid() {
		if p.Channel == book && p.RefID == refID {
			if p.Count != n || (n > 0 && p.Amount != amount*domain.Rupiah(n)) {
				t.Fatalf("book %s/%s: paid %d times, Rp%d; want %d times Rp%d", book, refID, p.Count, p.Amount, n, amount)
			}
			return
		}
	}
	if n != 0 {
		t.Fatalf("book %s/%s: never paid, want %d", book, refID, n)
	}
}

func TestPayoutContract(t *testing.T) {
	if len(payoutCases) == 0 {
		t.Fatal("no payout channels registered")
	}
	for _, pc := range payoutCases {
		t.Run(pc.Name, func(t *testing.T) {
			t.Run("send_progresses_to_success", func(t *testing.T) {
				e := newEnv(t)
				ch := pc.New(t, e)
				const amt = 150_000
				first := send(t, pc, e, ch, pc.Request("REF-OK-1", amt))
				if first.Amount != amt {
					t.Fatalf("accepted amount %d, want %d", first.Amount, amt)
				}
				if got := status(t, ch, "REF-OK-1"); got.Outcome != domain.OutcomeAccepted {
					t.Fatalf("status before time passes: %s, want accepted", got.Outcome)
				}
				wantPaid(t, e, pc.Book, "REF-OK-1", amt, 0)
				e.settle()
				if got := status(t, ch, "REF-OK-1"); got.Outcome != domain.OutcomeSucceeded {
					t.Fatalf("status after progression: %s (%s), want succeeded", got.Outcome, got.RawStatus)
				}
				wantPaid(t, e, pc.Book, "REF-OK-1", amt, 1)
			})
			t.Run("resend_same_refid_pays_once", func(t *testing.T) {
				e := newEnv(t)
				ch := pc.New(t, e)
				req := pc.Request("REF-RESEND", 75_000)
				a := send(t, pc, e, ch, req)
				b := send(t, pc, e, ch, req)
				if a.GatewayRef == "" || a.GatewayRef != b.GatewayRef {
					t.Fatalf("resend gave transfer %q, first was %q", b.GatewayRef, a.GatewayRef)
				}
				e.settle()
				c, err := ch.Send(ctx(t), req) // resend after success: still the same transfer
				if err != nil || c.GatewayRef != a.GatewayRef || c.Outcome != domain.OutcomeSucceeded {
					t.Fatalf("resend after success: %+v, %v", c, err)
				}
				wantPaid(t, e, pc.Book, "REF-RESEND", 75_000, 1)
			})
			t.Run("not_found", func(t *testing.T) {
				e := newEnv(t)
				ch := pc.New(t, e)
				if got := status(t, ch, "REF-NEVER-SENT"); got.Outcome != domain.OutcomeNotFound {
					t.Fatalf("status of unknown REFID: %s, want not_found", got.Outcome)
				}
			})
			for _, fc := range pc.Failures {
				t.Run("definite_failure_"+fc.Name, func(t *testing.T) {
					e := newEnv(t)
					ch := pc.New(t, e)
					ref := "REF-FAIL-" + fc.Name
					res, err := ch.Send(ctx(t), fc.Request(ref, 50_000))
					if err != nil {
						t.Fatalf("Send: %v", err)
					}
					if res.Outcome != domain.OutcomeFailed {
						if pc.Approve != nil {
							pc.Approve(t, e, ch, ref)
						}
						e.settle()
						res = status(t, ch, ref)
					}
					if res.Outcome != domain.OutcomeFailed || res.Code != fc.Code {
						t.Fatalf("outcome %s code %q, want failed %q", res.Outcome, res.Code, fc.Code)
					}
					if res.Reason == "" {
						t.Error("failure without a readable reason")
					}
					wantPaid(t, e, pc.Book, ref, 0, 0)
				})
			}
			t.Run("insufficient_balance_is_definite_failure", func(t *testing.T) {
				e := newEnv(t)
				e.Srv.SetBalance(pc.Book, 10_000)
				ch := pc.New(t, e)
				res, err := ch.Send(ctx(t), pc.Request("REF-POOR", 60_000))
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if res.Outcome != domain.OutcomeFailed && res.Outcome != domain.OutcomeRejected {
					if pc.Approve != nil {
						pc.Approve(t, e, ch, "REF-POOR")
					}
					e.settle()
					res = status(t, ch, "REF-POOR")
				}
				if res.Outcome != domain.OutcomeFailed && res.Outcome != domain.OutcomeRejected {
					t.Fatalf("outcome %s, want failed or rejected", res.Outcome)
				}
				wantPaid(t, e, pc.Book, "REF-POOR", 0, 0)
			})
			t.Run("dropped_response_is_unknown_then_resolved_by_status", func(t *testing.T) {
				e := newEnv(t)
				ch := pc.New(t, e)
				// The work is done, the answer is lost.
				e.Srv.Faults().Add(sandbox.Fault{Endpoint: pc.CreateEndpoint, Kind: sandbox.FaultDrop})
				req := pc.Request("REF-DROP", 99_000)
				res, err := ch.Send(ctx(t), req)
				if err == nil || res.Outcome != domain.OutcomeUnknown || !gateways.IsUnknown(err) {
					t.Fatalf("dropped response: outcome %s err %v; want unknown with an unknown-class error", res.Outcome, err)
				}
				e.Srv.Faults().Clear()
				if pc.LostCreateNotListed {
					if got := status(t, ch, "REF-DROP"); got.Outcome != domain.OutcomeNotFound {
						t.Fatalf("status after drop: %s, want not_found", got.Outcome)
					}
					// The engine's same-REFID resend inside the key window:
					// the gateway answers with the payout it made.
					if again, err := ch.Send(ctx(t), req); err != nil || again.Outcome == domain.OutcomeUnknown {
						t.Fatalf("resend after drop: %+v, %v", again, err)
					}
				}
				got := status(t, ch, "REF-DROP")
				if got.Outcome != domain.OutcomeAccepted {
					t.Fatalf("status after drop: %s, want accepted (the gateway did the work)", got.Outcome)
				}
				if pc.Approve != nil {
					pc.Approve(t, e, ch, "REF-DROP")
				}
				e.settle()
				if got := status(t, ch, "REF-DROP"); got.Outcome != domain.OutcomeSucceeded {
					t.Fatalf("status after progression: %s", got.Outcome)
				}
				wantPaid(t, e, pc.Book, "REF-DROP", 99_000, 1)
			})
			t.Run("timeout_is_unknown", func(t *testing.T) {
				e := newEnv(t)
				e.Timeout = 300 * time.Millisecond
				e.Retry = gateways.RetryPolicy{MaxAttempts: 1}
				ch := pc.New(t, e)
				e.Srv.Faults().Add(sandbox.Fault{Endpoint: pc.CreateEndpoint, Kind: sandbox.FaultTimeout})
				res, err := ch.Send(ctx(t), pc.Request("REF-SLOW", 10_000))
				if res.Outcome != domain.OutcomeUnknown || !gateways.IsTimeout(err) {
					t.Fatalf("timeout: outcome %s err %v; want unknown timeout", res.Outcome, err)
				}
				// The held request was never processed: the REFID is unknown there.
				if got := status(t, ch, "REF-SLOW"); got.Outcome != domain.OutcomeNotFound {
					t.Fatalf("status after timeout: %s, want not_found", got.Outcome)
				}
			})
			// A create is posted once per Send, even on a 429 or a 5xx: a
			// repeat is a same-REFID resend, which only the engine makes,
			// inside the channel's key window (domain.ResendAllowed).
			for _, f := range []sandbox.Fault{
				{Endpoint: pc.CreateEndpoint, Kind: sandbox.FaultRateLimit, RetryAfter: "0"},
				{Endpoint: pc.CreateEndpoint, Kind: sandbox.FaultServerError},
			} {
				t.Run("create_"+string(f.Kind)+"_is_sent_once_and_unknown", func(t *testing.T) {
					e := newEnv(t)
					ch := pc.New(t, e)
					e.Srv.Faults().Add(f)
					ref := "REF-ONCE-" + string(f.Kind)
					res, err := ch.Send(ctx(t), pc.Request(ref, 20_000))
					if res.Outcome != domain.OutcomeUnknown || err == nil {
						t.Fatalf("Send = %s, %v; want unknown with an error", res.Outcome, err)
					}
					if n := e.Srv.Hits(pc.CreateEndpoint); n != 1 {
						t.Fatalf("create reached the sandbox %d times, want 1", n)
					}
					if got := status(t, ch, ref); got.Outcome != domain.OutcomeNotFound {
						t.Fatalf("status: %s, want not_found (nothing was processed)", got.Outcome)
					}
					send(t, pc, e, ch, pc.Request(ref, 20_000)) // the engine's resend
					e.settle()
					wantPaid(t, e, pc.Book, ref, 20_000, 1)
				})
			}
			if pc.UnkeyedPost != nil {
				t.Run("unkeyed_post_5xx_not_retried", func(t *testing.T) {
					e := newEnv(t)
					e.Srv.Faults().Add(sandbox.Fault{Endpoint: pc.UnkeyedEndpoint, Kind: sandbox.FaultServerError, Count: 5})
					err := pc.UnkeyedPost(ctx(t), e)
					if !gateways.IsServerError(err) {
						t.Fatalf("err %v, want a 5xx APIError", err)
					}
					if n := e.Srv.Hits(pc.UnkeyedEndpoint); n != 1 {
						t.Fatalf("unkeyed POST reached the sandbox %d times, want 1", n)
					}
				})
			}
			t.Run("stale_status_is_reported_not_invented", func(t *testing.T) {
				e := newEnv(t)
				ch := pc.New(t, e)
				send(t, pc, e, ch, pc.Request("REF-STALE", 30_000))
				e.settle()
				e.Srv.Faults().Add(sandbox.Fault{Endpoint: pc.StatusEndpoint, Kind: sandbox.FaultStale})
				old, err := ch.Status(ctx(t), "REF-STALE")
				if err != nil || old.Outcome == domain.OutcomeSucceeded || old.Outcome == domain.OutcomeUnknown {
					t.Fatalf("stale read: %s, %v; want an older definite state", old.Outcome, err)
				}
				if got := status(t, ch, "REF-STALE"); got.Outcome != domain.OutcomeSucceeded {
					t.Fatalf("next read: %s, want succeeded", got.Outcome)
				}
			})
			t.Run("reversal_after_success", func(t *testing.T) {
				e := newEnv(t)
				ch := pc.New(t, e)
				e.Srv.Faults().Add(sandbox.Fault{Endpoint: pc.CreateEndpoint, Kind: sandbox.FaultReverse})
				send(t, pc, e, ch, pc.Request("REF-REV", 40_000))
				e.Srv.Advance(2 * step)
				if got := status(t, ch, "REF-REV"); got.Outcome != domain.OutcomeSucceeded {
					t.Fatalf("before reversal: %s, want succeeded", got.Outcome)
				}
				e.settle()
				if got := status(t, ch, "REF-REV"); got.Outcome != domain.OutcomeReversed {
					t.Fatalf("after reversal: %s, want reversed", got.Outcome)
				}
				for _, p := range e.Srv.Paid() {
					if p.RefID == "REF-REV" && (p.Count != 1 || p.Reversed != 1) {
						t.Fatalf("book: %+v, want paid once and reversed once", p)
					}
				}
			})
			t.Run("balance", func(t *testing.T) {
				e := newEnv(t)
				e.Srv.SetBalance(pc.Book, 12_345_678)
				b, err := pc.New(t, e).Balance(ctx(t))
				if err != nil || b != 12_345_678 {
					t.Fatalf("balance %d, %v; want 12345678", b, err)
				}
			})
		})
	}
}

func TestPaymentContract(t *testing.T) {
	if len(paymentCases) == 0 {
		t.Fatal("no payment gateways registered")
	}
	for _, pc := range paymentCases {
		t.Run(pc.Name, func(t *testing.T) {
			req := func(id string) domain.PaymentRequest {
				return domain.PaymentRequest{ExternalID: id, Amount: 250_000, Description: "Batik tulis", BuyerName: "Rina", BuyerEmail: "rina@example.com"}
			}
			t.Run("pending_then_paid", func(t *testing.T) {
				e := newEnv(t)
				g := pc.New(t, e)
				l, err := g.CreatePayment(ctx(t), req("ORD-1"))
				if err != nil || l.URL == "" || l.ExternalID != "ORD-1" {
					t.Fatalf("create: %+v, %v", l, err)
				}
				st, err := g.PaymentStatus(ctx(t), "ORD-1")
				if err != nil || st.State != domain.PaymentStatePending {
					t.Fatalf("before paying: %+v, %v", st, err)
				}
				if err := pc.Pay(e, "ORD-1", 0); err != nil {
					t.Fatal(err)
				}
				e.settle()
				st, err = g.PaymentStatus(ctx(t), "ORD-1")
				if err != nil || st.State != domain.PaymentStatePaid || st.Amount != 250_000 || !st.Verified {
					t.Fatalf("after paying: %+v, %v", st, err)
				}
			})
			t.Run("underpaid_amount_is_reported", func(t *testing.T) {
				e := newEnv(t)
				g := pc.New(t, e)
				if _, err := g.CreatePayment(ctx(t), req("ORD-LOW")); err != nil {
					t.Fatal(err)
				}
				if err := pc.Pay(e, "ORD-LOW", 200_000); err != nil {
					t.Skipf("gateway cannot simulate a partial payment: %v", err)
				}
				st, err := g.PaymentStatus(ctx(t), "ORD-LOW")
				if err != nil || st.Amount != 200_000 {
					t.Fatalf("status %+v, %v; want the paid amount 200000", st, err)
				}
			})
			t.Run("expired", func(t *testing.T) {
				e := newEnv(t)
				g := pc.New(t, e)
				if _, err := g.CreatePayment(ctx(t), req("ORD-EXP")); err != nil {
					t.Fatal(err)
				}
				if err := pc.Expire(e, "ORD-EXP"); err != nil {
					t.Fatal(err)
				}
				st, err := g.PaymentStatus(ctx(t), "ORD-EXP")
				if err != nil || st.State != domain.PaymentStateExpired {
					t.Fatalf("status %+v, %v; want expired", st, err)
				}
			})
			t.Run("create_twice_gives_one_link", func(t *testing.T) {
				e := newEnv(t)
				g := pc.New(t, e)
				a, err := g.CreatePayment(ctx(t), req("ORD-2X"))
				if err != nil {
					t.Fatal(err)
				}
				b, err := g.CreatePayment(ctx(t), req("ORD-2X"))
				if err != nil || b.URL != a.URL {
					t.Fatalf("second create: %+v, %v; first URL %s", b, err, a.URL)
				}
			})
			t.Run("status_5xx_is_unknown", func(t *testing.T) {
				e := newEnv(t)
				g := pc.New(t, e)
				if _, err := g.CreatePayment(ctx(t), req("ORD-5XX")); err != nil {
					t.Fatal(err)
				}
				e.Srv.Faults().Add(sandbox.Fault{Endpoint: pc.StatusEndpoint, Kind: sandbox.FaultServerError, Count: 100})
				st, err := g.PaymentStatus(ctx(t), "ORD-5XX")
				if st.State != domain.PaymentStateUnknown || !gateways.IsUnknown(err) {
					t.Fatalf("status %+v, %v; want unknown", st, err)
				}
			})
			t.Run("create_5xx_not_retried", func(t *testing.T) {
				e := newEnv(t)
				g := pc.New(t, e)
				e.Srv.Faults().Add(sandbox.Fault{Endpoint: pc.CreateEndpoint, Kind: sandbox.FaultServerError, Count: 5})
				_, err := g.CreatePayment(ctx(t), req("ORD-C5XX"))
				if !gateways.IsServerError(err) {
					t.Fatalf("err %v, want 5xx", err)
				}
				if n := e.Srv.Hits(pc.CreateEndpoint); n != 1 {
					t.Fatalf("create reached the sandbox %d times, want 1", n)
				}
			})
		})
	}
}

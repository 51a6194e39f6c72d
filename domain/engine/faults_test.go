package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/gateways"
	"lunas/gateways/doku"
	"lunas/gateways/h2h"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// sandboxChannel is one payout channel through the sandbox over real HTTP.
type sandboxChannel struct {
	name           string
	create, status string // sandbox endpoint names for faults
	bank, account  string // a destination that succeeds
	failAccount    string // a destination that fails for good
	build          func(url string, sb *sandbox.Server) domain.PayoutChannel
}

var fastRetry = gateways.RetryPolicy{MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxTotalWait: 2 * time.Second}

var sandboxChannels = []sandboxChannel{
	{"xendit", "xendit.payout.create", "xendit.payout.get", "BCA", "0611101146", "7654321",
		func(url string, sb *sandbox.Server) domain.PayoutChannel {
			return xendit.New(xendit.Config{BaseURL: url, SecretKey: sb.Credentials().XenditSecretKey, Timeout: 700 * time.Millisecond, Retry: fastRetry})
		}},
	{"iris", "iris.payout.create", "iris.payout.get", "BCA", "0611101146", "9990000001",
		func(url string, sb *sandbox.Server) domain.PayoutChannel {
			c := sb.Credentials()
			return midtrans.NewIris(midtrans.IrisConfig{BaseURL: url + "/iris", CreatorKey: c.IrisCreatorKey, ApproverKey: c.IrisApproverKey,
				OTP: midtrans.StaticOTP(c.IrisOTP), MerchantKey: c.IrisMerchantKey, Timeout: 700 * time.Millisecond, Retry: fastRetry, Now: sb.Now})
		}},
	{"h2h:sandbox", "h2h.trx", "h2h.trx", "GOPAY", "081234567890", sandbox.H2HFailDest,
		func(url string, sb *sandbox.Server) domain.PayoutChannel {
			c := sb.Credentials()
			ch, err := h2h.New(h2h.Config{Name: "sandbox", BaseURL: url + sandbox.H2HPath, MemberID: c.H2HMemberID, PIN: c.H2HPin, Password: c.H2HPassword,
				Products: map[string]string{"GOPAY": "GOPAY"}}, h2h.Options{Retry: fastRetry, Now: sb.Now, Timeout: 700 * time.Millisecond})
			if err != nil {
				panic(err)
			}
			return ch
		}},
	// DOKU's documented sandbox rule fails bank 002 (BRI) with an account
	// containing 12345; the success account is another BRI one.
	{"doku", "doku.transfer", "doku.status", "BRI", "504101005099530", sandbox.DOKUFailAccount,
		func(url string, sb *sandbox.Server) domain.PayoutChannel {
			c := sb.Credentials()
			return doku.New(doku.Config{BaseURL: url, ClientID: c.DOKUClientID, SecretKey: c.DOKUSecretKey, PrivateKey: c.DOKUPrivateKey,
				CustomerNumber: c.DOKUCustomerNumber, Timeout: 700 * time.Millisecond, Retry: fastRetry, Now: sb.Now})
		}},
}

// sandboxFixture is a fixture whose payout channel is a real adapter
// talking to a sandbox on loopback.
func sandboxFixture(t *testing.T, sc sandboxChannel) (*fixture, *sandbox.Server) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Step: 30 * time.Millisecond, HoldMax: 2 * time.Second, Seed: 9})
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); srv.Close() })
	ch := sc.build(srv.URL, sb)
	f := newFixture(t, func(c *engine.Config) {
		c.Channels = map[string]domain.PayoutChannel{sc.name: ch}
		c.DefaultChannel = sc.name
		c.Intervals.CallTimeout = time.Second
		c.Intervals.TrackFirst = 20 * time.Millisecond
		c.Intervals.TrackMax = 100 * time.Millisecond
		c.Concurrency = 1 // the seller's send is the first request, so a one-shot fault hits it
	})
	err := f.db.Write(context.Background(), func(tx domain.Tx) error {
		for i := range f.payees {
			f.payees[i].Channel, f.payees[i].AccountNumber = sc.bank, sc.account
			if err := tx.UpdatePayee(&f.payees[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, sb
}

// stallLimit bounds the waits on the sandbox, whose payouts move on the
// wall clock (Step) as do the adapters' timeouts: on a loaded machine that
// work is slower, not stuck, so a wait fails only when nothing has moved
// for this long, never at the seconds the work takes on an idle machine.
const stallLimit = 2 * time.Minute

// runUntilFinal sends and tracks until no transfer is in flight. It fails
// when the transfers in flight keep their status and attempts for
// stallLimit.
func (f *fixture) runUntilFinal(sb *sandbox.Server) {
	f.t.Helper()
	ctx := context.Background()
	var last string
	moved := time.Now()
	for {
		f.e.SendNow(ctx)
		f.e.TrackNow(ctx, true)
		open := f.transfers(domain.TransferApproved, domain.TransferSending, domain.TransferAccepted, domain.TransferUnknown)
		if len(open) == 0 {
			return
		}
		var state strings.Builder
		for _, x := range open {
			fmt.Fprintf(&state, "%s %s %d;", x.RefID, x.Status, x.Attempts)
		}
		if s := state.String(); s != last {
			last, moved = s, time.Now()
		}
		if time.Since(moved) > stallLimit {
			f.t.Fatalf("in flight and not moving for %s: %+v", stallLimit, open)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// paidOnce fails if the sandbox paid any REFID more than once, and returns how often each was paid.
func paidOnce(t *testing.T, sb *sandbox.Server) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, p := range sb.Paid() {
		n[p.RefID]++
		if n[p.RefID] > 1 {
			t.Errorf("sandbox paid %s twice", p.RefID)
		}
	}
	return n
}

// TestFaultMatrix injects every sandbox fault kind against every payout
// channel and checks the end state and that nothing was paid twice.
func TestFaultMatrix(t *testing.T) {
	type row struct {
		kind   sandbox.FaultKind
		onSend bool // inject on the send endpoint (else on the status endpoint)
		want   domain.TransferStatus
	}
	rows := []row{
		{"none", true, domain.TransferSucceeded},
		{sandbox.FaultLatency, true, domain.TransferSucceeded},
		{sandbox.FaultServerError, true, domain.TransferSucceeded},
		{sandbox.FaultRateLimit, true, domain.TransferSucceeded},
		{sandbox.FaultTimeout, true, domain.TransferSucceeded},
		{sandbox.FaultDrop, true, domain.TransferSucceeded},
		{sandbox.FaultReverse, true, domain.TransferReversed},
		{sandbox.FaultServerError, false, domain.TransferSucceeded},
		{sandbox.FaultTimeout, false, domain.TransferSucceeded},
		{sandbox.FaultDrop, false, domain.TransferSucceeded},
		{sandbox.FaultStale, false, domain.TransferSucceeded},
		{sandbox.FaultDuplicate, false, domain.TransferSucceeded},
		{sandbox.FaultWrongRefID, true, domain.TransferSucceeded},
		{"fail_account", true, domain.TransferFailed},
	}
	for _, sc := range sandboxChannels {
		for _, r := range rows {
			where := "status"
			if r.onSend {
				where = "send"
			}
			t.Run(fmt.Sprintf("%s/%s/%s", sc.name, r.kind, where), func(t *testing.T) {
				if r.kind == sandbox.FaultWrongRefID && sc.name != "h2h:sandbox" {
					t.Skip("wrong_refid is an H2H fault")
				}
				f, sb := sandboxFixture(t, sc)
				if r.kind == "fail_account" {
					f.db.Write(context.Background(), func(tx domain.Tx) error {
						p := f.payees[0]
						p.AccountNumber = sc.failAccount
						return tx.UpdatePayee(&p)
					})
				}
				ext := f.order(200000)
				f.settle(ext, 200000)
				seller := f.transfers()[0]
				for _, x := range f.transfers() {
					if x.PayeeID == f.payees[0].ID {
						seller = x
					}
				}
				if r.kind != "none" && r.kind != "fail_account" {
					ep := sc.status
					if r.onSend {
						ep = sc.create
					}
					sb.Faults().Add(sandbox.Fault{Endpoint: ep, Kind: r.kind, Count: 1, Latency: 300 * time.Millisecond, RetryAfter: "1"})
				}
				f.runUntilFinal(sb)
				if r.want == domain.TransferReversed {
					// The reversal comes a few steps after success: keep asking.
					deadline := time.Now().Add(stallLimit)
					for f.transfer(seller.RefID).Status == domain.TransferSucceeded && time.Now().Before(deadline) {
						f.e.CheckNow(context.Background(), owner, seller.RefID)
						time.Sleep(30 * time.Millisecond)
					}
				}
				got := f.transfer(seller.RefID)
				if r.want == domain.TransferReversed && sc.name == "iris" && got.Status == domain.TransferFailed {
					// Iris reports a reversal as "failed" after "completed"; when
					// Lunas never saw "completed" the transfer simply failed: no
					// payout was booked and the obligation stays open, which
					// matches the money (it came back).
					r.want = domain.TransferFailed
				}
				if got.Status != r.want {
					t.Fatalf("seller transfer %s, want %s (%s %s)", got.Status, r.want, got.FailureCode, got.FailureReason)
				}
				paid := paidOnce(t, sb)
				if r.want == domain.TransferSucceeded && paid[seller.RefID] != 1 {
					t.Fatalf("paid %d times", paid[seller.RefID])
				}
				if r.want == domain.TransferFailed && r.kind == "fail_account" && paid[seller.RefID] != 0 {
					t.Fatalf("failed transfer paid %d times", paid[seller.RefID])
				}
				if r.want == domain.TransferReversed {
					f.db.Read(context.Background(), func(tx domain.ReadTx) error {
						ob, _ := tx.GetObligation(got.ObligationID)
						if ob.Status != domain.ObligationReopened {
							t.Errorf("reversed transfer left obligation %s", ob.Status)
						}
						return nil
					})
				}
				f.checkLedger()
			})
		}
	}
}

// TestSeedScenario is the REFID seed article's case on the H2H supplier:
// the first send fails at the supplier but its answer is lost; the resend
// (same REFID) reaches the supplier after that failure and is not processed
// again; the failure reaches Lunas late. Nothing is paid, the transfer ends
// failed, and only then may a person "send again" with a child REFID.
func TestSeedScenario(t *testing.T) {
	ctx := context.Background()
	sc := sandboxChannels[2]
	f, sb := sandboxFixture(t, sc)
	f.db.Write(ctx, func(tx domain.Tx) error {
		p := f.payees[0]
		p.AccountNumber = sandbox.H2HFailDest
		return tx.UpdatePayee(&p)
	})
	ext := f.order(200000)
	f.settle(ext, 200000)
	var tr domain.Transfer
	for _, x := range f.transfers() {
		if x.PayeeID == f.payees[0].ID {
			tr = x
		}
	}
	// The send is processed (and fails at the supplier a moment later), the
	// reply is lost, and the adapter's own same-REFID retry gets no answer.
	sb.Faults().Add(sandbox.Fault{Endpoint: "h2h.trx", Kind: sandbox.FaultDrop, Count: 1})
	sb.Faults().Add(sandbox.Fault{Endpoint: "h2h.trx", Kind: sandbox.FaultServerError, Count: 1})
	f.e.SendNow(ctx)
	time.Sleep(100 * time.Millisecond) // the supplier's failure happens now, unseen by Lunas
	if got := f.transfer(tr.RefID); got.Status != domain.TransferUnknown {
		t.Fatalf("lost reply must leave unknown, got %s", got.Status)
	}
	// While unknown, a new REFID is refused.
	if _, err := f.e.SendAgain(ctx, owner, tr.RefID, ""); !errors.Is(err, domain.ErrUnsafe) {
		t.Fatalf("send again while unknown: %v", err)
	}
	// The resend with the same REFID: its answer is lost too (the failure
	// reaches Lunas late); the supplier does not process it again.
	sb.Faults().Add(sandbox.Fault{Endpoint: "h2h.trx", Kind: sandbox.FaultServerError, Count: 2})
	if _, err := f.e.Retry(ctx, staff, tr.RefID); err != nil {
		t.Fatal(err)
	}
	if got := f.transfer(tr.RefID); got.Status != domain.TransferUnknown {
		t.Fatalf("no answer yet, want unknown, got %s", got.Status)
	}
	if _, err := f.e.SendAgain(ctx, owner, tr.RefID, ""); !errors.Is(err, domain.ErrUnsafe) {
		t.Fatalf("send again before the failure is known: %v", err)
	}
	// The failure finally arrives.
	f.runUntilFinal(sb)
	got := f.transfer(tr.RefID)
	if got.Status != domain.TransferFailed {
		t.Fatalf("want failed, got %s", got.Status)
	}
	if paid := paidOnce(t, sb); paid[tr.RefID] != 0 {
		t.Fatalf("failed REFID paid %d times", paid[tr.RefID])
	}
	child, err := f.e.SendAgain(ctx, owner, tr.RefID, "")
	if err != nil {
		t.Fatal(err)
	}
	if child.ParentRefID != tr.RefID || child.Status != domain.TransferAwaitingApproval {
		t.Fatalf("child %+v", child)
	}
	f.checkLedger()
}

// TestRecoveryAfterCrashWhileSending: a transfer left in sending is resolved
// by a status query, and resent with the same REFID only if the gateway never
// got it (within its idempotency window).
func TestRecoveryAfterCrashWhileSending(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name      string
		processed bool
	}{{"call landed", true}, {"call never left", false}} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			tr := f.sellerTransfer()
			// Simulate the crash: intent committed, the process died around the call.
			f.db.Write(ctx, func(tx domain.Tx) error {
				return tx.MoveTransfer(tr.RefID, domain.TransferApproved, domain.TransferSending, domain.TransferPatch{IncAttempts: true, MarkSent: true})
			})
			if c.processed {
				f.ch.set(tr.RefID, domain.OutcomeSucceeded)
				f.ch.paid[tr.RefID] = 1
			}
			if err := f.e.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if got := f.transfer(tr.RefID); got.Status != domain.TransferUnknown {
				t.Fatalf("after recovery %s", got.Status)
			}
			f.track()
			got := f.transfer(tr.RefID)
			if got.Status != domain.TransferSucceeded || f.ch.paidCount(tr.RefID) != 1 {
				t.Fatalf("%s paid=%d", got.Status, f.ch.paidCount(tr.RefID))
			}
			wantSends := 0
			if !c.processed {
				wantSends = 1 // the same-REFID resend after not_found
			}
			if f.ch.sends[tr.RefID] != wantSends {
				t.Fatalf("sends %d, want %d", f.ch.sends[tr.RefID], wantSends)
			}
		})
	}
}

func TestBalanceQueue(t *testing.T) {
	ctx := context.Background()
	var lows int
	f := newFixture(t, func(c *engine.Config) { c.Limits.LowBalance = 100000 })
	f.ch.bal = 50000
	ev, stop := f.e.Bus().Subscribe(100)
	defer stop()
	f.e.Recover(ctx) // reads balances
	tr := f.sellerTransfer()
	f.send()
	if got := f.transfer(tr.RefID); got.Status != domain.TransferQueuedBalance {
		t.Fatalf("want queued_balance, got %s", got.Status)
	}
	for len(ev) > 0 {
		if (<-ev).Kind == engine.EventLowBalance {
			lows++
		}
	}
	if lows != 1 {
		t.Fatalf("low balance events %d", lows)
	}
	f.ch.bal = 1_000_000
	f.e.SetBalance("xendit", 1_000_000)
	if err := f.e.ReleaseQueued(ctx); err != nil {
		t.Fatal(err)
	}
	f.send()
	if got := f.transfer(tr.RefID); got.Status != domain.TransferSucceeded {
		t.Fatalf("after top-up %s", got.Status)
	}
}

func TestReversalReopensObligation(t *testing.T) {
	f := newFixture(t)
	tr := f.sellerTransfer()
	f.send()
	f.ch.set(tr.RefID, domain.OutcomeReversed)
	if _, err := f.e.CheckNow(context.Background(), staff, tr.RefID); err != nil {
		t.Fatal(err)
	}
	got := f.transfer(tr.RefID)
	if got.Status != domain.TransferReversed {
		t.Fatalf("%s", got.Status)
	}
	bal := f.checkLedger()
	if bal[domain.PayableAccount(f.payees[0].ID)] != -tr.Amount {
		t.Fatalf("payable not reopened: %v", bal)
	}
	if _, err := f.e.SendAgain(context.Background(), owner, tr.RefID, ""); err != nil {
		t.Fatal(err)
	}
}

func TestStuckTransferNeedsAttentionOnce(t *testing.T) {
	f := newFixture(t)
	tr := f.sellerTransfer()
	f.ch.plan(tr.RefID, stepAccept)
	f.send()
	ev, stop := f.e.Bus().Subscribe(100)
	defer stop()
	count := func() int {
		n := 0
		for len(ev) > 0 {
			if e := <-ev; e.Kind == engine.EventNeedsAttention && e.RefID == tr.RefID {
				n++
			}
		}
		return n
	}
	f.track()
	if n := count(); n != 0 {
		t.Fatalf("fresh accepted transfer raised %d times", n)
	}
	f.clk.Add(25 * time.Hour)
	f.track()
	f.track()
	if n := count(); n != 1 {
		t.Fatalf("stuck transfer raised %d times, want once", n)
	}
	if got := f.transfer(tr.RefID); got.Status != domain.TransferAccepted {
		t.Fatalf("stuck is not failed: %s", got.Status)
	}
}

package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// simClock is a settable clock shared by the engine, the store, the adapters
// and the sandbox, so a test moves simulated time and never waits.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}
func (c *simClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// windowRig is the real engine, store, adapters and sandbox (over HTTP) on
// one simulated clock, with one payee paid through Xendit (BCA) and one
// through Iris (MANDIRI).
type windowRig struct {
	t    *testing.T
	clk  *simClock
	sb   *sandbox.Server
	data string                         // the sandbox's data file (sandbox.Open)
	live atomic.Pointer[sandbox.Server] // what the HTTP server serves
	db   *sqlite.DB
	eng  *engine.Engine
	x    *xendit.Client
}

func newWindowRig(t *testing.T, start time.Time) *windowRig {
	t.Helper()
	ctx := context.Background()
	r := &windowRig{t: t, clk: &simClock{t: start}}
	r.data = filepath.Join(t.TempDir(), "sandbox.json")
	r.restartSandbox()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.live.Load().ServeHTTP(w, req) }))
	t.Cleanup(func() { r.live.Load().Close(); srv.Close() })
	ciph, err := newMemoryCipher(nil)
	if err != nil {
		t.Fatal(err)
	}
	r.db, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "lunas.db"), sqlite.Options{Cipher: ciph, Now: r.clk.Now, SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	var rule domain.PayoutRule
	err = r.db.Write(ctx, func(tx domain.Tx) error {
		var ids []int64
		for _, p := range []domain.Payee{
			{Name: "Bu Ani", Channel: "BCA", AccountNumber: "0611101146", AccountHolder: "Bu Ani", Verification: domain.VerifyOK},
			{Name: "Mas Dimas", Channel: "MANDIRI", AccountNumber: "1380011819286", AccountHolder: "Mas Dimas", Verification: domain.VerifyOK},
		} {
			if err := tx.CreatePayee(&p); err != nil {
				return err
			}
			ids = append(ids, p.ID)
		}
		rule = domain.PayoutRule{Name: "two makers", Shares: []domain.Share{
			{Role: domain.RoleSeller, PayeeID: ids[0], BPS: 5000}, {Role: domain.RoleSupplier, PayeeID: ids[1], BPS: 3000}}}
		return tx.CreatePayoutRule(&rule)
	})
	if err != nil {
		t.Fatal(err)
	}
	c := r.sb.Credentials()
	iris := midtrans.NewIris(midtrans.IrisConfig{BaseURL: srv.URL + "/iris", CreatorKey: c.IrisCreatorKey, ApproverKey: c.IrisApproverKey,
		OTP: midtrans.StaticOTP(c.IrisOTP), Book: midtrans.NewStoreBook(r.db), Timeout: 5 * time.Second, Now: r.clk.Now})
	r.eng, err = buildEngine(ctx, r.db, engineOptions{XenditURL: srv.URL, XenditKey: c.XenditSecretKey, RatePerMinute: -1, Now: r.clk.Now,
		Extra: map[string]domain.PayoutChannel{"iris": iris}, Route: map[string]string{"MANDIRI": "iris"},
		Intervals: engine.Intervals{ReversalWatch: -1, CallTimeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	r.x = xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: c.XenditSecretKey})
	// One order, paid: a transfer to each payee.
	ext := "ORD-WINDOW"
	link, err := r.x.CreatePayment(ctx, domain.PaymentRequest{ExternalID: ext, Amount: 1_000_000, Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	err = r.db.Write(ctx, func(tx domain.Tx) error {
		o := domain.Order{ExternalID: ext, Source: "test", BuyerName: "Rina", Items: []domain.OrderItem{{Name: "Kain", Qty: 1, UnitPrice: 1_000_000}},
			PayoutRuleID: rule.ID, Status: domain.OrderOpen, CreatedAt: r.clk.Now()}
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		return tx.CreatePayment(&domain.Payment{OrderID: o.ID, Gateway: "xendit", ExternalID: ext, GatewayRef: link.GatewayRef, Amount: 1_000_000,
			Status: domain.PaymentPending, CreatedAt: r.clk.Now(), ExpiresAt: link.ExpiresAt, NextPollAt: r.clk.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.sb.PayXenditInvoice(ext, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5 && len(r.transfers()) < 2; i++ {
		r.clk.Add(2 * time.Second)
		if err := r.eng.PollNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.transfers()); n != 2 {
		t.Fatalf("%d transfers after settlement, want 2", n)
	}
	return r
}

// restartSandbox starts the gateway again from its data file, as a
// gateway restarted mid-test (lunas sandbox --data): what it answered
// before is kept, its fault rules are not.
func (r *windowRig) restartSandbox() {
	r.t.Helper()
	sb, err := sandbox.Open(sandbox.Config{Clock: r.clk.Now, Step: time.Second}, r.data)
	if err != nil {
		r.t.Fatal(err)
	}
	if old := r.live.Swap(sb); old != nil {
		old.Close()
	}
	r.sb = sb
}

func (r *windowRig) transfers() map[string]domain.Transfer {
	r.t.Helper()
	out := map[string]domain.Transfer{}
	err := r.db.Read(context.Background(), func(tx domain.ReadTx) error {
		l, err := tx.ListTransfers(domain.TransferFilter{})
		for _, t := range l {
			out[t.Channel] = t
		}
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// round is what the running engine does in one pass of its loops.
func (r *windowRig) round() {
	r.t.Helper()
	ctx := context.Background()
	if _, err := r.eng.SendNow(ctx); err != nil {
		r.t.Fatal(err)
	}
	if err := r.eng.TrackNow(ctx, true); err != nil {
		r.t.Fatal(err)
	}
}

// TestTimedOutCreateAcrossTheKeyWindow: a payout create to Xendit and to Iris
// whose answer never came (the gateway either made the payout and the answer
// was lost, or never got the request) is resolved when Lunas next runs: a
// minute later, just before and after the first midnight UTC (when the
// sandbox purges idempotency keys), 24 h and 25 h later. Each ends in
// exactly one payout, or (past the key window, with nothing found by the
// gateway's own records) unknown in needs attention with its reason, and
// never in two payouts. The sandbox is restarted from its data file after
// the lost create (a gateway restarted mid-test keeps its keys and payouts).
func TestTimedOutCreateAcrossTheKeyWindow(t *testing.T) {
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	windows := map[string]domain.KeyWindow{"xendit": xendit.KeyWindow, "iris": midtrans.IrisKeyWindow}
	for _, start := range []time.Time{day.Add(3 * time.Hour), day.Add(23*time.Hour + 40*time.Minute)} {
		for _, fault := range []sandbox.FaultKind{sandbox.FaultDrop, sandbox.FaultServerError} {
			for _, later := range []time.Time{start.Add(time.Minute), start.Add(20 * time.Minute), day.Add(23*time.Hour + 50*time.Minute),
				day.Add(24*time.Hour + 10*time.Minute), start.Add(24 * time.Hour), start.Add(25 * time.Hour)} {
				if !later.After(start) {
					continue
				}
				name := fmt.Sprintf("%s/%s/%s", start.Format("15:04"), fault, later.Sub(start).Round(time.Minute))
				t.Run(name, func(t *testing.T) {
					r := newWindowRig(t, start)
					r.sb.Faults().Add(sandbox.Fault{Endpoint: "xendit.payout.create", Kind: fault})
					r.sb.Faults().Add(sandbox.Fault{Endpoint: "iris.payout.create", Kind: fault})
					if _, err := r.eng.SendNow(context.Background()); err != nil {
						t.Fatal(err)
					}
					for ch, tr := range r.transfers() {
						if tr.Status != domain.TransferUnknown {
							t.Fatalf("%s after the lost create: %s", ch, tr.Status)
						}
					}
					r.restartSandbox() // the gateway restarts too: its keys and payouts are kept
					r.clk.Set(later)   // Lunas was off (or the gateway unreachable) until now
					for i := 0; i < 40; i++ {
						r.round()
						r.clk.Add(3 * time.Minute)
					}
					for ch, tr := range r.transfers() {
						count := r.sb.XenditPayoutCount(tr.RefID)
						if ch == "iris" {
							count = r.sb.IrisPayoutCount(tr.RefID)
						}
						paid := r.sb.PaidCount(ch, tr.RefID)
						t.Logf("%s: %s, %d payout(s), paid %d", ch, tr.Status, count, paid)
						switch {
						case count > 1 || paid > 1:
							t.Fatalf("%s %s: %d payouts, paid %d times", ch, tr.RefID, count, paid)
						case tr.Status == domain.TransferSucceeded && paid == 1:
						case tr.Status == domain.TransferUnknown && paid == 0 && strings.Contains(tr.FailureReason, "will not send it again"):
							if _, ends := windows[ch].End(tr.SentAt); !ends {
								t.Fatalf("%s in needs attention with a window that never ends", ch)
							}
						default:
							t.Fatalf("%s %s ended %s (paid %d, %d payouts): %q", ch, tr.RefID, tr.Status, paid, count, tr.FailureReason)
						}
						inWindow := domain.ResendAllowed(windows[ch], tr.SentAt, later)
						if inWindow && tr.Status != domain.TransferSucceeded {
							t.Fatalf("%s: resolved inside the window yet %s", ch, tr.Status)
						}
						// The 5xx create never reached the books: past the
						// window only a resend could have paid it, and a
						// resend there is what Lunas must never make.
						if !inWindow && fault == sandbox.FaultServerError && tr.Status != domain.TransferUnknown {
							t.Fatalf("%s: a create the gateway never made was resent past the window (%s)", ch, tr.Status)
						}
					}
				})
			}
		}
	}
}

package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/reconcile"
	"lunas/gateways/midtrans"
	"lunas/gateways/xendit"
)

// TestDemoReconciliationZeroDifferences is the acceptance "Demo
// reconciliation test: 0 differences at 1, 5 and 30 simulated minutes":
// the untouched demo shop (its sandbox, store, engine and adapters on one
// virtual clock, the engine driven round by round as its loops would, with
// buyers arriving and paying, every tenth underpaying) is reconciled after
// 1, 5 and 30 simulated minutes, with buyers paying through each payment
// gateway. Every payout channel's balance matches the books (the opening
// balance recorded when the engine connected it, plus settlements, flagged
// payments' money and minus payouts), every payment and transfer matches
// or is at most a step behind the gateway, and no item is a difference.
func TestDemoReconciliationZeroDifferences(t *testing.T) {
	for _, gw := range []string{"xendit", "midtrans", "doku", "ipaymu"} {
		t.Run(gw, func(t *testing.T) {
			if gw != "xendit" && testing.Short() {
				t.Skip("one payment gateway in -short")
			}
			t.Parallel()
			d := newSimDemo(t, gw)
			var last reconcile.Report
			for _, at := range []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute} {
				d.runUntil(at)
				rep := d.reconcile()
				for _, it := range rep.Items {
					if it.Difference() {
						t.Errorf("%s at %s: %s (%s)", gw, at, it.Sentence(domain.LangEnglish), it.Note)
					}
				}
				t.Logf("%s at %s: %s", gw, at, rep.Summary())
				last = rep
			}
			// The test saw real traffic: every payout channel paid someone,
			// was compared by balance, and its opening balance is in the books.
			paid := map[string]int{}
			balances := map[string]bool{}
			for _, it := range last.Items {
				if it.Area == reconcile.AreaTransfer && !it.Difference() && it.LocalStatus == string(domain.TransferSucceeded) {
					paid[it.Gateway]++
				}
				if it.Area == reconcile.AreaBalance && it.Kind == reconcile.Matched && it.Balance.OpeningRecorded {
					balances[it.Gateway] = true
				}
			}
			for _, ch := range []string{"xendit", "iris", "h2h:sandbox", "doku"} {
				if paid[ch] == 0 || !balances[ch] {
					t.Errorf("%s: %d paid transfers agree, balance matched with its opening balance: %v", ch, paid[ch], balances[ch])
				}
			}
			if last.Counts[reconcile.Matched] < 20 {
				t.Errorf("only %d records matched after 30 minutes: %s", last.Counts[reconcile.Matched], last.Summary())
			}
		})
	}
}

// simDemo is startDemo on a virtual clock with its engine driven by hand.
type simDemo struct {
	t      *testing.T
	clk    *simClock
	start  time.Time
	rt     *runtime
	shop   *demoShop
	gw     domain.PaymentGateway
	pay    func(string, domain.Rupiah) error
	rng    *rand.Rand
	buyers int
	unpaid []simBuyer
}

type simBuyer struct {
	ext   string
	total domain.Rupiah
	n     int
	at    time.Time
}

func newSimDemo(t *testing.T, gateway string) *simDemo {
	t.Helper()
	d := &simDemo{t: t, clk: &simClock{t: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)}, rng: rand.New(rand.NewPCG(11, 23))}
	d.start = d.clk.Now()
	rt, shop, err := startDemo(context.Background(), demoOptions{Gateway: gateway, Now: d.clk.Now, Manual: true,
		DBPath: filepath.Join(t.TempDir(), "demo.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Stop)
	d.rt, d.shop = rt, shop
	d.gw, d.pay = rt.DemoGateway, rt.DemoPay
	if d.gw == nil {
		d.gw, d.pay = xendit.New(xendit.Config{BaseURL: rt.SandboxURL, SecretKey: rt.Sandbox.Credentials().XenditSecretKey}), rt.Sandbox.PayXenditInvoice
	}
	return d
}

// runUntil moves the clock to start+at in steps, as the running demo would:
// buyers (every 30 s for five minutes, then every five) who pay a few
// seconds later (every tenth Rp1.000 short), and each step one round of the
// engine's loops (the balance loop once a minute). The steps are long for a
// lean test: the engine does in one round what is due.
func (d *simDemo) runUntil(at time.Duration) {
	d.t.Helper()
	ctx := context.Background()
	for d.clk.Now().Before(d.start.Add(at)) {
		step, every := 10*time.Second, 30*time.Second
		if d.clk.Now().Sub(d.start) >= 5*time.Minute {
			step, every = time.Minute, 5*time.Minute
		}
		d.clk.Add(step)
		now := d.clk.Now()
		if now.Sub(d.start)%every < step {
			d.buyers++
			ext, total, err := demoBuyerAt(ctx, d.rt.Store, d.gw, d.shop, d.rng, d.buyers, now)
			if err != nil {
				d.t.Fatalf("buyer %d: %v", d.buyers, err)
			}
			d.unpaid = append(d.unpaid, simBuyer{ext, total, d.buyers, now})
		}
		var keep []simBuyer
		for _, b := range d.unpaid {
			if now.Sub(b.at) < 3*time.Second {
				keep = append(keep, b)
				continue
			}
			amt := domain.Rupiah(0)
			if b.n%10 == 0 {
				amt = b.total - 1000
			}
			if err := d.pay(b.ext, amt); err != nil {
				d.t.Fatalf("pay %s: %v", b.ext, err)
			}
		}
		d.unpaid = keep
		e := d.rt.Engine
		if err := e.PollNow(ctx); err != nil {
			d.t.Fatal(err)
		}
		if _, err := e.SendNow(ctx); err != nil {
			d.t.Fatal(err)
		}
		if err := e.TrackNow(ctx, false); err != nil {
			d.t.Fatal(err)
		}
		if now.Sub(d.start)%time.Minute < step {
			if err := e.BalanceNow(ctx); err != nil {
				d.t.Fatal(err)
			}
		}
	}
}

// reconcile runs what the desktop's Reconcile runs, over the demo's day.
func (d *simDemo) reconcile() reconcile.Report {
	d.t.Helper()
	rep, err := reconcile.Run(context.Background(), d.rt.Store, engineGateways(d.rt.Engine), d.start.Add(-time.Hour), d.clk.Now().Add(time.Hour), reconcile.Options{})
	if err != nil {
		d.t.Fatal(err)
	}
	return rep
}

// TestGUIDemoReconcilesWithTheEngineChannels is the regression test of the
// demo's false "missing at gateway": the desktop reconciled the demo
// against an Iris adapter built apart from the engine's, with a REFID ->
// reference_no book of its own (empty), so every transfer the engine paid
// through Iris was "not sent by Lunas" to it. Now the desktop asks the
// engine's own adapters (and the demo's Iris keeps its book in the store).
// The real demo (engine, store and sandbox over HTTP) runs until an Iris
// transfer is paid; the desktop's reconciliation reports it matched.
func TestGUIDemoReconcilesWithTheEngineChannels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo shop for several seconds")
	}
	ctx := context.Background()
	g, err := newGUIServices(ctx, filepath.Join(t.TempDir(), "own.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	svc := g.Services()
	info, err := svc.Demo.StartDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var iris []domain.Transfer
	var all int
	state := func() string {
		svc.Store.Read(ctx, func(tx domain.ReadTx) error {
			iris, _ = tx.ListTransfers(domain.TransferFilter{Channel: "iris", Statuses: []domain.TransferStatus{domain.TransferSucceeded}})
			all, _ = tx.CountTransfers(domain.TransferFilter{})
			return nil
		})
		return fmt.Sprint(all, len(iris))
	}
	if !waitProgress(t, func() bool { state(); return len(iris) > 0 }, state) {
		t.Fatal("the demo stopped moving before it paid anyone through Iris")
	}
	ref := iris[0].RefID
	// The cause: an Iris adapter with a book of its own has never heard of
	// the REFID; the engine's adapter (and any on the store's book) has.
	g.mu.Lock()
	rt := g.rt
	g.mu.Unlock()
	c := rt.Sandbox.Credentials()
	apart := midtrans.NewIris(midtrans.IrisConfig{BaseURL: rt.SandboxURL + "/iris", CreatorKey: c.IrisCreatorKey, ApproverKey: c.IrisApproverKey,
		OTP: midtrans.StaticOTP(c.IrisOTP), Timeout: 20 * time.Second})
	if r, err := apart.Status(ctx, ref); err != nil || r.Outcome != domain.OutcomeNotFound {
		t.Fatalf("an Iris adapter with its own book: %+v, %v (the cause no longer shows)", r, err)
	}
	_, payouts := rt.Engine.Gateways()
	if r, err := payouts["iris"].Status(ctx, ref); err != nil || r.Outcome != domain.OutcomeSucceeded {
		t.Fatalf("the engine's Iris on %s: %+v, %v", ref, r, err)
	}
	// The desktop's reconciliation: the Iris transfer is matched, and no
	// sentence says a gateway has no record of a transfer.
	rep, err := reconcile.Run(ctx, svc.Store, engineGateways(rt.Engine), time.Now().Add(-time.Hour), time.Now().Add(time.Hour), reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range rep.Items {
		if it.Subject == ref {
			found = it.Kind == reconcile.Matched
		}
		if it.Area == reconcile.AreaTransfer && it.Kind == reconcile.MissingAtGateway {
			t.Errorf("%s", it.Sentence(domain.LangEnglish))
		}
	}
	if !found {
		t.Errorf("Iris transfer %s not matched: %s", ref, rep.Summary())
	}
	res, err := svc.Reconciler.Reconcile(ctx, info.Actor, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(res.Mismatches, res.Behind...) {
		if strings.Contains(m, "has no record") || strings.Contains(m, "tidak punya catatan") {
			t.Errorf("desktop reconciliation: %s", m)
		}
	}
}

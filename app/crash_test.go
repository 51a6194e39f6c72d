package app

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/postgres"
	"lunas/gateways/doku"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

var (
	crashCycles   = flag.Int("crash.cycles", 50, "SIGKILL cycles in TestCrashRecovery")
	crashPGCycles = flag.Int("crash.pgcycles", 15, "SIGKILL cycles in TestCrashRecoveryPostgres")
	// crashDOKUCycles: TestCrashRecoveryDOKU's cycles.
	crashDOKUCycles = flag.Int("crash.cycles.doku", 15, "SIGKILL cycles in TestCrashRecoveryDOKU")
)

// Environment of the crash test's child process.
const (
	envCrashChild = "LUNAS_CRASH_CHILD"
	envCrashDB    = "LUNAS_CRASH_DB"
	envCrashURL   = "LUNAS_CRASH_URL"
	envCrashPay   = "LUNAS_CRASH_CHANNEL" // the payout channel: "" (Xendit) or "doku"
)

// crashEngineOptions are the fast intervals the child and the final run use.
// channel "doku" pays every maker through Kirim DOKU (payments stay Xendit).
func crashEngineOptions(url, channel string) engineOptions {
	o := engineOptions{
		XenditURL: url, XenditKey: sandbox.DefaultCredentials().XenditSecretKey, RatePerMinute: -1,
		Intervals: engine.Intervals{PollFirst: 50 * time.Millisecond, PollMax: 500 * time.Millisecond, List: 100 * time.Millisecond,
			Send: 50 * time.Millisecond, TrackFirst: 100 * time.Millisecond, TrackMax: 500 * time.Millisecond, CallTimeout: 2 * time.Second},
		Batch: 32,
	}
	if channel == "doku" {
		c := sandbox.DefaultCredentials()
		o.Extra = map[string]domain.PayoutChannel{"doku": doku.New(doku.Config{BaseURL: url, ClientID: c.DOKUClientID,
			SecretKey: c.DOKUSecretKey, PrivateKey: c.DOKUPrivateKey, CustomerNumber: c.DOKUCustomerNumber, Timeout: 2 * time.Second})}
		o.DefaultChannel = "doku"
	}
	return o
}

// TestCrashChild is the engine process of TestCrashRecovery. It only runs
// when the parent starts it; it runs until killed.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envCrashChild) != "1" {
		t.Skip("child of TestCrashRecovery")
	}
	ctx := context.Background()
	// The shop's vault, opened with the owner's password as serve does.
	useKeychain(t, nil)
	t.Setenv("LUNAS_PASSWORD", testPassword)
	sh, err := unlockShop(ctx, &env{DBPath: os.Getenv(envCrashDB)}, false)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := buildEngine(ctx, sh.DB, crashEngineOptions(os.Getenv(envCrashURL), os.Getenv(envCrashPay)))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {} // until SIGKILL
}

// TestCrashRecovery runs the engine as a child process against the sandbox
// (served here, so its payout book outlives every child), kills it with
// SIGKILL at random moments while buyers keep paying, restarts it, and at the
// end checks: every settled payment's obligations have exactly one succeeded
// transfer (or a visible reason), the sandbox paid each obligation at most
// once, the ledger balances and the file passes integrity_check.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	crashRecovery(t, newTestShop(t, nil), *crashCycles, "")
}

// TestCrashRecoveryDOKU is the same with Kirim DOKU paying every maker (the
// REFID as partnerReferenceNo, the account inquiry before each transfer, the
// status inquiry after a restart): 0 duplicate payouts.
func TestCrashRecoveryDOKU(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	crashRecovery(t, newTestShop(t, nil), *crashDOKUCycles, "doku")
}

// TestCrashRecoveryPostgres is the same on a shop on a PostgreSQL server:
// killed children leave transactions that the server rolls back, the
// restarted engine recovers, nothing is paid twice, the ledger balances.
func TestCrashRecoveryPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	crashRecovery(t, newPGTestShop(t, nil), *crashPGCycles, "")
}

func crashRecovery(t *testing.T, s *testShop, cycles int, channel string) {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Step: 100 * time.Millisecond, Seed: 4})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	defer sb.Close()
	// Under load the network lies too: some payout answers are lost after
	// the money moved, some status reads fail.
	createEP, statusEP := "xendit.payout.create", "xendit.payout.get"
	if channel == "doku" {
		createEP, statusEP = "doku.transfer", "doku.status"
	}
	sb.Faults().Add(sandbox.Fault{Endpoint: createEP, Kind: sandbox.FaultDrop, Probability: 0.1})
	sb.Faults().Add(sandbox.Fault{Endpoint: statusEP, Kind: sandbox.FaultServerError, Probability: 0.05})

	path, db := s.Path, s.DB // a real vault, unlocked here as after the first run
	shop, err := seedDemo(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx domain.Tx) error {
		for _, k := range []string{settingLimitPerTransfer, settingLimitPayeeDaily} {
			if err := tx.SetSetting(k, "0"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
	rng := rand.New(rand.NewPCG(1, 2))
	orders := 0
	buy := func(k int) {
		for i := 0; i < k; i++ {
			orders++
			ext, _, err := demoBuyer(ctx, db, x, shop, rng, orders)
			if err != nil {
				t.Fatal(err)
			}
			if err := sb.PayXenditInvoice(ext, 0); err != nil {
				t.Fatal(err)
			}
		}
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for c := 0; c < cycles; c++ {
		buy(4)
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashDB+"="+path, envCrashURL+"="+srv.URL, envCrashPay+"="+channel)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	t.Logf("%d SIGKILL cycles, %d orders, payouts through %q, in %s", cycles, orders, channel, time.Since(start).Round(time.Millisecond))

	// Last start, in this process: recovery, then run until everything is final.
	sb.Faults().Clear()
	eng, err := buildEngine(ctx, db, crashEngineOptions(srv.URL, channel))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute) // a safety net: a loaded machine (load 30 seen) needs more than a minute
	for {
		open := 0
		db.Read(ctx, func(tx domain.ReadTx) error {
			n, _ := tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferApproved, domain.TransferSending, domain.TransferAccepted, domain.TransferUnknown}})
			p, _ := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentPending}})
			open = n + len(p)
			return nil
		})
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d open payments/transfers after the final run", open)
		}
		time.Sleep(100 * time.Millisecond)
	}
	eng.Stop()
	checkMoneyOn(t, db, sb, orders, channel)
	if c, ok := db.(interface{ Check(context.Context) error }); ok {
		if err := c.Check(ctx); err != nil {
			t.Fatalf("integrity_check: %v", err)
		}
	} else if _, err := postgres.Check(ctx, path); err != nil {
		t.Fatalf("server check: %v", err)
	}
}

// checkMoney asserts the end state of a run against the sandbox's book.
func checkMoney(t *testing.T, db shopDB, sb *sandbox.Server, orders int) {
	t.Helper()
	checkMoneyOn(t, db, sb, orders, "")
}

// checkMoneyOn is checkMoney for payouts through channel ("" = Xendit).
func checkMoneyOn(t *testing.T, db shopDB, sb *sandbox.Server, orders int, channel string) {
	t.Helper()
	if channel == "" {
		channel = "xendit"
	}
	ctx := context.Background()
	paid := map[string]int{}
	var bookTotal domain.Rupiah
	for _, p := range sb.Paid() {
		paid[p.RefID]++
		bookTotal += p.Amount
	}
	for ref, n := range paid {
		if n > 1 {
			t.Errorf("sandbox paid %s %d times", ref, n)
		}
	}
	err := db.Read(ctx, func(tx domain.ReadTx) error {
		pays, err := tx.ListPayments(domain.PaymentFilter{})
		if err != nil {
			return err
		}
		settled := 0
		for _, p := range pays {
			if p.Status != domain.PaymentSettled {
				if p.Status != domain.PaymentFlagged {
					t.Errorf("payment %s ended %s", p.ExternalID, p.Status)
				}
				continue
			}
			settled++
			obs, err := tx.ListObligationsByPayment(p.ID)
			if err != nil {
				return err
			}
			if len(obs) == 0 {
				t.Errorf("settled payment %s has no obligations", p.ExternalID)
			}
			for _, ob := range obs {
				trs, err := tx.ListTransfersByObligation(ob.ID)
				if err != nil {
					return err
				}
				ok, sentMoney := 0, 0
				var attention string
				for _, tr := range trs {
					sentMoney += paid[tr.RefID]
					switch tr.Status {
					case domain.TransferSucceeded:
						ok++
					case domain.TransferFailed, domain.TransferUnknown, domain.TransferAwaitingApproval:
						attention = string(tr.Status) + ": " + tr.FailureReason + tr.HoldReason
					}
				}
				if sentMoney > 1 {
					t.Errorf("obligation %d paid %d times by the sandbox", ob.ID, sentMoney)
				}
				if ok != 1 && (ok > 1 || attention == "") {
					t.Errorf("obligation %d: %d succeeded transfers and no visible reason", ob.ID, ok)
				}
				if ok == 1 && ob.Status != domain.ObligationPaid {
					t.Errorf("obligation %d paid but marked %s", ob.ID, ob.Status)
				}
			}
		}
		if settled == 0 {
			t.Error("nothing settled")
		}
		bal, err := tx.Balances()
		if err != nil {
			return err
		}
		var sum domain.Rupiah
		for _, v := range bal {
			sum += v
		}
		if sum != 0 {
			t.Errorf("ledger off by %s", sum)
		}
		if got := -bal[domain.PaidOutAccount(channel)]; got != bookTotal {
			t.Errorf("ledger paid out %s, sandbox book %s", got, bookTotal)
		}
		t.Logf("orders %d, settled %d, sandbox payouts %d totalling %s", orders, settled, len(paid), bookTotal)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var _ = fmt.Sprint

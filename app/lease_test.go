package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// TestLeaseServeChild is one `lunas serve` of TestOneEngineAtATime.
func TestLeaseServeChild(t *testing.T) {
	if os.Getenv("LUNAS_LEASE_CHILD") != "1" {
		t.Skip("child of TestOneEngineAtATime")
	}
	useKeychain(t, nil) // not this machine's keychain: the password opens the vault
	os.Exit(Main([]string{"--db", os.Getenv(envCrashDB), "serve", "--xendit-url", os.Getenv(envCrashURL), "--fast", "--rate", "-1", "--lease", "2s"}, os.Stdout, os.Stderr))
}

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveProc is a `lunas serve` child process.
type serveProc struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
}

// waitFor waits until the child printed want after its first from bytes; a
// bound for a stuck child, not a speed requirement.
func (p *serveProc) waitFor(t *testing.T, want string, from int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(p.out.String()[from:], want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never printed %q:\n%s", p.name, want, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sendingRe reads the engine and lease epoch from a send attempt's audit entry.
var sendingRe = regexp.MustCompile(`-> sending: .*\(lease epoch (\d+), .* pid (\d+)\)`)

// attempt is one recorded send attempt.
type attempt struct {
	seq   int64
	epoch int64
	pid   int
	ref   string
}

// attempts returns every send attempt in the audit log after seq, in order.
func attempts(t *testing.T, db shopDB, after int64) []attempt {
	t.Helper()
	var out []attempt
	err := db.Read(context.Background(), func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(after, 0)
		for _, e := range es {
			if e.Action != "transfer.status" || !strings.Contains(e.Detail, "-> sending") {
				continue
			}
			m := sendingRe.FindStringSubmatch(e.Detail)
			if m == nil {
				t.Errorf("send attempt without its engine: %q", e.Detail)
				continue
			}
			ep, _ := strconv.ParseInt(m[1], 10, 64)
			pid, _ := strconv.Atoi(m[2])
			out = append(out, attempt{e.Seq, ep, pid, strings.TrimPrefix(e.Subject, "transfer:")})
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lastSeq is the audit log's last entry.
func lastSeq(t *testing.T, db shopDB) int64 {
	t.Helper()
	var seq int64
	db.Read(context.Background(), func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(0, 0)
		if len(es) > 0 {
			seq = es[len(es)-1].Seq
		}
		return err
	})
	return seq
}

// TestOneEngineAtATime: two `lunas serve` processes and a desktop engine on
// one shop, on SQLite and on PostgreSQL. Exactly one sends at any time (every
// recorded attempt names its engine and lease epoch, and the epochs never go
// back); the first holder is killed with SIGKILL and the standby serve takes
// over; the desktop stands by and says which computer sends; the serve
// holding the lease is then stopped (SIGSTOP), the desktop takes over after
// the lease, and the serve, resumed with transfers waiting, sends nothing
// and stands by. The sandbox pays no REFID or obligation twice. Nothing here
// asserts how fast anything happens: waits are bounds for a stuck process.
func TestOneEngineAtATime(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) { oneEngineAtATime(t, store) })
	}
}

func oneEngineAtATime(t *testing.T, store string) {
	ctx := context.Background()
	t0 := time.Now()
	phase := func(name string) { t.Logf("%s at %s", name, time.Since(t0).Round(time.Millisecond)) }
	sb := sandbox.New(sandbox.Config{Step: 50 * time.Millisecond})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	defer sb.Close()
	var s *testShop
	if store == "postgres" {
		s = newPGTestShop(t, nil)
	} else {
		s = newTestShop(t, nil)
	}
	s.secret(secretXenditKey, sb.Credentials().XenditSecretKey)
	shop, err := seedDemo(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	s.autoSend()
	cfg, err := s.Sec.GetRiskConfig(ctx, s.Owner)
	if err != nil {
		t.Fatal(err)
	}
	cfg.VelocityMax = 1000 // many sales per maker in a few minutes is this test, not fraud
	if err := s.Sec.SetRiskConfig(ctx, s.Owner, cfg); err != nil {
		t.Fatal(err)
	}
	db := s.DB
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
	rng := rand.New(rand.NewPCG(14, 2))
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
	settledAndSent := func(what string) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for {
			open := 0
			db.Read(ctx, func(tx domain.ReadTx) error {
				n, _ := tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferApproved, domain.TransferSending, domain.TransferAccepted, domain.TransferUnknown}})
				p, _ := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentPending}})
				open = n + len(p)
				return nil
			})
			if open == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d payments or transfers still open", what, open)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := func(name string) *serveProc {
		p := &serveProc{name: name, out: &lockedBuffer{}}
		p.cmd = exec.Command(exe, "-test.run=^TestLeaseServeChild$", "-test.count=1")
		p.cmd.Env = append(os.Environ(), "LUNAS_LEASE_CHILD=1", envCrashDB+"="+s.Path, envCrashURL+"="+srv.URL,
			"LUNAS_PASSWORD="+testPassword, "LUNAS_USER=")
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.cmd.Process.Signal(syscall.SIGCONT)
			p.cmd.Process.Kill()
			p.cmd.Wait()
		})
		return p
	}

	// 1. Serve A takes the lease and sends; serve B stands by.
	a := start("serve A")
	a.waitFor(t, "this engine sends transfers (lease epoch 1)", 0)
	b := start("serve B")
	b.waitFor(t, "standing by; transfers are sent by", 0)
	buy(8)
	settledAndSent("while A holds")
	as := attempts(t, db, 0)
	if len(as) == 0 {
		t.Fatal("no send attempts recorded")
	}
	for _, x := range as {
		if x.pid != a.cmd.Process.Pid || x.epoch != 1 {
			t.Fatalf("attempt %+v not by serve A (pid %d, epoch 1)", x, a.cmd.Process.Pid)
		}
	}

	phase("A sent")
	// 2. A dies (SIGKILL); B takes over once the lease is free.
	mark := lastSeq(t, db)
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	b.waitFor(t, "this engine sends transfers (lease epoch 2)", 0)
	buy(8)
	settledAndSent("after B took over")

	phase("B sent")
	// The desktop engine signs in and stands by, saying who sends.
	t.Setenv("LUNAS_XENDIT_URL", srv.URL)
	useKeychain(t, nil)
	desktopLeaseTTL = 3 * time.Second // it looks every second
	desktopIntervals = crashEngineOptions(srv.URL, "").Intervals
	defer func() { desktopLeaseTTL, desktopIntervals = defaultLeaseTTL, engine.Intervals{} }()
	g, err := newGUIServices(ctx, s.Path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	code, _ := totp.GenerateCode(s.Secret, time.Now())
	if _, err := g.Login(ctx, "sari", testPassword, code); err != nil {
		t.Fatal(err)
	}
	desk := waitEngine(t, g)
	hostname, _ := os.Hostname()
	for {
		if host, _, ok := g.SentElsewhere(); ok {
			if host != hostname {
				t.Fatalf("desktop says transfers are sent by %q, want %q", host, hostname)
			}
			break
		}
		if desk.Lease().Holding {
			t.Fatal("the desktop took the lease from a running serve")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, x := range attempts(t, db, mark) {
		if x.pid != b.cmd.Process.Pid || x.epoch != 2 {
			t.Fatalf("attempt %+v after A died not by serve B (pid %d, epoch 2)", x, b.cmd.Process.Pid)
		}
	}

	// 3. B is stopped (SIGSTOP) while holding the lease, and a desk pauses
	// sending (B does not know: it is stopped); the desktop takes over after
	// the lease and settles new payments, whose transfers wait, paused. B
	// resumes believing it holds the lease, with approved transfers in the
	// store: its send transaction's fence (or its renewal, whichever runs
	// first) finds the lease gone; it sends nothing and stands by.
	mark = lastSeq(t, db)
	for try := 0; ; try++ {
		b.cmd.Process.Signal(syscall.SIGSTOP)
		// Stopped inside a write transaction, B would hold every writer
		// (SQLite's file lock, PostgreSQL's writer lock) until it resumes:
		// a desk could not even pause. Then let it finish and stop it again.
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := desk.Pause(pctx, s.Owner)
		cancel()
		if err == nil {
			break
		}
		if try == 20 {
			t.Fatalf("no write got past the stopped serve: %v", err)
		}
		b.cmd.Process.Signal(syscall.SIGCONT)
		time.Sleep(100 * time.Millisecond)
	}
	for !desk.Lease().Holding {
		time.Sleep(20 * time.Millisecond)
	}
	epochD := desk.Lease().Lease.Epoch
	phase("desktop took over")
	buy(6)
	for {
		var n int
		db.Read(ctx, func(tx domain.ReadTx) error {
			n, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferApproved}})
			return nil
		})
		if n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	from := len(b.out.String())
	b.cmd.Process.Signal(syscall.SIGCONT)
	b.waitFor(t, "lease lost", from)
	b.waitFor(t, "standing by", from)
	if strings.Contains(b.out.String()[from:], "engine lease lost") {
		t.Logf("serve B, resumed, was stopped by the fence of its send transaction")
	}
	if err := desk.Resume(ctx, s.Owner); err != nil {
		t.Fatal(err)
	}
	settledAndSent("after the desktop took over")
	phase("desktop sent")
	for _, x := range attempts(t, db, mark) {
		if x.pid != os.Getpid() || x.epoch != epochD {
			t.Fatalf("attempt %+v after B was stopped not by the desktop (pid %d, epoch %d)", x, os.Getpid(), epochD)
		}
	}

	// Over the whole run: epochs never go back, one engine per epoch, and
	// the sandbox paid nothing twice.
	all := attempts(t, db, 0)
	pidOf := map[int64]int{}
	for i, x := range all {
		if i > 0 && x.epoch < all[i-1].epoch {
			t.Fatalf("attempt %+v under an older lease after %+v", x, all[i-1])
		}
		if p, ok := pidOf[x.epoch]; ok && p != x.pid {
			t.Fatalf("epoch %d used by pids %d and %d", x.epoch, p, x.pid)
		}
		pidOf[x.epoch] = x.pid
	}
	for _, p := range sb.Paid() {
		if p.Count != 1 {
			t.Errorf("sandbox paid %s %d times", p.RefID, p.Count)
		}
	}
	checkMoney(t, db, sb, orders)
	t.Logf("%s: %d attempts under epochs %v", store, len(all), pidOf)
}

// waitEngine returns the desktop's engine once it runs (it starts after
// the database check).
func waitEngine(t *testing.T, g *guiServices) *engine.Engine {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if e, err := g.engine(); err == nil {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatal("the desktop's engine did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var _ = fmt.Sprint

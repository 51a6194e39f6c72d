package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

// TestServeChild runs `lunas serve` for TestServeGracefulShutdown.
func TestServeChild(t *testing.T) {
	if os.Getenv("LUNAS_SERVE_CHILD") != "1" {
		t.Skip("child of TestServeGracefulShutdown")
	}
	useKeychain(t, nil) // not this machine's keychain: the password opens the vault
	os.Exit(Main([]string{"--db", os.Getenv(envCrashDB), "serve", "--xendit-url", os.Getenv(envCrashURL), "--fast", "--rate", "-1"}, os.Stdout, os.Stderr))
}

// TestServeGracefulShutdown: `lunas serve` opens the shop's vault with
// LUNAS_PASSWORD, pays with the Xendit key stored in it, and under load
// stops on SIGTERM with exit code 0, leaving no transfer half-sent
// (sending) and an intact file.
func TestServeGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Step: 50 * time.Millisecond})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	defer sb.Close()
	sb.Faults().Add(sandbox.Fault{Endpoint: "xendit.payout.create", Kind: sandbox.FaultLatency, Latency: 300 * time.Millisecond, Probability: 0.5})
	s := newTestShop(t, nil)
	s.autoSend()
	s.secret(secretXenditKey, sb.Credentials().XenditSecretKey)
	path, db := s.Path, s.DB
	shop, err := seedDemo(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	s.autoSend() // seedDemo set its limits
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 40; i++ {
		ext, _, err := demoBuyer(ctx, db, x, shop, rng, i)
		if err != nil {
			t.Fatal(err)
		}
		sb.PayXenditInvoice(ext, 0)
	}
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^TestServeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LUNAS_SERVE_CHILD=1", envCrashDB+"="+path, envCrashURL+"="+srv.URL,
		"LUNAS_PASSWORD="+testPassword, "LUNAS_USER=")
	var out syncBuffer // written by the process's copier while the test reads
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Stop it while transfers are being sent. Starting takes a loaded
	// machine a while: the wait ends when serve stops making progress (its
	// output, the payments and transfers it moves), not at a fixed time.
	var progress string
	state := func() string {
		progress = out.String()
		db.Read(ctx, func(tx domain.ReadTx) error {
			n, _ := tx.CountTransfers(domain.TransferFilter{})
			p, _ := tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentPending}})
			progress += fmt.Sprintf("\n(%d transfers, %d payments pending)", n, len(p))
			return nil
		})
		return progress
	}
	sent := func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve ended before sending anything: %v\n%s", err, out.String())
		default:
		}
		var n int
		db.Read(ctx, func(tx domain.ReadTx) error {
			n, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSending, domain.TransferAccepted, domain.TransferSucceeded}})
			return nil
		})
		return n > 0
	}
	if !waitProgress(t, sent, state) {
		cmd.Process.Kill()
		t.Fatalf("serve stopped making progress before sending anything\n%s", progress)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, out.String())
		}
	case <-time.After(stallLimit):
		cmd.Process.Kill()
		t.Fatalf("serve did not stop in %s after SIGTERM\n%s", stallLimit, out.String())
	}
	if !strings.Contains(out.String(), "finishing in-flight work") {
		t.Fatalf("no shutdown message:\n%s", out.String())
	}
	var sending int
	db.Read(ctx, func(tx domain.ReadTx) error {
		sending, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSending}})
		return nil
	})
	if sending != 0 {
		t.Fatalf("%d transfers left in sending after a graceful stop", sending)
	}
	if err := db.(*sqlite.DB).Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestServeRefusesWithoutAWayToUnlock: no remembered key and no
// LUNAS_PASSWORD means no serve (and no key file is written); a database
// nobody has set up points at the desktop app.
func TestServeRefusesWithoutAWayToUnlock(t *testing.T) {
	useKeychain(t, nil)
	s := newTestShop(t, nil)
	s.DB.Close()
	t.Setenv("LUNAS_USER", "")
	t.Setenv("LUNAS_PASSWORD", "")
	code, _, errs := runLunas(t, "--db", s.Path, "serve")
	if code != 1 || !strings.Contains(errs, "LUNAS_PASSWORD") || !strings.Contains(errs, "brankas terkunci") {
		t.Fatalf("serve without a password = %d\n%s", code, errs)
	}
	if _, err := os.Stat(s.Path + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a key file was written: %v", err)
	}
	t.Setenv("LUNAS_PASSWORD", "bukan-kata-sandinya")
	if code, _, errs := runLunas(t, "--db", s.Path, "serve"); code != 1 || !strings.Contains(errs, "does not open the vault") {
		t.Fatalf("serve with a wrong password = %d\n%s", code, errs)
	}
	t.Setenv("LUNAS_PASSWORD", testPassword)
	if code, _, errs := runLunas(t, "--db", s.Path, "serve"); code != 1 || !strings.Contains(errs, "no gateway is set up") {
		t.Fatalf("serve with no gateway keys = %d\n%s", code, errs)
	}
}

// serveInProcess runs `lunas serve args...` until the returned stop is called.
func serveInProcess(t *testing.T, args ...string) (out *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	old := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	out = &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- Main(args, out, out) }()
	started := waitProgress(t, func() bool {
		select {
		case code := <-done:
			serveContext = old
			t.Fatalf("serve ended with %d:\n%s", code, out.String())
		default:
		}
		return strings.Contains(out.String(), "engine running")
	}, out.String)
	if !started {
		t.Fatalf("serve did not start:\n%s", out.String())
	}
	return out, func() int {
		cancel()
		code := <-done
		serveContext = old
		return code
	}
}

// order places an order for one product with a payment link at gw, as the
// desktop's "new order" does.
func order(t *testing.T, st domain.Store, gw domain.PaymentGateway, shop *demoShop, sku, ext string) domain.Rupiah {
	t.Helper()
	ctx := context.Background()
	var p domain.Product
	for _, x := range shop.products {
		if x.SKU == sku {
			p = x
		}
	}
	o := domain.Order{ExternalID: ext, Source: "test", BuyerName: "Rina", BuyerEmail: "rina@example.com",
		Items: []domain.OrderItem{{ProductID: p.ID, Name: p.Name, Qty: 1, UnitPrice: p.Price}}, Shipping: 15000,
		PayoutRuleID: shop.ruleOf[p.ID], Status: domain.OrderOpen, CreatedAt: time.Now()}
	total, err := o.Total()
	if err != nil {
		t.Fatal(err)
	}
	link, err := gw.CreatePayment(ctx, domain.PaymentRequest{ExternalID: ext, Amount: total, Description: p.Name,
		BuyerName: o.BuyerName, BuyerEmail: o.BuyerEmail, Items: o.Items, Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Write(ctx, func(tx domain.Tx) error {
		if err := tx.CreateOrder(&o); err != nil {
			return err
		}
		return tx.CreatePayment(&domain.Payment{OrderID: o.ID, Gateway: gw.Name(), ExternalID: ext, GatewayRef: link.GatewayRef,
			Amount: total, Status: domain.PaymentPending, URL: link.URL, CreatedAt: time.Now(), ExpiresAt: link.ExpiresAt, NextPollAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// TestServePaysThroughEveryChannel: with the keys in the vault (Xendit,
// Midtrans, Iris creator and approver, an H2H supplier configured in
// settings with its PIN in the vault), serve settles a Xendit and a
// Midtrans payment and pays the makers through Iris (Mandiri) and the H2H
// supplier (GoPay), each exactly once at the sandbox.
func TestServePaysThroughEveryChannel(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve for a few seconds")
	}
	ctx := context.Background()
	sb, url, stopSB, err := startSandbox(sandbox.Config{Step: 100 * time.Millisecond}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stopSB()
	c := sb.Credentials()
	useKeychain(t, nil)
	s := newTestShop(t, nil)
	shop, err := seedDemo(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	s.autoSend()
	s.secret(secretXenditKey, c.XenditSecretKey)
	s.secret(secretMidtransServer, c.MidtransServerKey)
	s.secret(secretIrisCreator, c.IrisCreatorKey)
	s.secret(secretIrisApprover, c.IrisApproverKey)
	s.secret("gateway.h2h.pulsa.key_pin", c.H2HPin)
	s.secret("gateway.h2h.pulsa.key_password", c.H2HPassword)
	s.setting(settingH2HConfig, fmt.Sprintf(`[{"name":"pulsa","base_url":%q,"member_id":%q,"products":{"GOPAY":"GOPAY"}}]`, url+sandbox.H2HPath, c.H2HMemberID))
	s.setting(settingPayoutRoute, `{"MANDIRI":"iris"}`)
	x := xendit.New(xendit.Config{BaseURL: url, SecretKey: c.XenditSecretKey})
	mt := midtrans.New(midtrans.Config{CoreURL: url + "/midtrans", SnapURL: url, ServerKey: c.MidtransServerKey})
	order(t, s.DB, x, shop, "LSM-001", "ORD-LASEM-1") // Mas Dimas, Mandiri: Iris
	order(t, s.DB, mt, shop, "ECO-001", "ORD-ECO-1")  // Mbak Wulan, GoPay: H2H, paid through Midtrans
	s.DB.Close()
	if err := sb.PayXenditInvoice("ORD-LASEM-1", 0); err != nil {
		t.Fatal(err)
	}
	if err := sb.PayMidtrans("ORD-ECO-1", 0, ""); err != nil {
		t.Fatal(err)
	}

	t.Setenv("LUNAS_USER", "")
	t.Setenv("LUNAS_PASSWORD", testPassword)
	out, stop := serveInProcess(t, "--db", s.Path, "serve", "--sandbox", url, "--fast", "--rate", "-1")
	for _, ch := range []string{"xendit", "midtrans", "iris", "h2h:pulsa"} {
		if !strings.Contains(out.String(), ch) {
			t.Errorf("serve does not list %s:\n%s", ch, out.String())
		}
	}
	paid := func(channel string) int {
		n := 0
		for _, p := range sb.Paid() {
			if p.Channel == channel || strings.HasPrefix(p.Channel, channel) {
				n++
			}
		}
		return n
	}
	if !waitProgress(t, func() bool { return paid("iris") > 0 && paid("h2h") > 0 }, out.String) {
		stop()
		t.Fatalf("iris paid %d, h2h paid %d; sandbox %+v\n%s", paid("iris"), paid("h2h"), sb.Paid(), out.String())
	}
	// The tracker records the final statuses; a second, read-only look at
	// the file (no key needed to count) while serve runs.
	peek, err := sqlite.Open(ctx, s.Path, sqlite.Options{OpenCheck: sqlite.CheckNone})
	if err != nil {
		t.Fatal(err)
	}
	succeeded := func(channel string) int {
		var n int
		peek.Read(ctx, func(tx domain.ReadTx) error {
			n, _ = tx.CountTransfers(domain.TransferFilter{Channel: channel, Statuses: []domain.TransferStatus{domain.TransferSucceeded}})
			return nil
		})
		return n
	}
	if !waitProgress(t, func() bool { return succeeded("iris") == 1 && succeeded("h2h:pulsa") == 1 }, out.String) {
		peek.Close()
		stop()
		t.Fatalf("transfers not succeeded: iris %d, h2h %d\n%s", succeeded("iris"), succeeded("h2h:pulsa"), out.String())
	}
	peek.Close()
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d\n%s", code, out.String())
	}
	if paid("iris") != 1 || paid("h2h") != 1 {
		t.Fatalf("sandbox paid iris %d, h2h %d times, want once each", paid("iris"), paid("h2h"))
	}
}

// TestServeIrisSurvivesRestart: a payout sent to Iris whose status serve
// could not learn before it stopped (accepted or unknown) is tracked to its end by the next serve, which learns the Iris
// reference_no from the store (midtrans.StoreBook): paid once, succeeded.
func TestServeIrisSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve twice")
	}
	ctx := context.Background()
	sb, url, stopSB, err := startSandbox(sandbox.Config{Step: 100 * time.Millisecond}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stopSB()
	c := sb.Credentials()
	useKeychain(t, nil)
	s := newTestShop(t, nil)
	shop, err := seedDemo(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	s.autoSend()
	s.secret(secretXenditKey, c.XenditSecretKey)
	s.secret(secretIrisCreator, c.IrisCreatorKey)
	s.secret(secretIrisApprover, c.IrisApproverKey)
	s.setting(settingPayoutRoute, `{"MANDIRI":"iris"}`)
	order(t, s.DB, xendit.New(xendit.Config{BaseURL: url, SecretKey: c.XenditSecretKey}), shop, "LSM-001", "ORD-LASEM-2")
	s.DB.Close()
	if err := sb.PayXenditInvoice("ORD-LASEM-2", 0); err != nil {
		t.Fatal(err)
	}
	// Iris answers no status question during the first run.
	sb.Faults().Add(sandbox.Fault{Endpoint: "iris.payout.get", Kind: sandbox.FaultServerError, Probability: 1})

	t.Setenv("LUNAS_USER", "")
	t.Setenv("LUNAS_PASSWORD", testPassword)
	peek, err := sqlite.Open(ctx, s.Path, sqlite.Options{OpenCheck: sqlite.CheckNone})
	if err != nil {
		t.Fatal(err)
	}
	defer peek.Close()
	count := func(st domain.TransferStatus) int {
		var n int
		peek.Read(ctx, func(tx domain.ReadTx) error {
			n, _ = tx.CountTransfers(domain.TransferFilter{Channel: "iris", Statuses: []domain.TransferStatus{st}})
			return nil
		})
		return n
	}
	wait := func(what string, cond func() bool, out *syncBuffer) {
		t.Helper()
		if !waitProgress(t, cond, out.String) {
			t.Fatalf("timed out waiting for %s\n%s", what, out.String())
		}
	}
	out, stop := serveInProcess(t, "--db", s.Path, "serve", "--sandbox", url, "--fast", "--rate", "-1")
	wait("the Iris payout to be sent", func() bool { return count(domain.TransferAccepted)+count(domain.TransferUnknown) == 1 }, out)
	if code := stop(); code != 0 {
		t.Fatalf("first serve exit %d\n%s", code, out.String())
	}
	if n := count(domain.TransferSucceeded); n != 0 {
		t.Fatalf("succeeded without a status answer: %d", n)
	}
	// Second run: Iris answers status questions but refuses any create, so
	// the payout must be found by the reference_no in the store, not by
	// resending the REFID (which past Iris's 24 h window would be unsafe).
	sb.Faults().Clear()
	sb.Faults().Add(sandbox.Fault{Endpoint: "iris.payout.create", Kind: sandbox.FaultServerError, Probability: 1})
	out, stop = serveInProcess(t, "--db", s.Path, "serve", "--sandbox", url, "--fast", "--rate", "-1")
	wait("the restarted serve to see the payout succeed", func() bool { return count(domain.TransferSucceeded) == 1 }, out)
	if code := stop(); code != 0 {
		t.Fatalf("second serve exit %d\n%s", code, out.String())
	}
	if n := sb.PaidCount("iris", ""); n > 1 {
		t.Fatalf("iris paid %d times", n)
	}
	paid := 0
	for _, p := range sb.Paid() {
		if p.Channel == "iris" {
			paid++
		}
	}
	if paid != 1 {
		t.Fatalf("iris paid %d times, want 1", paid)
	}
}

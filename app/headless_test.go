package app

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"lunas/domain"
)

// TestHeadlessFromScratch is docs/HEADLESS.md's trial, step by step, with
// no desktop: `lunas init` on a new file, `lunas sandbox --buyers 5` (the
// sandbox on a loopback port, its buyers paying through the shop's own
// gateway settings) and `lunas serve`, each through the command's entry
// point in its own goroutine, talking real HTTP. Every buyer's payment
// settles and every maker is paid, with nothing waiting or failed. The
// waits end on progress, not at a fixed time.
func TestHeadlessFromScratch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs init, the sandbox with buyers and serve")
	}
	useKeychain(t, nil)
	t.Setenv("LUNAS_USER", "")
	t.Setenv("LUNAS_PASSWORD", testPassword)
	db := filepath.Join(t.TempDir(), "toko.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the sandbox
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	// 1. lunas init
	var out, errb bytes.Buffer
	if code := Main([]string{"--db", db, "init", "--owner", "sari", "--shop", "Toko Uji", "--sandbox", "http://" + addr,
		"--set", "aml.hold_first_payout=off", "--set", "aml.velocity_max=1000"}, &out, &errb); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out.String(), errb.String())
	}

	// 2. lunas sandbox --buyers 5 (ten buyers, then it keeps serving)
	const orders = 10
	sbOut := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	sbDone := make(chan error, 1)
	go func() {
		sbDone <- serveSandbox(ctx, &env{DBPath: db, Stdout: sbOut, Stderr: sbOut},
			[]string{"--addr", addr, "--step", "100ms", "--buyers", "5", "--orders", fmt.Sprint(orders)}, nil)
	}()
	defer func() {
		cancel()
		if err := <-sbDone; err != nil {
			t.Errorf("sandbox: %v\n%s", err, sbOut.String())
		}
	}()
	if !waitProgress(t, func() bool { return strings.Contains(sbOut.String(), fmt.Sprintf("buyers: %d orders placed", orders)) }, sbOut.String) {
		select {
		case err := <-sbDone:
			sbDone <- err
			t.Fatalf("sandbox ended: %v\n%s", err, sbOut.String())
		default:
		}
		t.Fatalf("the buyers did not place their orders:\n%s", sbOut.String())
	}
	if n := strings.Count(sbOut.String(), "paid at the sandbox"); n != orders {
		t.Fatalf("not every buyer paid:\n%s", sbOut.String())
	}

	// 3. lunas serve
	srvOut, stop := serveInProcess(t, "--db", db, "serve", "--fast")
	st := mustOpen(t, db)
	var settled, paid, open int
	state := func() string {
		st.Read(context.Background(), func(tx domain.ReadTx) error {
			ps, _ := tx.ListPayments(domain.PaymentFilter{})
			settled = 0
			for _, p := range ps {
				if p.Status == domain.PaymentSettled {
					settled++
				}
			}
			paid, _ = tx.CountTransfers(domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferSucceeded}})
			all, _ := tx.CountTransfers(domain.TransferFilter{})
			open = all - paid
			return nil
		})
		return fmt.Sprint(settled, paid, open)
	}
	ok := waitProgress(t, func() bool { state(); return settled == orders && paid > 0 && open == 0 }, state)
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
	if !ok {
		t.Fatalf("%d/%d payments settled, %d transfers succeeded, %d not (yet)\nserve:\n%s\nsandbox:\n%s", settled, orders, paid, open, srvOut.String(), sbOut.String())
	}
	// One transfer per sale (each order pays one maker), none twice.
	if paid != orders {
		t.Fatalf("%d transfers succeeded for %d orders", paid, orders)
	}
}

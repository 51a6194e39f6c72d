package app

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"syscall"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

var (
	benchScale     = flag.Float64("engine.scale", 100, "time-scale factor of BenchmarkRequestsPerOrderScaled (100: a minute lasts 600ms)")
	benchPerMinute = flag.Int("engine.perminute", 50, "orders a simulated minute in BenchmarkRequestsPerOrderScaled")
	benchNoWatch   = flag.Bool("engine.nowatch", false, "turn the reversal watch off in BenchmarkRequestsPerOrderScaled (diagnosis only)")
	benchEngRate   = flag.Int("engine.limit", 0, "engine limiter per endpoint a simulated minute in BenchmarkRequestsPerOrderScaled (0 = the default test-mode limiters; diagnosis only)")
)

// scaledIntervals is the engine's default pacing (engine.Intervals defaults,
// with the list interval buildEngine uses under a limiter) divided by
// k. CallTimeout, Write and SendingAfter stay real: they bound local work
// (a loopback round trip, an fsync) that the scaling does not make faster,
// so dividing them would turn a slow fsync into a false "unknown".
func scaledIntervals(k float64) engine.Intervals {
	d := func(v time.Duration) time.Duration { return time.Duration(float64(v) / k) }
	return engine.Intervals{
		PollFirst: d(time.Second), PollMax: d(2 * time.Minute), List: d(limitedListInterval), ListFast: d(15 * time.Minute),
		ExpiryGrace: d(10 * time.Minute), Send: d(500 * time.Millisecond),
		TrackFirst: d(5 * time.Second), TrackMax: d(5 * time.Minute),
		Balance: d(time.Minute), Mail: d(5 * time.Second), StuckAfter: d(24 * time.Hour),
		ReversalWatch: d(7 * 24 * time.Hour), ReversalFirst: d(time.Hour), ReversalMax: d(48 * time.Hour),
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRequestsPerOrderScaled is the requests-per-order measurement
// under Xendit's test-mode limit, as a time-scaled simulation: 10,000
// orders at 60 payouts a minute take at least 167 minutes of real time, so
// every pacing interval of the engine, the engine's limiter, the sandbox's
// status steps and the sandbox's ENFORCED limit (60 requests per endpoint
// per sliding minute, 429 beyond) are all divided by -engine.scale. Buyers
// place orders at -engine.perminute a simulated minute (invoice creation
// through the same rate-limited sandbox) and each pays 10-60 simulated
// seconds later. Reported: requests per completed order by endpoint, 429s,
// wall and simulated time, and the CPU share used (a run that needs most
// of the machine distorts the ratios, so it is reported, not hidden).
func BenchmarkRequestsPerOrderScaled(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		k := *benchScale
		n := *benchOrders
		minute := time.Duration(float64(time.Minute) / k)
		ctx := context.Background()
		sb := sandbox.New(sandbox.Config{Step: time.Duration(float64(2*time.Second) / k), MaxObjects: 4 * n,
			StartBalance: 1_000_000_000_000, RateLimit: sandbox.RateLimit{Prefix: "xendit.", PerWindow: 60, Window: minute}})
		srv := httptest.NewServer(sb)
		path := filepath.Join(b.TempDir(), "bench.db")
		ciph, _ := newMemoryCipher(nil)
		db, err := sqlite.Open(ctx, path, sqlite.Options{Cipher: ciph, SyncNormal: *benchSyncNormal})
		if err != nil {
			b.Fatal(err)
		}
		shop, err := seedDemo(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		db.Write(ctx, func(tx domain.Tx) error {
			tx.SetSetting(settingLimitPerTransfer, "0")
			return tx.SetSetting(settingLimitPayeeDaily, "0")
		})
		iv := scaledIntervals(k)
		if *benchNoWatch {
			iv.ReversalWatch = -1
		}
		eng, err := buildEngine(ctx, db, engineOptions{XenditURL: srv.URL, XenditKey: sb.Credentials().XenditSecretKey,
			RatePerMinute: *benchEngRate, Minute: minute, Intervals: iv})
		if err != nil {
			b.Fatal(err)
		}
		bs := &benchShop{sb: sb, url: srv.URL, db: db}
		x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
		rng := rand.New(rand.NewPCG(5, 6))

		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		if err := eng.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if *benchTrace {
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Second):
					}
					fmt.Fprintf(os.Stderr, "%6.0f sim-min: succeeded=%d payout.create=%d payout.list=%d invoice.list=%d 429=%d",
						time.Since(start).Minutes()*k, bs.count(domain.TransferSucceeded), sb.Hits("xendit.payout.create"),
						sb.Hits("xendit.payout.list"), sb.Hits("xendit.invoice.list"), sb.RateLimitedTotal())
					fmt.Fprintln(os.Stderr)
				}
			}()
		}
		every := minute / time.Duration(*benchPerMinute)
		tk := time.NewTicker(every)
		var buyerErrs int
		for j := 0; j < n; j++ {
			<-tk.C
			ext, _, err := demoBuyer(ctx, db, x, shop, rng, j)
			if err != nil {
				buyerErrs++
				b.Logf("buyer %d: %v", j, err)
				continue
			}
			// The buyer pays 10-60 simulated seconds after ordering.
			delay := time.Duration(float64(10*time.Second+time.Duration(rng.IntN(50_000))*time.Millisecond) / k)
			time.AfterFunc(delay, func() { sb.PayXenditInvoice(ext, 0) })
		}
		tk.Stop()
		ordersDone := time.Since(start)
		want := n - buyerErrs
		deadline := time.Now().Add(10 * time.Minute)
		for bs.count(domain.TransferSucceeded) < want {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d transfers succeeded", bs.count(domain.TransferSucceeded), want)
			}
			time.Sleep(100 * time.Millisecond)
		}
		wall, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		eng.Stop()

		names := []string{"xendit.invoice.create", "xendit.invoice.get", "xendit.invoice.list", "xendit.payout.create",
			"xendit.payout.get", "xendit.payout.list", "xendit.balance", "xendit.payout.cancel", "xendit.channels"}
		total, limited := 0, 0
		detail, limDetail := "", ""
		for _, nm := range names {
			h, l := sb.Hits(nm), sb.RateLimited(nm)
			total += h
			limited += l
			if h > 0 {
				detail += fmt.Sprintf(" %s=%d (%.3f/order)", nm, h, float64(h)/float64(want))
			}
			if l > 0 {
				limDetail += fmt.Sprintf(" %s=%d", nm, l)
			}
		}
		other := 0
		db.Read(ctx, func(tx domain.ReadTx) error {
			all, _ := tx.CountTransfers(domain.TransferFilter{})
			other = all - want
			return nil
		})
		util := cpu.Seconds() / wall.Seconds() / float64(goruntime.NumCPU())
		b.Logf("scale x%g, %d orders at %d per simulated minute (ordering took %s, planned %s); wall %s = %s simulated; CPU %.1f s = %.0f%% of %d cores",
			k, want, *benchPerMinute, ordersDone.Round(time.Millisecond), (every * time.Duration(n)).Round(time.Millisecond),
			wall.Round(time.Millisecond), time.Duration(float64(wall)*k).Round(time.Second), cpu.Seconds(), 100*util, goruntime.NumCPU())
		b.Logf("hits:%s", detail)
		b.Logf("429 (enforced limit): %d%s; transfers not succeeded or extra: %d; buyer errors: %d", limited, limDetail, other, buyerErrs)
		b.Logf("payout.list hits beyond one per transfer (reversal watch, re-checks): %d", sb.Hits("xendit.payout.list")-want)
		b.ReportMetric(float64(total)/float64(want), "requests/order")
		b.ReportMetric(float64(total-sb.Hits("xendit.invoice.create"))/float64(want), "engine-requests/order")
		b.ReportMetric(float64(limited), "429s")
		b.ReportMetric(100*util, "cpu%")
		b.ReportMetric(wall.Seconds(), "wall-s")
		srv.Close()
		sb.Close()
		db.Close()
	}
}

// TestScaledIntervalsKeepTimeouts: the scaled run divides pacing but never
// the timeouts that bound local work.
func TestScaledIntervalsKeepTimeouts(t *testing.T) {
	iv := scaledIntervals(100)
	if iv.CallTimeout != 0 || iv.Write != 0 || iv.SendingAfter != 0 {
		t.Fatalf("timeouts scaled: %+v", iv)
	}
	got := []time.Duration{iv.PollFirst, iv.List, iv.TrackFirst, iv.ReversalFirst}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 36 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("scaled intervals %v, want %v", got, want)
	}
}

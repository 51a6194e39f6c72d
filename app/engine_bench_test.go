package app

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/postgres"
	"lunas/domain/postgres/pgtest"
	"lunas/domain/sqlite"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
)

var benchSyncNormal = flag.Bool("engine.syncnormal", false, "synchronous=NORMAL instead of FULL (not durable; for comparison only)")

var benchTrace = flag.Bool("engine.trace", false, "log progress during BenchmarkEndToEnd")

var benchOrders = flag.Int("engine.orders", 1000, "orders per run in the engine benchmarks")

// benchPollMax: by default (0) the engine's own PollMax (2 minutes), so a
// lister gateway's payments are settled by its list alone. At 100 ms (the
// setting before 6 Dec) every payment is also asked about by itself, the
// safety net a shop meets only for payments minutes old; runs of more than
// 1,000 orders need it, because one list answer stops at 10 pages of 100
// (docs/BENCHMARKS.md).
var benchPollMax = flag.Duration("engine.pollmax", 0, "the engine's PollMax in BenchmarkEndToEnd (0: the engine's default)")

var benchBatch = flag.Int("engine.batch", 512, "settlements or sends per write transaction in BenchmarkEndToEnd (the engine's default is 64)")

// benchShop is a sandbox, a durable store (synchronous=FULL) with the demo
// shop, and n open orders whose invoices exist at the sandbox.
type benchShop struct {
	sb   *sandbox.Server
	url  string
	db   shopDB
	exts []string
}

func newBenchShop(b *testing.B, n int, step time.Duration) *benchShop {
	b.Helper()
	return newBenchShopOn(b, n, step, func(ciph domain.FieldCipher) (shopDB, error) {
		return sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Cipher: ciph, SyncNormal: *benchSyncNormal})
	})
}

// newBenchShopOn is newBenchShop on the store open returns.
func newBenchShopOn(b *testing.B, n int, step time.Duration, open func(domain.FieldCipher) (shopDB, error)) *benchShop {
	b.Helper()
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Step: step, MaxObjects: 4 * n, StartBalance: 1_000_000_000_000})
	srv := httptest.NewServer(sb)
	b.Cleanup(func() { sb.Close(); srv.Close() })
	ciph, _ := newMemoryCipher(nil)
	db, err := open(ciph)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	shop, err := seedDemo(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	db.Write(ctx, func(tx domain.Tx) error {
		tx.SetSetting(settingLimitPerTransfer, "0")
		return tx.SetSetting(settingLimitPayeeDaily, "0")
	})
	x := xendit.New(xendit.Config{BaseURL: srv.URL, SecretKey: sb.Credentials().XenditSecretKey})
	rng := rand.New(rand.NewPCG(3, 4))
	bs := &benchShop{sb: sb, url: srv.URL, db: db}
	for i := 0; i < n; i++ {
		ext, _, err := demoBuyer(ctx, db, x, shop, rng, i)
		if err != nil {
			b.Fatal(err)
		}
		bs.exts = append(bs.exts, ext)
	}
	return bs
}

func (bs *benchShop) count(st ...domain.TransferStatus) int {
	var n int
	bs.db.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		n, err = tx.CountTransfers(domain.TransferFilter{Statuses: st})
		return err
	})
	return n
}

// waitSucceeded waits until want transfers succeeded.
func (bs *benchShop) waitSucceeded(b *testing.B, want int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for bs.count(domain.TransferSucceeded) < want {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d transfers succeeded after %s", bs.count(domain.TransferSucceeded), want, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkEndToEnd: settled payments to succeeded transfers per second
// against the sandbox over HTTP, faults and rate limits off, durable writes.
// Timed from the moment every buyer has paid until every transfer succeeded.
func BenchmarkEndToEnd(b *testing.B) {
	endToEnd(b, func(n int) *benchShop { return newBenchShop(b, n, time.Millisecond) })
}

// BenchmarkEndToEndStores is BenchmarkEndToEnd on both stores in one run:
// the SQLite file (synchronous=FULL) and a database on a local PostgreSQL
// server with its durable defaults (fsync, synchronous_commit on; a
// throwaway cluster unless LUNAS_BENCH_POSTGRES names one).
func BenchmarkEndToEndStores(b *testing.B) {
	b.Run("sqlite", BenchmarkEndToEnd)
	b.Run("postgres", func(b *testing.B) {
		endToEnd(b, func(n int) *benchShop {
			url := pgtest.NewBenchDatabase(b)
			return newBenchShopOn(b, n, time.Millisecond, func(ciph domain.FieldCipher) (shopDB, error) {
				return postgres.Open(context.Background(), url, postgres.Options{Cipher: ciph})
			})
		})
	})
}

func endToEnd(b *testing.B, shop func(n int) *benchShop) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		n := *benchOrders
		bs := shop(n)
		o := engineOptions{XenditURL: bs.url, XenditKey: bs.sb.Credentials().XenditSecretKey, RatePerMinute: -1,
			Intervals: engine.Intervals{PollFirst: 50 * time.Millisecond, PollMax: *benchPollMax, List: 50 * time.Millisecond,
				Send: 20 * time.Millisecond, TrackFirst: 20 * time.Millisecond, TrackMax: 100 * time.Millisecond},
			Batch: *benchBatch, Concurrency: 16}
		eng, err := buildEngine(context.Background(), bs.db, o)
		if err != nil {
			b.Fatal(err)
		}
		for _, ext := range bs.exts {
			bs.sb.PayXenditInvoice(ext, 0)
		}
		b.StartTimer()
		start := time.Now()
		if err := eng.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		if *benchTrace {
			go func() {
				for t0 := time.Now(); time.Since(t0) < 20*time.Second; time.Sleep(250 * time.Millisecond) {
					var settled []domain.Payment
					bs.db.Read(context.Background(), func(tx domain.ReadTx) error {
						settled, _ = tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentSettled}})
						return nil
					})
					b.Logf("%5dms settled=%d approved=%d accepted=%d succeeded=%d", time.Since(start).Milliseconds(), len(settled),
						bs.count(domain.TransferApproved), bs.count(domain.TransferAccepted), bs.count(domain.TransferSucceeded))
					if bs.count(domain.TransferSucceeded) >= n {
						return
					}
				}
			}()
		}
		bs.waitSucceeded(b, n, 5*time.Minute)
		el := time.Since(start)
		b.StopTimer()
		eng.Stop()
		b.ReportMetric(float64(n)/el.Seconds(), "orders/s")
	}
}

// BenchmarkSettlementLatency: from the buyer paying at the gateway to the
// transfer request being committed and sent, at default intervals and the
// default rate limits (Xendit test mode, 60 requests a minute per endpoint).
// Buyers arrive one every 1.2 s, under the payout endpoint's limit.
func BenchmarkSettlementLatency(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		n := min(*benchOrders, 30)
		bs := newBenchShop(b, n, 2*time.Second)
		eng, err := buildEngine(context.Background(), bs.db, engineOptions{XenditURL: bs.url, XenditKey: bs.sb.Credentials().XenditSecretKey})
		if err != nil {
			b.Fatal(err)
		}
		if err := eng.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		paidAt := map[string]time.Time{}
		b.StartTimer()
		for _, ext := range bs.exts {
			paidAt[ext] = time.Now()
			bs.sb.PayXenditInvoice(ext, 0)
			time.Sleep(1200 * time.Millisecond)
		}
		deadline := time.Now().Add(time.Minute)
		for bs.count(domain.TransferAccepted, domain.TransferSucceeded, domain.TransferUnknown) < n && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		b.StopTimer()
		eng.Stop()
		var lat []time.Duration
		bs.db.Read(context.Background(), func(tx domain.ReadTx) error {
			trs, err := tx.ListTransfers(domain.TransferFilter{})
			for _, t := range trs {
				ob, _ := tx.GetObligation(t.ObligationID)
				p, _ := tx.GetPayment(ob.PaymentID)
				if !t.SentAt.IsZero() {
					lat = append(lat, t.SentAt.Sub(paidAt[p.ExternalID]))
				}
			}
			return err
		})
		if len(lat) < n {
			b.Fatalf("only %d of %d transfers sent", len(lat), n)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
		b.ReportMetric(float64(p(0.5).Milliseconds()), "p50-ms")
		b.ReportMetric(float64(p(0.99).Milliseconds()), "p99-ms")
		b.ReportMetric(float64(len(lat)), "transfers")
	}
}

// BenchmarkRequestsPerOrder counts every HTTP request the sandbox received
// per completed order (invoice creation included) at default intervals.
// -engine.rate sets the per-endpoint limit (60 = Xendit test mode; the
// default -1 runs without a limiter because 10,000 payouts at 60 a minute
// take at least 2.8 hours by construction).
var benchRate = flag.Int("engine.rate", -1, "requests per minute per endpoint in BenchmarkRequestsPerOrder (-1 = off)")

var benchPayRate = flag.Int("engine.payrate", 50, "payments a second in BenchmarkRequestsPerOrder")

func BenchmarkRequestsPerOrder(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		n := *benchOrders
		bs := newBenchShop(b, n, 2*time.Second)
		eng, err := buildEngine(context.Background(), bs.db, engineOptions{XenditURL: bs.url, XenditKey: bs.sb.Credentials().XenditSecretKey,
			RatePerMinute: *benchRate, Batch: 512, Concurrency: 16})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := eng.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		// Buyers pay in a steady stream (-engine.payrate a second), as
		// a shop's traffic arrives, rather than all in the same instant.
		for _, ext := range bs.exts {
			bs.sb.PayXenditInvoice(ext, 0)
			time.Sleep(time.Second / time.Duration(*benchPayRate))
		}
		bs.waitSucceeded(b, n, 30*time.Minute)
		b.StopTimer()
		eng.Stop()
		total := 0
		names := []string{"xendit.invoice.create", "xendit.invoice.get", "xendit.invoice.list", "xendit.payout.create", "xendit.payout.get",
			"xendit.payout.list", "xendit.balance"}
		detail := ""
		for _, nm := range names {
			h := bs.sb.Hits(nm)
			total += h
			detail += fmt.Sprintf(" %s=%d", nm, h)
		}
		b.Logf("hits:%s", detail)
		b.ReportMetric(float64(total)/float64(n), "requests/order")
	}
}

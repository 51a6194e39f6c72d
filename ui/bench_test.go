package ui

import (
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lunas/domain"
	"lunas/domain/postgres"
	"lunas/domain/postgres/pgtest"
	"lunas/domain/sqlite"
)

var benchRows = flag.Int("benchrows", 1_000_000, "transfers in the benchmark database")

var (
	benchDir string
	bigOnce  sync.Once
	bigDB    *sqlite.DB
	bigErr   error
)

// TestMain removes the benchmark database after the run (and stops the
// PostgreSQL server a benchmark may have started).
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if bigDB != nil {
		bigDB.Close()
	}
	if pgDB != nil {
		pgDB.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// bigStore is a real SQLite file with *benchRows transfers (99.8% history,
// the rest waiting, in flight or needing attention) spread over a year,
// built once per benchmark run with one INSERT ... SELECT.
func bigStore(b *testing.B) *sqlite.DB {
	b.Helper()
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lunas-bench-")
		benchDir = dir
		if err != nil {
			bigErr = err
			return
		}
		start := time.Now()
		bigDB, bigErr = sqlite.Open(context.Background(), filepath.Join(dir, "big.db"),
			sqlite.Options{Cipher: newGCM(b), SyncNormal: true})
		if bigErr != nil {
			return
		}
		seedShop(b, bigDB)
		bigErr = bigDB.WriteTx(context.Background(), func(tx *sqlite.Tx) error {
			stx, ctx := tx.SQL()
			_, err := stx.ExecContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?)
				INSERT INTO transfers(refid, payee_id, channel, amount, status, created_by, created_at, updated_at)
				SELECT printf('RF-BENCH-%07d', x), (SELECT MIN(id) FROM payees) + x % 3, 'xendit', 10000 + x % 5000 * 100,
				  CASE WHEN x % 1000 = 1 THEN 'awaiting_approval' WHEN x % 1000 = 2 THEN 'failed'
				       WHEN x % 1000 = 3 THEN 'accepted' WHEN x % 100 = 4 THEN 'rejected' ELSE 'succeeded' END,
				  'engine', ? + x * 31536000 / ? * 1000000, ? + x * 31536000 / ? * 1000000 FROM c`,
				*benchRows, fixedNow.AddDate(-1, 0, 0).UnixMicro(), *benchRows, fixedNow.AddDate(-1, 0, 0).UnixMicro(), *benchRows)
			return err
		})
		b.Logf("built %d transfers in %s", *benchRows, time.Since(start).Round(time.Millisecond))
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigDB
}

var (
	pgOnce sync.Once
	pgDB   *postgres.DB
	pgErr  error
)

// bigPGStore is bigStore on a local PostgreSQL server (a durable throwaway
// cluster unless LUNAS_BENCH_POSTGRES names one): the same rows, built with
// one INSERT ... SELECT over generate_series, then ANALYZE.
func bigPGStore(b *testing.B) *postgres.DB {
	b.Helper()
	pgOnce.Do(func() {
		url := pgtest.NewBenchDatabase(b)
		start := time.Now()
		pgDB, pgErr = postgres.Open(context.Background(), url, postgres.Options{Cipher: newGCM(b)})
		if pgErr != nil {
			return
		}
		seedShop(b, pgDB)
		pgErr = pgDB.WriteTx(context.Background(), func(tx *postgres.Tx) error {
			stx, ctx := tx.SQL()
			_, err := stx.ExecContext(ctx, `INSERT INTO transfers(refid, payee_id, channel, amount, status, created_by, created_at, updated_at)
				SELECT format('RF-BENCH-%s', lpad(x::text, 7, '0')), (SELECT MIN(id) FROM payees) + x % 3, 'xendit', 10000 + x % 5000 * 100,
				  CASE WHEN x % 1000 = 1 THEN 'awaiting_approval' WHEN x % 1000 = 2 THEN 'failed'
				       WHEN x % 1000 = 3 THEN 'accepted' WHEN x % 100 = 4 THEN 'rejected' ELSE 'succeeded' END,
				  'engine', $2::bigint + x::bigint * 31536000 / $1 * 1000000, $2::bigint + x::bigint * 31536000 / $1 * 1000000
				FROM generate_series(1, $1::bigint) x`, *benchRows, fixedNow.AddDate(-1, 0, 0).UnixMicro())
			return err
		})
		if pgErr == nil {
			_, pgErr = pgDB.SQL().ExecContext(context.Background(), "VACUUM ANALYZE transfers")
		}
		b.Logf("built %d transfers on PostgreSQL in %s", *benchRows, time.Since(start).Round(time.Millisecond))
	})
	if pgErr != nil {
		b.Fatal(pgErr)
	}
	return pgDB
}

// BenchmarkTransfersFirstPageStores is BenchmarkTransfersFirstPage on both
// stores in one run: the SQLite file and the same rows on PostgreSQL.
func BenchmarkTransfersFirstPageStores(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { transfersFirstPage(b, bigStore(b)) })
	b.Run("postgres", func(b *testing.B) { transfersFirstPage(b, bigPGStore(b)) })
}

// BenchmarkTransfersFirstPage measures navigation to the Transfers screen
// until the first page of the default tab (awaiting approval) has arrived
// and is applied, and then a switch to History (nearly every row) until its
// first page is there, with *benchrows transfers. The counts may still be
// running: rows show before the count of a million is known.
func BenchmarkTransfersFirstPage(b *testing.B) { transfersFirstPage(b, bigStore(b)) }

func transfersFirstPage(b *testing.B, st domain.Store) {
	a := test.NewTempApp(b)
	SetLanguage(LangEnglish)
	u := New(a, Services{Store: st, Location: time.UTC}, Options{})
	u.ShowMain(domain.Actor{Name: "owner", Role: domain.RoleOwner})
	waitIdle(u)
	firstRow := func(tb *dataTable[transferRow]) {
		for {
			testQueue.drain()
			if _, ok := tb.pager.Row(0); ok {
				return
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	var worst, worstHist time.Duration
	var sumHist, sumFirst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		delete(u.screens, ScreenTransfers)
		start := time.Now()
		u.Navigate(ScreenTransfers)
		s := u.screens[ScreenTransfers].(*transfersScreen)
		firstRow(s.tables[tabApproval])
		d := time.Since(start)
		worst = max(worst, d)
		sumFirst += d
		b.StopTimer()
		waitIdle(u)
		b.StartTimer()
		h := time.Now()
		s.selectTab(tabHistory)
		firstRow(s.tables[tabHistory])
		b.StopTimer()
		dh := time.Since(h)
		sumHist += dh
		worstHist = max(worstHist, dh)
		waitIdle(u)
		b.StartTimer()
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(float64(sumFirst.Microseconds())/1000/float64(b.N), "first-ms")
	b.ReportMetric(float64(sumHist.Microseconds())/1000/float64(b.N), "history-ms")
	b.ReportMetric(float64(worstHist.Microseconds())/1000, "history-worst-ms")
}

// BenchmarkTransferPageFetch measures one page fetch of History over
// *benchrows transfers the way the table does it: by key while scrolling
// (the previous page is cached), and by OFFSET for a jump (dragging the
// scroll bar). It reports p50 and p99 per mode.
func BenchmarkTransferPageFetch(b *testing.B) {
	st := bigStore(b)
	a := test.NewTempApp(b)
	SetLanguage(LangEnglish)
	u := New(a, Services{Store: st, Location: time.UTC}, Options{})
	u.ShowMain(domain.Actor{Name: "owner", Role: domain.RoleOwner})
	s := newTransfersScreen(u)
	p := s.tables[tabHistory].pager
	ctx := context.Background()
	var total int
	_ = st.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		total, err = tx.CountTransfers(s.filter(tabHistory))
		return err
	})
	for _, mode := range []string{"scroll", "jump"} {
		b.Run(mode, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			lat := make([]time.Duration, 0, b.N)
			first, err := p.fetch(ctx, 0, pageSize)
			if err != nil {
				b.Fatal(err)
			}
			last := first[len(first)-1]
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				var rows []transferRow
				if mode == "scroll" {
					rows, err = p.after(ctx, last, pageSize)
					if len(rows) == pageSize {
						last = rows[len(rows)-1]
					} else {
						last = first[len(first)-1]
					}
				} else {
					rows, err = p.fetch(ctx, rng.IntN(max(total-pageSize, 1)), pageSize)
				}
				lat = append(lat, time.Since(start))
				if err != nil || len(rows) == 0 {
					b.Fatalf("page: %d rows, %v", len(rows), err)
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

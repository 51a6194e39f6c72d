package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"lunas/domain"
)

// Benchmarks for docs/BENCHMARKS.md "## Store":
//
//	go test -run '^$' -bench . -benchtime 2000x ./domain/sqlite/
//
// Each creates transfers on a real file in b.TempDir(). The raw baselines
// run a plain INSERT through database/sql on the same driver and pragmas.

func benchStore(b *testing.B, syncNormal bool) (*DB, int64) {
	b.Helper()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), Options{SyncNormal: syncNormal})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var payee domain.Payee
	if err := db.Write(ctx, func(tx domain.Tx) error {
		payee = domain.Payee{Name: "bench"}
		return tx.CreatePayee(&payee)
	}); err != nil {
		b.Fatal(err)
	}
	return db, payee.ID
}

func newTransfer(i int, payee int64) domain.Transfer {
	return domain.Transfer{RefID: "BENCH-" + strconv.Itoa(i), PayeeID: payee, Channel: "xendit",
		Amount: domain.Rupiah(10000 + i), CreatedBy: "engine"}
}

// BenchmarkCreateTransfer: one durable transaction (BEGIN IMMEDIATE ...
// COMMIT with synchronous=FULL) per transfer, as the engine commits a REFID
// before any network call. sync=NORMAL is shown for comparison only.
func BenchmarkCreateTransfer(b *testing.B) {
	for _, mode := range []struct {
		name   string
		normal bool
	}{{"sync=FULL", false}, {"sync=NORMAL", true}} {
		b.Run(mode.name, func(b *testing.B) {
			db, payee := benchStore(b, mode.normal)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x := newTransfer(i, payee)
				if err := db.Write(ctx, func(tx domain.Tx) error { return tx.CreateTransfer(&x) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
		})
	}
}

// BenchmarkCreateTransferBatch: 100 transfers per durable transaction.
// ns/op is per transfer.
func BenchmarkCreateTransferBatch(b *testing.B) {
	const batch = 100
	db, payee := benchStore(b, false)
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		if err := db.Write(ctx, func(tx domain.Tx) error {
			for j := i; j < min(i+batch, b.N); j++ {
				x := newTransfer(j, payee)
				if err := tx.CreateTransfer(&x); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}

// rawBenchDB opens the same file settings as the store's writer (WAL,
// foreign keys, synchronous=FULL, one connection) with the schema in place.
func rawBenchDB(b *testing.B) (*sql.DB, int64) {
	db, payee := benchStore(b, false)
	path := db.Path()
	db.Close()
	raw, err := sql.Open("sqlite", fileURI(path, url.Values{
		"_busy_timeout": {"5000"},
		"_pragma":       {"foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)"},
	}))
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	b.Cleanup(func() { raw.Close() })
	return raw, payee
}

const rawInsert = `INSERT INTO transfers(refid, payee_id, channel, amount, status, created_by, created_at, updated_at)
	VALUES (?, ?, 'xendit', ?, 'awaiting_approval', 'engine', 1, 1)`

// BenchmarkRawInsert is the baseline: one autocommit INSERT per row.
func BenchmarkRawInsert(b *testing.B) {
	raw, payee := rawBenchDB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := raw.ExecContext(ctx, rawInsert, "BENCH-"+strconv.Itoa(i), payee, 10000+i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRawInsertBatch is the baseline for the batched variant: 100
// plain INSERTs per transaction.
func BenchmarkRawInsertBatch(b *testing.B) {
	const batch = 100
	raw, payee := rawBenchDB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for j := i; j < min(i+batch, b.N); j++ {
			if _, err := tx.ExecContext(ctx, rawInsert, "BENCH-"+strconv.Itoa(j), payee, 10000+j); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// bigStore fills a store with 200,000 transfers (LUNAS_BENCH_ROWS
// overrides), one in six of each status pattern, one second apart.
func bigStore(b *testing.B) (*DB, int) {
	b.Helper()
	rows := 200_000
	if v, err := strconv.Atoi(os.Getenv("LUNAS_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	db, payee := benchStore(b, true)
	statuses := []string{"succeeded", "succeeded", "succeeded", "failed", "awaiting_approval", "unknown"}
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < ?)
			INSERT INTO transfers(refid, payee_id, channel, amount, status, created_by, created_at, updated_at)
			SELECT printf('LNS-%08d', i), ?, 'xendit', 10000 + i % 500000,
			       CASE i % 6 WHEN 0 THEN ? WHEN 1 THEN ? WHEN 2 THEN ? WHEN 3 THEN ? WHEN 4 THEN ? ELSE ? END,
			       'engine', 1700000000000000 + i * 1000000, 1700000000000000 + i * 1000000 FROM n`,
			rows, payee, statuses[0], statuses[1], statuses[2], statuses[3], statuses[4], statuses[5])
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return db, rows
}

// BenchmarkCheck is the integrity check Open runs at every start, full
// (integrity_check, the default) and quick (quick_check).
func BenchmarkCheck(b *testing.B) {
	db, rows := bigStore(b)
	for _, quick := range []bool{false, true} {
		b.Run(fmt.Sprintf("quick=%v/rows=%d", quick, rows), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := db.check(ctx, db.w, quick); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListTransfers pages through a large table the way the desktop
// does (newest first, 50 rows, optional status filter). Rows default to
// 200,000; LUNAS_BENCH_ROWS=1000000 for the full-size figure.
func BenchmarkListTransfers(b *testing.B) {
	db, rows := bigStore(b)
	cases := []struct {
		name string
		f    domain.TransferFilter
	}{
		{"first page", domain.TransferFilter{Page: domain.Page{Limit: 50}}},
		{"page 1000", domain.TransferFilter{Page: domain.Page{Offset: 50 * 1000, Limit: 50}}},
		{"status=unknown first page", domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferUnknown}, Page: domain.Page{Limit: 50}}},
		{"count status=unknown", domain.TransferFilter{Statuses: []domain.TransferStatus{domain.TransferUnknown}}},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s/rows=%d", c.name, rows), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := db.Read(ctx, func(tx domain.ReadTx) error {
					if c.f.Limit == 0 {
						n, err := tx.CountTransfers(c.f)
						if err == nil && n != rows/6 {
							err = fmt.Errorf("count %d", n)
						}
						return err
					}
					list, err := tx.ListTransfers(c.f)
					if err == nil && len(list) != 50 {
						err = fmt.Errorf("got %d rows", len(list))
					}
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

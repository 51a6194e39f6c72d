// Package pgtest gives tests a real PostgreSQL server: the one named by
// LUNAS_TEST_POSTGRES (CI starts a throwaway cluster and sets it), or else a
// throwaway cluster of its own, started on first use from the server
// binaries on this machine (initdb and postgres on PATH or in Debian's
// /usr/lib/postgresql/*/bin), in a temporary folder, listening on a unix
// socket only, and stopped when the test binary ends (Main) or dies.
//
// Tests that need PostgreSQL skip only when no server binary exists, and say
// so loudly; with LUNAS_REQUIRE_POSTGRES=1 (CI) that skip is a failure.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"

	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Environment variables.
const (
	// EnvURL names a server for tests: a URL of a database the tests may
	// create and drop databases from (a superuser's or CREATEDB role's).
	EnvURL = "LUNAS_TEST_POSTGRES"
	// EnvRequire makes a missing server a test failure instead of a skip.
	EnvRequire = "LUNAS_REQUIRE_POSTGRES"
)

var (
	sharedOnce sync.Once
	sharedURL  string
	sharedErr  error
	sharedC    *Cluster
	warnOnce   sync.Once
)

// Main runs the tests of a package that uses Shared or NewDatabase and stops
// the cluster Shared may have started: func TestMain(m *testing.M) {
// os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	dropMu.Lock()
	for _, f := range dropList {
		f()
	}
	dropMu.Unlock()
	for _, c := range []*Cluster{sharedC, benchC} {
		if c == nil {
			continue
		}
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stopping the test cluster:", err)
		}
		c.Remove()
	}
	return code
}

// ServerURL returns the URL of the test server's maintenance database,
// starting a throwaway cluster on first use when LUNAS_TEST_POSTGRES is not
// set. It skips t (loudly) when there is no server binary at all.
func ServerURL(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			sharedURL = u
			return
		}
		var c *Cluster
		c, sharedErr = StartCluster()
		if sharedErr == nil {
			sharedC, sharedURL = c, c.URL("postgres")
		}
	})
	if sharedErr == ErrNoServer {
		Skip(t)
	}
	if sharedErr != nil {
		t.Fatalf("PostgreSQL test server: %v", sharedErr)
	}
	return sharedURL
}

var (
	benchOnce sync.Once
	benchURL  string
	benchErr  error
	benchC    *Cluster
)

// EnvBenchURL names a server for benchmarks (its durability settings are
// the ones measured).
const EnvBenchURL = "LUNAS_BENCH_POSTGRES"

// BenchServerURL is ServerURL for benchmarks: LUNAS_BENCH_POSTGRES, or a
// durable throwaway cluster (fsync and synchronous_commit on, the server's
// defaults) started once and stopped by Main.
func BenchServerURL(t testing.TB) string {
	t.Helper()
	benchOnce.Do(func() {
		if u := os.Getenv(EnvBenchURL); u != "" {
			benchURL = u
			return
		}
		var c *Cluster
		c, benchErr = StartDurableCluster()
		if benchErr == nil {
			benchC, benchURL = c, c.URL("postgres")
		}
	})
	if benchErr == ErrNoServer {
		Skip(t)
	}
	if benchErr != nil {
		t.Fatalf("PostgreSQL benchmark server: %v", benchErr)
	}
	return benchURL
}

// NewBenchDatabase creates an empty database on the benchmark server.
func NewBenchDatabase(t testing.TB) string {
	t.Helper()
	admin := BenchServerURL(t)
	name := "lunas_bench_" + randomHex(6)
	if err := adminExec(admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create benchmark database: %v", err)
	}
	dropLater(admin, name)
	return WithDatabase(admin, name)
}

// Skip skips t because no PostgreSQL server is available, unless
// LUNAS_REQUIRE_POSTGRES=1, which fails it.
func Skip(t testing.TB) {
	t.Helper()
	msg := "POSTGRESQL NOT TESTED: no PostgreSQL server binary (initdb, postgres) on this machine; " +
		"install Debian's postgresql package or set " + EnvURL + " to a server URL"
	warnOnce.Do(func() { fmt.Fprintln(os.Stderr, "\n*** "+msg+" ***\n") })
	if os.Getenv(EnvRequire) == "1" {
		t.Fatal(msg + " (" + EnvRequire + "=1)")
	}
	t.Skip(msg)
}

// NewDatabase creates an empty database on the test server and returns its
// URL; it is dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "")
}

var (
	templatesMu sync.Mutex
	templates   = map[string]string{} // key -> database name
)

// NewDatabaseFrom is NewDatabase for a database prepared by init: init runs
// once per test binary and key on a template database (for example, to apply
// the migrations), and every database is a copy of it, which is much quicker
// than running init again.
func NewDatabaseFrom(t testing.TB, key string, init func(url string) error) string {
	t.Helper()
	admin := ServerURL(t)
	templatesMu.Lock()
	name, ok := templates[key]
	if !ok {
		name = "lunas_tmpl_" + randomHex(6)
		if err := adminExec(admin, "CREATE DATABASE "+name); err != nil {
			templatesMu.Unlock()
			t.Fatalf("create template database: %v", err)
		}
		if err := init(WithDatabase(admin, name)); err != nil {
			adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			templatesMu.Unlock()
			t.Fatalf("prepare template database: %v", err)
		}
		templates[key] = name
		dropLater(admin, name)
	}
	templatesMu.Unlock()
	return newDatabase(t, name)
}

func newDatabase(t testing.TB, template string) string {
	t.Helper()
	admin := ServerURL(t)
	name := "lunas_test_" + randomHex(6)
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template
		if serverVersion(admin) >= 150000 {
			q += " STRATEGY FILE_COPY" // quicker than logging every page of a small template
		}
	}
	if err := adminExec(admin, q); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return WithDatabase(admin, name)
}

// adminExec runs one statement on the server's maintenance database.
func adminExec(admin, q string) error {
	db, err := openAdmin(admin)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(context.Background(), q)
	return err
}

var (
	versionOnce sync.Once
	versionNum  int
)

// serverVersion returns the server's version number (150004 for 15.4).
func serverVersion(admin string) int {
	versionOnce.Do(func() {
		db, err := openAdmin(admin)
		if err != nil {
			return
		}
		defer db.Close()
		db.QueryRowContext(context.Background(), "SELECT current_setting('server_version_num')::int").Scan(&versionNum)
	})
	return versionNum
}

var (
	dropMu   sync.Mutex
	dropList []func()
)

// dropLater drops a database when Main ends (an external server outlives
// the test binary).
func dropLater(admin, name string) {
	dropMu.Lock()
	defer dropMu.Unlock()
	dropList = append(dropList, func() { adminExec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
}

// WithDatabase returns serverURL naming database name instead.
func WithDatabase(serverURL, name string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func openAdmin(u string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return nil, fmt.Errorf("test server URL: %w", err)
	}
	cfg.ConnectTimeout = 10 * time.Second
	return stdlib.OpenDB(*cfg), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// waitReady polls the server until it accepts a connection to database
// postgres or the deadline passes.
func waitReady(u string, deadline time.Duration, exited <-chan struct{}) error {
	end := time.Now().Add(deadline)
	var last error
	for time.Now().Before(end) {
		select {
		case <-exited:
			return fmt.Errorf("server exited while starting: %v", last)
		default:
		}
		db, err := openAdmin(u)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		if err == nil {
			return nil
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server not ready after %s: %v", deadline, last)
}

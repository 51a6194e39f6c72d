// Package postgres is Lunas's PostgreSQL store, for a shop that outgrew one
// computer: the engine runs headless on an always-on machine and every desk
// reads and writes the same database. It implements the same ports as
// domain/sqlite (domain.Store, the engine's, security's, the reports' and the
// desktop's), proven by the same contract suite (domain/storetest), through
// github.com/jackc/pgx/v5 (database/sql's pool, pgx's own connection for
// each transaction).
//
// What SQLite got from its single writer, PostgreSQL gets from the database
// itself:
//
//   - Writers take one transaction-scoped advisory lock right after BEGIN
//     (READ COMMITTED), so write transactions run one at a time across every
//     process on the database, each seeing everything committed before it:
//     a read-check-write inside Write (a daily limit, "the last owner", the
//     audit chain's tail) behaves exactly as on SQLite. Readers never wait:
//     Read is a REPEATABLE READ, READ ONLY snapshot.
//   - The REFID is UNIQUE; a duplicate is answered by ON CONFLICT DO NOTHING
//     (ErrDuplicateRefID) without aborting the transaction, so the caller may
//     go on as on SQLite.
//   - Every status move is UPDATE ... WHERE key = $ AND status = $ (PostgreSQL
//     re-checks the condition on the newest row version, so a racing move
//     loses even without the writer lock).
//   - Ledger balance: a deferred constraint trigger checks at COMMIT that
//     the lines of every touched posting sum to zero (at least two lines); a
//     transaction that would leave an unbalanced posting does not commit
//     (ErrUnbalanced), whatever wrote the lines.
//   - The audit log is append-only (triggers refuse UPDATE, DELETE, TRUNCATE).
//   - Round trips, not the server's work, are what a write costs, so a write
//     transaction sends the statements nobody waits for (audit entries,
//     postings, moves from a status it read under the writer lock, poll
//     schedules of payments it read, mail)
//     in one batch with its next statement or its COMMIT (later.go). A
//     queued move must change exactly its one row and a queued insert must
//     be accepted, or the transaction fails and nothing of it is kept.
//
// Conventions match domain/sqlite so a shop copies between the two row for
// row: money is BIGINT whole rupiah; times are BIGINT microseconds since the
// Unix epoch in UTC with 0 meaning "not set"; optional references are NULL.
// Migrations in migrations/ are the twins of domain/sqlite/migrations, same
// number, same name (a test holds both folders to the same numbers).
//
// A server that cannot be reached gives an error matching
// domain.ErrStoreUnavailable, explained in Indonesian and English; nothing of
// a transaction that did not commit is kept.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"lunas/domain"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Options configures Open. The zero value is usable except that payee
// account numbers need a Cipher.
type Options struct {
	// Cipher encrypts sensitive columns. Nil means locked: touching an
	// encrypted column returns an error matching domain.ErrLocked.
	Cipher domain.FieldCipher
	// Now is the clock used for transaction timestamps (default time.Now).
	Now func() time.Time
	// MaxConns bounds the connections this process opens (default 8).
	MaxConns int
	// LockTimeout is how long a writer waits for another process's write
	// transaction before failing (default 30s), like SQLite's busy timeout.
	LockTimeout time.Duration
	// ConnectTimeout bounds one connection attempt (default 10s).
	ConnectTimeout time.Duration
}

// DB is an open Lunas database on a PostgreSQL server. It is safe for
// concurrent use, also by several processes.
type DB struct {
	sql  *sql.DB
	cfg  *pgx.ConnConfig // for the change listener's own connection (changes.go)
	opts Options
	// where is the server and database for messages: never the password.
	where string
}

var _ domain.Store = (*DB)(nil)

// writeLockKey is the advisory lock every write transaction takes
// ("LUNASWRT"); advisory locks are per database, so two shops on one server
// do not wait for each other.
const writeLockKey int64 = 0x4c554e4153575254

// IsURL reports whether s names a PostgreSQL database (postgres:// or
// postgresql://) rather than a file.
func IsURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Open connects to the database at url (postgres://user:password@host/db),
// applies pending migrations and returns the store. A URL that does not
// parse gives *URLError; a server that cannot be reached or refuses the
// login gives *UnavailableError or *LoginError; a database migrated by a
// newer Lunas gives ErrSchemaTooNew.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	return open(ctx, url, opts, embeddedMigrations)
}

func open(ctx context.Context, rawURL string, opts Options, migs migrationSource) (*DB, error) {
	db, err := connect(ctx, rawURL, opts)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db.sql, migs, db.opts.Now); err != nil {
		db.sql.Close()
		return nil, db.classify("migrate", err)
	}
	return db, nil
}

// connect opens the pool and checks that the server answers, without
// migrating.
func connect(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 8
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 30 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, &URLError{URL: Redact(rawURL), Err: err}
	}
	cfg.ConnectTimeout = opts.ConnectTimeout
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "lunas"
	cfg.RuntimeParams["lock_timeout"] = fmt.Sprint(opts.LockTimeout.Milliseconds())
	// A process stopped inside a write transaction (SIGSTOP, a debugger, a
	// laptop lid) must not hold every other writer forever: the server ends
	// its session, which rolls the transaction back.
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "60000"
	cfg.RuntimeParams["TimeZone"] = "UTC"
	db := &DB{opts: opts, where: serverName(cfg), cfg: cfg.Copy()}
	db.sql = stdlib.OpenDB(*cfg)
	db.sql.SetMaxOpenConns(opts.MaxConns)
	db.sql.SetMaxIdleConns(opts.MaxConns)
	db.sql.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, db.classify("connect", err)
	}
	return db, nil
}

// serverName describes the server and database for people and logs.
func serverName(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	} else {
		host = fmt.Sprintf("%s:%d", host, cfg.Port)
	}
	return fmt.Sprintf("%s/%s", host, cfg.Database)
}

// Redact returns the URL with any password replaced, for messages and logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://…"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Where returns the server and database this store uses (never the password).
func (db *DB) Where() string { return db.where }

// Now returns the store's clock reading in UTC, truncated to microseconds
// (the precision stored).
func (db *DB) Now() time.Time { return db.opts.Now().UTC().Truncate(time.Microsecond) }

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// SQL returns the connection pool, for tools and tests that run their own
// statements (db copy, benchmarks).
func (db *DB) SQL() *sql.DB { return db.sql }

// ErrReadOnly reports a write attempted inside a Read transaction.
var ErrReadOnly = errors.New("write attempted in a read-only transaction")

// Read runs fn on a consistent snapshot (REPEATABLE READ, READ ONLY). The
// transaction is always rolled back.
func (db *DB) Read(ctx context.Context, fn func(domain.ReadTx) error) error {
	return db.onConn(ctx, "begin read", func(pc *pgx.Conn) error {
		if _, err := pc.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
			rollback(pc)
			return db.classify("begin read", err)
		}
		defer rollback(pc)
		t := &Tx{conn: pc, db: db, ctx: ctx, now: db.Now()}
		defer t.end()
		return db.unavailable(fn(t))
	})
}

// Write runs fn in a write transaction that holds the database's writer
// lock, and commits only if fn returns nil.
func (db *DB) Write(ctx context.Context, fn func(domain.Tx) error) error {
	return db.WriteTx(ctx, func(t *Tx) error { return fn(t) })
}

// beginWrite starts a write transaction and takes the writer lock in one
// round trip. READ COMMITTED: every statement sees what committed before
// the lock.
var beginWrite = fmt.Sprintf("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(%d)", writeLockKey)

// WriteTx is Write with the concrete *Tx.
func (db *DB) WriteTx(ctx context.Context, fn func(*Tx) error) error {
	return db.onConn(ctx, "begin write", func(pc *pgx.Conn) error {
		committed := false
		defer func() {
			if !committed {
				rollback(pc)
			}
		}()
		if _, err := pc.Exec(ctx, beginWrite); err != nil {
			return db.classify("wait for other writers", err)
		}
		t := &Tx{conn: pc, db: db, ctx: ctx, now: db.Now(), write: true, cache: &writeCache{}}
		defer t.end()
		if err := fn(t); err != nil {
			if t.cache.flushErr != nil && !errors.Is(err, t.cache.flushErr) {
				// The statement that failed was refused because statements
				// sent before it failed: that is the cause.
				err = fmt.Errorf("%w (then: %v)", t.cache.flushErr, err)
			}
			return db.unavailable(err)
		}
		if err := t.commit(); err != nil {
			return err
		}
		committed = true
		return nil
	})
}

// onConn runs f on one of the pool's connections, as pgx's own connection:
// its batches let a write transaction send statements whose answers nobody
// waits for together with the next one (later.go).
func (db *DB) onConn(ctx context.Context, op string, f func(*pgx.Conn) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return db.classify(op, err)
	}
	defer conn.Close()
	var ferr error
	if err := conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		ferr = f(pc)
		if pc.PgConn().TxStatus() != 'I' || pc.PgConn().IsBusy() {
			// Still inside a transaction (a ROLLBACK that failed, rows
			// left open): it may hold the writer lock, so the connection
			// must not go back to the pool. Closed, the pool drops it.
			closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			pc.Close(closeCtx)
			cancel()
		}
		return nil
	}); err != nil {
		return db.classify(op, err)
	}
	return ferr
}

// rollback ends a transaction that did not commit. If it cannot (the
// server went away, rows left open), onConn closes the connection.
func rollback(pc *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pc.Exec(ctx, "ROLLBACK")
}

// ErrTxDone reports a statement on a transaction that has ended: it would
// run outside any transaction and without the writer lock.
var ErrTxDone = sql.ErrTxDone

// end marks t finished: every later statement or kept row fails with
// ErrTxDone.
func (t *Tx) end() {
	t.done = true
	if t.cache != nil && t.cache.flushErr == nil {
		t.cache.flushErr = ErrTxDone
	}
}

// Tx is the transaction behind both Read and Write; it implements domain.Tx
// and the same extra ports as domain/sqlite's Tx. Write methods on a read
// transaction return ErrReadOnly.
type Tx struct {
	conn  *pgx.Conn
	db    *DB
	ctx   context.Context
	now   time.Time // transaction time: UTC, microsecond precision
	write bool
	// cache keeps a write transaction's statements that wait to be sent and
	// copies of rows only it can change (later.go); nil in a read
	// transaction.
	cache *writeCache
	// settings read in a read transaction (its snapshot does not change).
	readSettings map[string]setting
	done         bool // the transaction has ended (end)
}

var _ domain.Tx = (*Tx)(nil)

// exec, query and queryRow take queries with '?' placeholders (see
// rebind). pgx prepares and caches each statement per connection. In a
// write transaction statements waiting to be sent go first, in the same
// round trip (later.go); if one of them fails, the transaction is aborted
// and so is this statement.
func (t *Tx) exec(q string, args ...any) (pgconn.CommandTag, error) {
	return t.run(rebind(q), text(args))
}

func (t *Tx) query(q string, args ...any) (pgx.Rows, error) {
	return t.runQuery(rebind(q), text(args))
}

func (t *Tx) queryRow(q string, args ...any) pgx.Row {
	return t.runQueryRow(rebind(q), text(args))
}

// text makes every string argument storable as PostgreSQL text, which
// refuses NUL and invalid UTF-8 that SQLite keeps: a gateway's garbled
// failure reason must never stop its transfer's outcome from being
// recorded. Invalid bytes become U+FFFD, NUL is dropped.
func text(args []any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clean(s)
		}
	}
	return args
}

// insertID runs an INSERT ... RETURNING id and returns the id; an error
// matching sql.ErrNoRows when ON CONFLICT DO NOTHING skipped the row.
func (t *Tx) insertID(q string, args ...any) (int64, error) {
	var id int64
	err := t.queryRow(q+" RETURNING id", args...).Scan(&id)
	return id, err
}

// Now returns the transaction's timestamp (taken once at BEGIN).
func (t *Tx) Now() time.Time { return t.now }

// SQL returns the transaction's statements for code outside this package
// that must run its own (tests, tools). In a write transaction what waits
// to be sent goes first and the copies are forgotten, as the caller's
// statements may see or change anything.
func (t *Tx) SQL() (RawTx, context.Context) {
	t.forget()
	return RawTx{t}, t.ctx
}

// forget drops a write transaction's copies of rows.
func (t *Tx) forget() {
	if t.cache != nil {
		t.cache.forget()
	}
}

// RawTx runs statements with $n placeholders in a transaction. Each first
// sends everything kept and forgets every copy (later.go).
type RawTx struct{ t *Tx }

// ExecContext runs a statement.
func (r RawTx) ExecContext(_ context.Context, q string, args ...any) (pgconn.CommandTag, error) {
	r.t.forget()
	if err := r.t.queueKept(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return r.t.run(q, args)
}

// QueryContext runs a query.
func (r RawTx) QueryContext(_ context.Context, q string, args ...any) (pgx.Rows, error) {
	r.t.forget()
	if err := r.t.queueKept(); err != nil {
		return nil, err
	}
	return r.t.runQuery(q, args)
}

// QueryRowContext runs a query for one row.
func (r RawTx) QueryRowContext(_ context.Context, q string, args ...any) pgx.Row {
	r.t.forget()
	if err := r.t.queueKept(); err != nil {
		return errRow{err}
	}
	return r.t.runQueryRow(q, args)
}

func (t *Tx) mustWrite() error {
	if !t.write {
		return ErrReadOnly
	}
	return nil
}

// ErrSchemaTooNew reports a database migrated by a newer Lunas than this one.
var ErrSchemaTooNew = errors.New("database was created by a newer version of Lunas")

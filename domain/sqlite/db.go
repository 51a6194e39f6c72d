// Package sqlite is Lunas's SQLite store (modernc.org/sqlite, no cgo). It
// implements domain.Store: one writer connection that starts every write
// transaction with BEGIN IMMEDIATE, a read-only reader pool, WAL, foreign keys,
// synchronous=FULL, embedded numbered forward-only migrations and an integrity
// check on open.
//
// Conventions for every table (also for other engineers' files here): money is
// INTEGER whole rupiah; times are INTEGER microseconds since the Unix epoch in
// UTC with 0 meaning "not set" (see micros and fromMicros); optional references
// are NULL (see nullID). Repository methods are methods on *Tx and use t.tx
// with t.ctx.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"lunas/domain"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options configures Open. The zero value is usable except that payee
// account numbers need a Cipher.
type Options struct {
	// Cipher encrypts sensitive columns. Nil means locked: touching an
	// encrypted column returns an error matching domain.ErrLocked.
	Cipher domain.FieldCipher
	// Now is the clock used for transaction timestamps (default time.Now).
	Now func() time.Time
	// BusyTimeout is how long a connection waits for a lock held by
	// another process before failing (default 5s).
	BusyTimeout time.Duration
	// SyncNormal selects synchronous=NORMAL instead of FULL. In WAL mode
	// NORMAL can lose the last commits on power loss (never corrupts), so
	// it is only for throw-away databases such as benchmarks and demos.
	SyncNormal bool
	// Readers is the size of the read-only connection pool (default
	// max(2, GOMAXPROCS)).
	Readers int
	// OpenCheck selects the integrity check Open runs (default CheckFull).
	// Full checks take seconds on a million transfers (docs/BENCHMARKS.md);
	// a desktop may open with CheckQuick and run Check in the background.
	OpenCheck CheckLevel
}

// CheckLevel is how thoroughly Open checks the file.
type CheckLevel int

// Check levels.
const (
	// CheckFull runs PRAGMA integrity_check: pages, b-trees, and that every
	// index matches its table.
	CheckFull CheckLevel = iota
	// CheckQuick runs PRAGMA quick_check: pages and b-trees, not index
	// contents; roughly half the time.
	CheckQuick
	// CheckNone skips the check (tests and benchmarks only).
	CheckNone
)

// DB is an open Lunas database. It is safe for concurrent use.
type DB struct {
	w    *sql.DB // exactly one connection: every write transaction
	r    *sql.DB // read-only pool
	path string
	opts Options

	lockMu   sync.Mutex
	lockFile *os.File // the engine's host lock, while held (hostlock.go)

	wc, rc stmtCache // statements kept prepared on the writer and the readers (stmtcache.go)
}

var _ domain.Store = (*DB)(nil)

// Open opens (creating if missing) the database file at path, checks its
// integrity and applies pending migrations. A damaged file or one that is not
// a database gives an error matching domain.ErrDamaged; a database written by
// a newer Lunas gives ErrSchemaTooNew.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	return open(ctx, path, opts, embeddedMigrations)
}

func open(ctx context.Context, path string, opts Options, migs migrationSource) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.Readers <= 0 {
		opts.Readers = max(2, runtime.GOMAXPROCS(0))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %q: %w", path, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("database path %q is a folder, not a file", path)
	}
	// The file holds personal data: 0600 on Unix (SQLite's WAL and SHM
	// files copy its mode), a user-only ACL on Windows.
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("database file %s: %w", abs, err)
	}
	sync := "FULL"
	if opts.SyncNormal {
		sync = "NORMAL"
	}
	busy := opts.BusyTimeout.Milliseconds()

	w, err := sql.Open("sqlite", fileURI(abs, url.Values{
		"_txlock":       {"immediate"},
		"_busy_timeout": {fmt.Sprint(busy)},
		"_pragma":       {"foreign_keys(1)", "journal_mode(WAL)", "synchronous(" + sync + ")"},
	}))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{w: w, path: abs, opts: opts}
	if err := pingWriter(ctx, w, opts.BusyTimeout); err != nil {
		w.Close()
		return nil, db.classify("open", err)
	}
	if opts.OpenCheck != CheckNone {
		if err := db.check(ctx, w, opts.OpenCheck == CheckQuick); err != nil {
			w.Close()
			return nil, err
		}
	}
	if err := migrate(ctx, w, migs, opts.Now); err != nil {
		w.Close()
		return nil, db.classify("migrate", err)
	}
	for _, side := range []string{"-wal", "-shm"} { // left by an older Lunas with looser modes
		if err := restrictFile(abs + side); err != nil {
			w.Close()
			return nil, fmt.Errorf("database file %s: %w", abs+side, err)
		}
	}
	// Readers open only after the writer has put the file in WAL mode, so a
	// read-only connection never needs to write the header.
	r, err := sql.Open("sqlite", fileURI(abs, url.Values{
		"mode":          {"ro"},
		"_busy_timeout": {fmt.Sprint(busy)},
		"_pragma":       {"foreign_keys(1)"},
		"_query_only":   {"1"},
	}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, db.classify("open reader", err)
	}
	db.r = r
	return db, nil
}

// pingWriter opens the writer's connection, which puts the file in WAL mode.
// Changing the journal mode of a new file takes an exclusive lock, and where
// two connections would deadlock (both reading, both wanting the file to
// themselves: two Lunas processes opening the same new file at once) SQLite
// answers SQLITE_BUSY at once instead of waiting out the busy timeout. The
// connection is dropped and opened again until the busy timeout has passed.
func pingWriter(ctx context.Context, w *sql.DB, busy time.Duration) error {
	deadline := time.Now().Add(busy)
	for wait := 2 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := w.PingContext(ctx)
		if sqliteCode(err)&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// fileURI builds a SQLite URI for an absolute path, escaping characters that
// would otherwise end the path ('?', '#', '%').
func fileURI(abs string, q url.Values) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") { // Windows: C:/x -> /C:/x
		p = "/" + p
	}
	u := url.URL{Scheme: "file", Path: p} // file:///C:/x or file:///home/x
	return u.String() + "?" + q.Encode()
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Now returns the store's clock reading in UTC, truncated to microseconds
// (the precision stored).
func (db *DB) Now() time.Time { return db.opts.Now().UTC().Truncate(time.Microsecond) }

// Close closes both pools. The WAL is checkpointed by SQLite when the last
// connection closes.
func (db *DB) Close() error {
	db.HostUnlock()
	db.wc.close()
	db.rc.close()
	// A statement being prepared in the background holds a connection: the
	// pools must close after it, or the last connection (and its WAL
	// checkpoint, which locks the file) outlives Close, and whoever opens the
	// file next gets SQLITE_BUSY (seen in TestAuditTamper).
	db.wc.running.Wait()
	db.rc.running.Wait()
	var errR error
	if db.r != nil {
		errR = db.r.Close()
	}
	return errors.Join(errR, db.w.Close())
}

// ErrReadOnly reports a write attempted inside a Read transaction.
var ErrReadOnly = errors.New("write attempted in a read-only transaction")

// Read runs fn on a consistent snapshot from the reader pool. The
// transaction is always rolled back.
func (db *DB) Read(ctx context.Context, fn func(domain.ReadTx) error) error {
	stx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return db.classify("begin read", err)
	}
	defer db.keepWanted(&db.rc, db.r) // after the rollback: the connection is free
	defer stx.Rollback()
	return db.damaged(fn(&Tx{tx: stx, db: db, ctx: ctx, now: db.Now()}))
}

// Write runs fn in a BEGIN IMMEDIATE transaction on the single writer
// connection and commits only if fn returns nil.
func (db *DB) Write(ctx context.Context, fn func(domain.Tx) error) error {
	return db.WriteTx(ctx, func(t *Tx) error { return fn(t) })
}

// WriteTx is Write with the concrete *Tx, for repository methods that other
// packages' files add here.
func (db *DB) WriteTx(ctx context.Context, fn func(*Tx) error) error {
	stx, err := db.w.BeginTx(ctx, nil) // _txlock=immediate: BEGIN IMMEDIATE
	if err != nil {
		return db.classify("begin write", err)
	}
	// A panic in fn must not leave the only writer connection inside a
	// transaction: roll back, then let the panic continue.
	committed := false
	defer db.keepWanted(&db.wc, db.w) // after commit or rollback: the connection is free
	defer func() {
		if !committed {
			stx.Rollback()
		}
	}()
	t := &Tx{tx: stx, db: db, ctx: ctx, now: db.Now(), write: true}
	if err := fn(t); err != nil {
		return db.damaged(err)
	}
	committed = true
	if err := stx.Commit(); err != nil {
		return db.classify("commit", err)
	}
	return nil
}

// keepWanted prepares on pool the texts its cache was asked to keep, on a
// goroutine of its own: it waits for a free connection (the writer may
// already be in another transaction), and whoever called Write or Read must
// not wait with it.
func (db *DB) keepWanted(c *stmtCache, pool *sql.DB) {
	if c.startPreparing() {
		go c.prepareWanted(pool)
	}
}

// Tx is the transaction behind both Read and Write; it implements domain.Tx.
// Write methods on a read transaction return ErrReadOnly.
type Tx struct {
	tx    *sql.Tx
	db    *DB
	ctx   context.Context
	now   time.Time // transaction time: UTC, microsecond precision
	write bool

	// stmts holds the statements prepared in this transaction, by query
	// text. The engine writes hundreds of rows per transaction with the
	// same few statements, and parsing SQL was a quarter of its CPU time;
	// database/sql closes them at Commit or Rollback.
	// cursors holds the texts a query of this transaction runs on a kept
	// statement: a statement has one cursor, so they are not used again
	// until the transaction ends.
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	cursors map[string]bool
}

// cache is the statement cache of this transaction's pool.
func (t *Tx) cache() *stmtCache {
	if t.write {
		return &t.db.wc
	}
	return &t.db.rc
}

// maxTxStmts bounds the statements one transaction keeps prepared: queries
// built with a variable number of placeholders are all different texts.
const maxTxStmts = 64

// prepared returns the statement for q prepared in this transaction, or nil
// when it cannot be kept (the caller then runs q directly).
func (t *Tx) prepared(q string) *sql.Stmt {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.stmts[q]; ok {
		return s
	}
	if len(t.stmts) >= maxTxStmts || t.cursors[q] {
		return nil
	}
	var s *sql.Stmt
	if p := t.cache().parent(q); p != nil {
		s = t.tx.StmtContext(t.ctx, p) // prepared on this connection before, or now once
	} else {
		var err error
		if s, err = t.tx.PrepareContext(t.ctx, q); err != nil {
			return nil // running q directly reports the same error
		}
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt, 16)
	}
	t.stmts[q] = s
	return s
}

func (t *Tx) exec(q string, args ...any) (sql.Result, error) {
	if s := t.prepared(q); s != nil {
		return s.ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, q, args...)
}

// query runs q on its kept statement the first time in a transaction; a
// statement has one cursor, and a loop over rows may run the same query
// again before its rows are closed, so later runs (and texts that exec or
// queryRow already use in this transaction) are prepared afresh.
func (t *Tx) query(q string, args ...any) (*sql.Rows, error) {
	t.mu.Lock()
	var s *sql.Stmt
	if _, ok := t.stmts[q]; !ok && !t.cursors[q] {
		if p := t.cache().parent(q); p != nil {
			s = t.tx.StmtContext(t.ctx, p)
			if t.cursors == nil {
				t.cursors = map[string]bool{}
			}
			t.cursors[q] = true
		}
	}
	t.mu.Unlock()
	if s != nil {
		return s.QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, q, args...)
}

// queryRow is cached: callers Scan at once, which closes the cursor.
func (t *Tx) queryRow(q string, args ...any) *sql.Row {
	if s := t.prepared(q); s != nil {
		return s.QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, q, args...)
}

var _ domain.Tx = (*Tx)(nil)

// Now returns the transaction's timestamp (taken once at BEGIN).
func (t *Tx) Now() time.Time { return t.now }

// SQL returns the underlying database/sql transaction and its context, for
// code outside this package that must run its own statements (tests, tools).
func (t *Tx) SQL() (*sql.Tx, context.Context) { return t.tx, t.ctx }

func (t *Tx) mustWrite() error {
	if !t.write {
		return ErrReadOnly
	}
	return nil
}

// ErrSchemaTooNew reports a database migrated by a newer Lunas than this one.
var ErrSchemaTooNew = errors.New("database was created by a newer version of Lunas")

// DamagedError is a failed integrity check or an unreadable file, explained
// for a shop owner. It matches domain.ErrDamaged.
type DamagedError struct {
	Path   string
	Detail string // what SQLite reported, for logs and support
}

// Error implements error.
func (e *DamagedError) Error() string {
	return fmt.Sprintf("file database rusak: %s. Tutup Lunas dan pulihkan dari file cadangan terakhir "+
		"(salin cadangan ke lokasi ini). The database file is damaged: close Lunas and restore your latest "+
		"backup to this location. (detail: %s)", e.Path, e.Detail)
}

// Is makes DamagedError match domain.ErrDamaged.
func (e *DamagedError) Is(target error) bool { return target == domain.ErrDamaged }

// Check runs PRAGMA integrity_check and returns a *DamagedError (matching
// domain.ErrDamaged) describing what is wrong, or nil.
// It runs on its own read-only connection, so writers are not held up.
func (db *DB) Check(ctx context.Context) error { return VerifyFile(ctx, db.path) }

func (db *DB) check(ctx context.Context, q *sql.DB, quick bool) error {
	pragma := "PRAGMA integrity_check(20)"
	if quick {
		pragma = "PRAGMA quick_check(20)"
	}
	rows, err := q.QueryContext(ctx, pragma)
	if err != nil {
		return db.classify("integrity check", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return db.classify("integrity check", err)
		}
		lines = append(lines, s)
	}
	if err := rows.Err(); err != nil {
		return db.classify("integrity check", err)
	}
	if len(lines) == 1 && lines[0] == "ok" {
		return nil
	}
	return &DamagedError{Path: db.path, Detail: strings.Join(lines, "; ")}
}

// classify turns driver errors that mean "this file is not a healthy
// database" into a DamagedError, by result code, never by message text.
func (db *DB) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return &DamagedError{Path: db.path, Detail: op + ": " + err.Error()}
	}
	return fmt.Errorf("%s %s: %w", op, db.path, err)
}

// damaged turns an error from inside a transaction into a DamagedError when
// SQLite found the file corrupt while running it, and returns it unchanged
// otherwise.
func (db *DB) damaged(err error) error {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return db.classify("query", err)
	}
	return err
}

// sqliteCode returns the extended result code of a driver error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// ErrBackupExists reports a backup target that already exists.
var ErrBackupExists = errors.New("backup file already exists")

// Backup writes a consistent copy of the database to path with VACUUM INTO,
// syncs it to disk and checks that it opens and passes integrity_check. It
// refuses to overwrite an existing file (ErrBackupExists).
func (db *DB) Backup(ctx context.Context, path string) error {
	return backupFile(ctx, db.path, path, db.opts.BusyTimeout)
}

// BackupFile backs up the database file at src to dst like DB.Backup, without
// migrating or otherwise writing src (for "lunas db backup" on a database
// that may belong to another Lunas version).
func BackupFile(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("database %s: %w", src, err)
	}
	return backupFile(ctx, src, dst, 5*time.Second)
}

func backupFile(ctx context.Context, src, dst string, busy time.Duration) error {
	srcAbs, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("database path %q: %w", src, err)
	}
	abs, err := filepath.Abs(dst)
	if err != nil {
		return fmt.Errorf("backup path %q: %w", dst, err)
	}
	if _, err := os.Lstat(abs); err == nil || abs == srcAbs {
		return fmt.Errorf("%s: %w", abs, ErrBackupExists)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup path %s: %w", abs, err)
	}
	// A read-only connection of its own reads a committed snapshot and does
	// not hold up writers (the pool's connections are query_only, which
	// forbids VACUUM INTO).
	q, err := sql.Open("sqlite", fileURI(srcAbs, url.Values{
		"mode":          {"ro"},
		"_busy_timeout": {fmt.Sprint(busy.Milliseconds())},
	}))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer q.Close()
	if err := createPrivate(abs); err != nil { // VACUUM INTO fills an empty file, keeping its mode
		return fmt.Errorf("backup %s: %w", abs, err)
	}
	if _, err := q.ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		if _, serr := os.Stat(abs); serr == nil {
			os.Remove(abs)
		}
		return (&DB{path: srcAbs}).classify("backup", err)
	}
	if err := syncFile(abs); err != nil {
		return fmt.Errorf("backup %s: %w", abs, err)
	}
	return VerifyFile(ctx, abs)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// VerifyFile opens the database file at path read-only, without migrating,
// and runs integrity_check. A missing file is an error.
func VerifyFile(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return err
	}
	q, err := sql.Open("sqlite", fileURI(abs, url.Values{"mode": {"ro"}, "_busy_timeout": {"5000"}}))
	if err != nil {
		return err
	}
	defer q.Close()
	tmp := &DB{path: abs}
	return tmp.check(ctx, q, false)
}

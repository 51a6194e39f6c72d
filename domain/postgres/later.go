package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"lunas/domain"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A write transaction holds the writer lock for its whole life, so nothing
// but itself changes the database under it. writeCache uses that to save
// round trips to the server, which are what a PostgreSQL write costs most
// (an engine batch appends five audit entries and six posting lines per
// order):
//
//   - Statements whose answer nobody waits for (later) are queued and sent
//     in one pgx batch with the next statement that is waited for, in
//     order, at the latest with COMMIT. A queued compare-and-set names the
//     rows it must change; if a queued statement fails or changes another
//     number of rows, the transaction fails and nothing of it is kept, as
//     with any other failed statement.
//   - Audit entries and posting lines are kept and written with one
//     INSERT ... SELECT FROM unnest(...) per table, queued before the first
//     later statement that names the table (or COMMIT).
//   - The audit anchor, the audit chain's tail, whether audit events wait
//     for the vault, and settings are read once; the transaction's own
//     writes keep the copies current, the anchor is written once before
//     COMMIT, and any other statement that writes and names one of their
//     tables drops the copy (it is read again when next needed).
//
// Read transactions keep only the settings copy (a REPEATABLE READ snapshot
// does not change).
type writeCache struct {
	queue []queued

	bulks map[*bulkKind]*bulkRows // rows kept to be sent as one statement (bulk.go)
	ids   map[string]*idPool      // per table (nextID)
	// queuedRefs are the REFIDs of transfers this transaction queued.
	queuedRefs map[string]bool

	// status is the known status of rows this transaction read or moved,
	// per table and key: a compare-and-set from that status cannot lose
	// (writers run one at a time), so it is queued.
	status map[string]map[any]string
	// payees and rules are copies of rows read (few, read for every order).
	payees map[int64]domain.Payee
	rules  map[int64]domain.PayoutRule
	copies rowCopies // rows read ahead for a batch (prefetch.go)

	anchorRead  bool
	anchorFound bool
	anchorDirty bool
	anchor      domain.AuditAnchor

	tailRead  bool
	tailFound bool
	tail      domain.AuditEntry

	pendingNone bool // audit_pending is known to be empty

	settings map[string]setting

	flushErr error // the first failed queued statement
}

// queued is a statement waiting to be sent.
type queued struct {
	q     string
	args  []any
	what  string // the record, for errors
	rows  int64  // rows it must change; -1 for any number
	dup   error  // what a violation of the unique constraint dupOn means
	dupOn string // (otherwise a unique violation is domain.ErrDuplicate)
}

type setting struct {
	value string
	found bool
}

// clean makes s storable as PostgreSQL text (see text).
func clean(s string) string {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	}
	return s
}

// forget drops every copy; kept rows stay kept.
func (c *writeCache) forget() {
	c.anchorRead, c.tailRead, c.pendingNone, c.settings = false, false, false, nil
	c.status, c.payees, c.rules, c.copies = nil, nil, nil, rowCopies{}
}

// statusTables are the tables whose rows' known status writeCache keeps.
var statusTables = []string{"payments", "orders", "obligations", "transfers"}

// know records that the row of table with key has status (write
// transactions only).
func (t *Tx) know(table string, key any, status string) {
	c := t.cache
	if c == nil {
		return
	}
	if c.status == nil {
		c.status = map[string]map[any]string{}
	}
	if c.status[table] == nil {
		c.status[table] = map[any]string{}
	}
	c.status[table][key] = status
}

// casLater keeps a compare-and-set of the row of table with key, from
// status from to status to, in bulk k (vals are its columns) when the row is
// known to be in from, and reports whether it did.
func (t *Tx) casLater(table string, key any, from, to string, k *bulkKind, vals ...any) (bool, error) {
	c := t.cache
	if c == nil || c.status[table] == nil {
		return false, nil
	}
	if cur, ok := c.status[table][key]; !ok || cur != from {
		return false, nil
	}
	if c.flushErr != nil {
		return true, c.flushErr
	}
	t.keep(k, key, vals...)
	c.status[table][key] = to
	t.dropCopy(table, key)
	return true, nil
}

// keepKnown keeps an update of the row of table with key, which does not
// depend on its status, in bulk k (vals are its columns) when the
// transaction has read the row (so it exists), and reports whether it did.
func (t *Tx) keepKnown(table string, key any, k *bulkKind, vals ...any) (bool, error) {
	c := t.cache
	if c == nil || c.status[table] == nil {
		return false, nil
	}
	if _, ok := c.status[table][key]; !ok {
		return false, nil
	}
	if c.flushErr != nil {
		return true, c.flushErr
	}
	t.keep(k, key, vals...)
	t.dropCopy(table, key)
	return true, nil
}

// later queues a write whose answer nobody waits for. q has '?'
// placeholders. rows is the number of rows it must change (-1: any).
func (t *Tx) later(what string, rows int64, q string, args ...any) error {
	c := t.cache
	if c == nil {
		return ErrReadOnly
	}
	q = rebind(q)
	if err := t.prepare(q); err != nil {
		return err
	}
	c.queue = append(c.queue, queued{q: q, args: text(args), what: what, rows: rows})
	return nil
}

// prepare is called with every statement's text before it is sent: it
// queues the kept rows the statement could see and drops the copies it
// could change.
func (t *Tx) prepare(q string) error {
	c := t.cache
	if c == nil {
		return nil
	}
	if c.flushErr != nil {
		return c.flushErr
	}
	// Table names are matched in lower case: PostgreSQL folds unquoted
	// names, so "UPDATE PAYEES" writes payees.
	q = strings.ToLower(q)
	// A SELECT changes nothing: the kept rows must go before it, but the
	// copies stay good.
	writes := !strings.HasPrefix(strings.TrimLeft(q, " \t\n("), "select")
	t.queueBulksFor(q)
	if strings.Contains(q, "audit_log") {
		c.tailRead = c.tailRead && !writes
	}
	if strings.Contains(q, "audit_anchor") {
		t.queueAnchor()
		c.anchorRead = c.anchorRead && !writes
	}
	if writes && strings.Contains(q, "audit_pending") {
		c.pendingNone = false
	}
	if writes && strings.Contains(q, "settings") {
		c.settings = nil
	}
	if writes {
		for _, table := range statusTables {
			if strings.Contains(q, table) {
				delete(c.status, table)
			}
		}
		if strings.Contains(q, "payees") {
			c.payees = nil
		}
		if strings.Contains(q, "payout_rules") || strings.Contains(q, "payout_shares") {
			c.rules = nil
		}
		c.copies.drop(func(table string) bool { return strings.Contains(q, table) })
	}
	return nil
}

// queueKept queues everything kept.
func (t *Tx) queueKept() error {
	if t.cache == nil {
		return nil
	}
	if t.cache.flushErr != nil {
		return t.cache.flushErr
	}
	t.queueBulks()
	t.queueAnchor()
	return nil
}

// nextID returns the next id of table from its sequence, for a row this
// transaction queues. Ids are taken in growing blocks (1, 2, 4, ... 256
// per round trip); ids a transaction took but did not use are never used
// (a gap, as a rolled-back insert leaves).
func (t *Tx) nextID(table string) (int64, error) {
	c := t.cache
	if c.ids == nil {
		c.ids = map[string]*idPool{}
	}
	p := c.ids[table]
	if p == nil {
		p = &idPool{}
		c.ids[table] = p
	}
	if len(p.free) == 0 {
		n := min(max(p.used, 1), 256)
		rows, err := t.query("SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?::int)", table, n)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return 0, err
			}
			p.free = append(p.free, id)
		}
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if len(p.free) == 0 {
			return 0, fmt.Errorf("%s id: the sequence gave none", table)
		}
	}
	id := p.free[0]
	p.free = p.free[1:]
	p.used++
	return id, nil
}

// idPool holds ids taken from a table's sequence and not used yet.
type idPool struct {
	free []int64
	used int
}

func (t *Tx) queueAnchor() {
	c := t.cache
	if !c.anchorDirty {
		return
	}
	a := c.anchor
	c.queue = append(c.queue, queued{what: "audit anchor", rows: 1,
		q: `INSERT INTO audit_anchor(id, head_seq, head_hash, signed_seq, signed_hash, mac, keyed_from,
			alarm, alarm_at, updated_at) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash,
			signed_seq = excluded.signed_seq, signed_hash = excluded.signed_hash, mac = excluded.mac,
			keyed_from = excluded.keyed_from, alarm = excluded.alarm, alarm_at = excluded.alarm_at,
			updated_at = excluded.updated_at`,
		// a.At is the transaction time PutAuditAnchor wrote.
		args: []any{a.HeadSeq, a.HeadHash, a.SignedSeq, a.SignedHash, a.MAC, a.KeyedFrom, a.Alarm,
			micros(a.AlarmAt), micros(a.At)}})
	c.anchorDirty = false
}

func (t *Tx) fail(err error) error {
	if t.cache.flushErr == nil {
		t.cache.flushErr = err
	}
	return err
}

// run sends q (with $n placeholders) after what is queued, and waits for
// its answer.
func (t *Tx) run(q string, args []any) (pgconn.CommandTag, error) {
	if t.done {
		return pgconn.CommandTag{}, ErrTxDone
	}
	if err := t.prepare(q); err != nil {
		return pgconn.CommandTag{}, err
	}
	if t.cache == nil || len(t.cache.queue) == 0 {
		return t.conn.Exec(t.ctx, q, args...)
	}
	br, err := t.sendQueue(q, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *Tx) runQuery(q string, args []any) (pgx.Rows, error) {
	if t.done {
		return nil, ErrTxDone
	}
	if err := t.prepare(q); err != nil {
		return nil, err
	}
	if t.cache == nil || len(t.cache.queue) == 0 {
		return t.conn.Query(t.ctx, q, args...)
	}
	br, err := t.sendQueue(q, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *Tx) runQueryRow(q string, args []any) pgx.Row {
	if t.done {
		return errRow{ErrTxDone}
	}
	if err := t.prepare(q); err != nil {
		return errRow{err}
	}
	if t.cache == nil || len(t.cache.queue) == 0 {
		return t.conn.QueryRow(t.ctx, q, args...)
	}
	br, err := t.sendQueue(q, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{br}
}

// sendQueue sends the queue and q in one batch and reads the queued
// statements' answers; the caller reads q's and closes the batch.
func (t *Tx) sendQueue(q string, args []any) (pgx.BatchResults, error) {
	c := t.cache
	b := &pgx.Batch{}
	for _, s := range c.queue {
		b.Queue(s.q, s.args...)
	}
	b.Queue(q, args...)
	sent := c.queue
	c.queue = nil
	br := t.conn.SendBatch(t.ctx, b)
	for _, s := range sent {
		tag, err := br.Exec()
		if err == nil && s.rows >= 0 && tag.RowsAffected() != s.rows {
			err = fmt.Errorf("changed %d rows, not %d, though this transaction holds the writer lock: %w",
				tag.RowsAffected(), s.rows, domain.ErrConflict)
		}
		if err != nil {
			br.Close()
			if isUnavailable(err) {
				return nil, t.fail(err)
			}
			var pe *pgconn.PgError
			if s.dup != nil && errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == s.dupOn {
				return nil, t.fail(fmt.Errorf("%s: %w", s.what, s.dup))
			}
			return nil, t.fail(mapErr(s.what, err))
		}
	}
	return br, nil
}

// commit sends what is queued and kept with a NOTIFY for listening desks
// (WatchChanges), checks every answer, and only then sends COMMIT: a
// queued statement that did not do what it must is found before anything
// is committed.
func (t *Tx) commit() error {
	if err := t.queueKept(); err != nil {
		return t.db.unavailable(err)
	}
	if _, err := t.run("NOTIFY "+changesChannel, nil); err != nil {
		if t.cache.flushErr != nil {
			return t.db.unavailable(t.cache.flushErr)
		}
		return t.db.classify("notify", err)
	}
	// COMMIT is never cut off half-way by the caller's context: once sent,
	// only the server's answer says whether it happened.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), commitTimeout)
	defer cancel()
	tag, err := t.conn.Exec(ctx, "COMMIT")
	var pe *pgconn.PgError
	switch {
	case err != nil && !errors.As(err, &pe):
		// No answer from the server (it went away, or did not answer in
		// time): the transaction may or may not have committed.
		return &UnavailableError{Where: t.db.where, Op: "commit", Err: err}
	case err != nil:
		return t.db.commitErr(err)
	case tag.String() == "ROLLBACK":
		return t.db.commitErr(pgx.ErrTxCommitRollback)
	}
	return nil
}

// commitTimeout bounds the wait for the server's answer to COMMIT.
const commitTimeout = 30 * time.Second

// batchRows is the rows of a query sent in a batch; closing them closes
// the batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.err = r.br.Close()
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// batchRow is the row of a query sent in a batch.
type batchRow struct{ br pgx.BatchResults }

func (r batchRow) Scan(dest ...any) error {
	err := r.br.QueryRow().Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// errRow is a row whose query could not be sent.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

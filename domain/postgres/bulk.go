package postgres

import (
	"fmt"
	"strings"

	"lunas/domain"
)

// A bulk is rows of one kind of write that a write transaction keeps and
// sends as one statement over unnest(...) arrays (later.go): before the
// first later statement that names one of its tables, and at the latest
// with COMMIT. One statement for five hundred rows costs the server far
// less than five hundred statements.
type bulkKind struct {
	what   string   // the record, for errors
	tables []string // a statement naming one of these sends the rows first
	types  string   // one letter per column: i int64, s text, b boolean, y bytea (nil: NULL)
	exact  bool     // the statement must change exactly one row per element
	q      string   // $1 ... $n are the columns' arrays
	dup    error    // what a violation of the unique constraint dupOn means
	dupOn  string
}

// The kinds, in the order they are sent (posting lines refer to postings).
var (
	bulkAudit = &bulkKind{what: "audit entry", tables: []string{"audit_log"}, types: "iissssss", exact: true,
		q: `INSERT INTO audit_log(seq, at, actor, action, subject, detail, prev_hash, hash)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`}
	bulkPostings = &bulkKind{what: "posting", tables: []string{"postings", "posting_lines"}, types: "issi", exact: true,
		q: `INSERT INTO postings(id, ref, memo, created_at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])`}
	bulkLines = &bulkKind{what: "posting line", tables: []string{"postings", "posting_lines"}, types: "iisi", exact: true,
		q: `INSERT INTO posting_lines(posting_id, position, account, amount)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])`}
	// New obligations and transfers (ids from the sequences): a statement
	// on a table that refers to them sends them first.
	bulkNewObligations = &bulkKind{what: "obligation", tables: []string{"obligations", "transfers", "transfer_destinations"},
		types: "iiiisisi", exact: true,
		q: `INSERT INTO obligations(id, payment_id, order_id, payee_id, role, amount, status, created_at)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::bigint[])`}
	// A REFID already in the table is refused by its unique constraint.
	bulkNewTransfers = &bulkKind{what: "transfer", tables: []string{"transfers", "transfer_destinations"},
		types: "issiisisssssissiii", exact: true, dup: domain.ErrDuplicateRefID, dupOn: "transfers_refid_unique",
		q: `INSERT INTO transfers(id, refid, parent_refid, obligation_id, payee_id, channel, amount, status, gateway_ref,
			failure_code, failure_reason, hold_reason, attempts, created_by, approved_by, created_at, updated_at, sent_at)
		SELECT u.id, u.refid, NULLIF(u.parent, ''), NULLIF(u.ob, 0), u.payee, u.chan, u.amount, u.st, u.gref, u.fcode,
			u.freason, u.hold, u.attempts, u.cby, u.aby, u.cat, u.uat, u.sat
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[], $15::text[], $16::bigint[],
			$17::bigint[], $18::bigint[])
			AS u(id, refid, parent, ob, payee, chan, amount, st, gref, fcode, freason, hold, attempts, cby, aby, cat, uat, sat)`}
	bulkDests = &bulkKind{what: "transfer destination", tables: []string{"transfer_destinations"}, types: "isyyyi", exact: true,
		q: `INSERT INTO transfer_destinations (transfer_id, bank, account_number, account_holder, email, created_at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bigint[])`}
	// A mail already queued under its key is kept as it was.
	bulkMail = &bulkKind{what: "mail", tables: []string{"mail_outbox"}, types: "ssssssii",
		q: `INSERT INTO mail_outbox (kind, mail_key, to_addr, to_name, lang, data, next_at, created_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
		ON CONFLICT (mail_key) DO NOTHING`}
	// Compare-and-sets from a status the transaction read (casLater): each
	// row once per statement, so a row moved twice sends the first move
	// before it keeps the second.
	bulkPayments = &bulkKind{what: "payment status", tables: []string{"payments"}, types: "sisiis", exact: true,
		q: `UPDATE payments p SET status = u.st, paid_amount = u.paid, flag_reason = u.flag,
			settled_at = CASE WHEN u.at = 0 THEN p.settled_at ELSE u.at END
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[]) AS u(st, paid, flag, at, id, frm)
		WHERE p.id = u.id AND p.status = u.frm`}
	// A poll scheduled for a payment the transaction has read (so known to
	// exist): no compare, the poll columns only.
	bulkPolls = &bulkKind{what: "payment poll", tables: []string{"payments"}, types: "iii", exact: true,
		q: `UPDATE payments p SET poll_count = p.poll_count + 1, last_checked = u.checked, next_poll_at = u.next
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(checked, next, id) WHERE p.id = u.id`}
	bulkOrders = &bulkKind{what: "order status", tables: []string{"orders"}, types: "sis", exact: true,
		q: `UPDATE orders o SET status = u.st FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(st, id, frm)
		WHERE o.id = u.id AND o.status = u.frm`}
	bulkObligations = &bulkKind{what: "obligation status", tables: []string{"obligations"}, types: "sis", exact: true,
		q: `UPDATE obligations o SET status = u.st FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(st, id, frm)
		WHERE o.id = u.id AND o.status = u.frm`}
	bulkTransfers = &bulkKind{what: "transfer status", tables: []string{"transfers"}, types: "sssssssibiss", exact: true,
		q: `UPDATE transfers t SET status = u.st,
			gateway_ref    = CASE WHEN u.gref = '' THEN t.gateway_ref ELSE u.gref END,
			failure_code   = CASE WHEN u.fcode = '' THEN t.failure_code ELSE u.fcode END,
			failure_reason = CASE WHEN u.freason = '' THEN t.failure_reason ELSE u.freason END,
			hold_reason    = CASE WHEN u.hold = '' THEN t.hold_reason ELSE u.hold END,
			approved_by    = CASE WHEN u.appr = '' THEN t.approved_by ELSE u.appr END,
			channel        = CASE WHEN u.chan = '' THEN t.channel ELSE u.chan END,
			attempts       = t.attempts + u.inc,
			sent_at        = CASE WHEN u.mark AND t.sent_at = 0 THEN u.at ELSE t.sent_at END,
			updated_at     = u.at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
			$9::boolean[], $10::bigint[], $11::text[], $12::text[]) AS u(st, gref, fcode, freason, hold, appr, chan, inc, mark, at, refid, frm)
		WHERE t.refid = u.refid AND t.status = u.frm`}

	bulkOrder = []*bulkKind{bulkAudit, bulkPostings, bulkLines, bulkNewObligations, bulkNewTransfers, bulkDests, bulkMail,
		bulkPayments, bulkPolls, bulkOrders, bulkObligations, bulkTransfers}
)

// bulkRows are the kept rows of one kind.
type bulkRows struct {
	cols [][]any
	keys map[any]bool // rows a compare-and-set bulk changes
	n    int
}

// keep adds one row of kind k; key names the row an update changes (nil
// for an insert). A row already in the bulk is sent first.
func (t *Tx) keep(k *bulkKind, key any, vals ...any) {
	if len(vals) != len(k.types) {
		panic(fmt.Sprintf("postgres: %s: %d values for %d columns", k.what, len(vals), len(k.types)))
	}
	c := t.cache
	if c.bulks == nil {
		c.bulks = map[*bulkKind]*bulkRows{}
	}
	b := c.bulks[k]
	if b != nil && key != nil && b.keys[key] {
		// Everything kept goes first, in order: the row may be one a
		// kept insert adds.
		t.queueBulks()
		b = nil
	}
	if b == nil {
		b = &bulkRows{cols: make([][]any, len(k.types))}
		c.bulks[k] = b
	}
	for i, v := range vals {
		b.cols[i] = append(b.cols[i], v)
	}
	if key != nil {
		if b.keys == nil {
			b.keys = map[any]bool{}
		}
		b.keys[key] = true
	}
	b.n++
}

// queueBulksFor queues, in order, the kept rows a statement q could see.
func (t *Tx) queueBulksFor(q string) {
	for _, k := range bulkOrder {
		if b := t.cache.bulks[k]; b != nil && b.n > 0 {
			for _, table := range k.tables {
				if strings.Contains(q, table) {
					t.queueBulk(k)
					break
				}
			}
		}
	}
}

// queueBulks queues every kind's kept rows, in order.
func (t *Tx) queueBulks() {
	for _, k := range bulkOrder {
		t.queueBulk(k)
	}
}

// queueBulk turns the kept rows of kind k into one queued statement.
func (t *Tx) queueBulk(k *bulkKind) {
	c := t.cache
	b := c.bulks[k]
	if b == nil || b.n == 0 {
		return
	}
	delete(c.bulks, k)
	args := make([]any, len(k.types))
	for i, typ := range k.types {
		switch typ {
		case 'i':
			args[i] = typed(b.cols[i], func(v any) int64 { return v.(int64) })
		case 's':
			args[i] = typed(b.cols[i], func(v any) string { return clean(v.(string)) })
		case 'b':
			args[i] = typed(b.cols[i], func(v any) bool { return v.(bool) })
		case 'y':
			args[i] = typed(b.cols[i], func(v any) []byte { y, _ := v.([]byte); return y })
		}
	}
	rows := int64(-1)
	if k.exact {
		rows = int64(b.n)
	}
	c.queue = append(c.queue, queued{q: k.q, args: args, what: k.what, rows: rows, dup: k.dup, dupOn: k.dupOn})
}

// typed is a column's values as the array pgx sends.
func typed[T any](vals []any, conv func(any) T) []T {
	out := make([]T, len(vals))
	for i, v := range vals {
		out[i] = conv(v)
	}
	return out
}

// auditValues are an audit entry's columns for bulkAudit.
func auditValues(e *domain.AuditEntry) []any {
	return []any{e.Seq, micros(e.At), e.Actor, e.Action, e.Subject, e.Detail, e.PrevHash, e.Hash}
}

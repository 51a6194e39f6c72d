package postgres

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// The engine's tables (migrations/0003_engine.sql): the mail outbox.
var (
	_ engine.OutboxTx     = (*Tx)(nil)
	_ engine.OutboxReader = (*Tx)(nil)
)

// EnqueueMail queues m, setting m.ID. A mail with the same Key is already
// queued (a retried settlement), so it is silently kept as it was.
func (t *Tx) EnqueueMail(m *engine.Mail) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	data, err := json.Marshal(m.Data)
	if err != nil {
		return fmt.Errorf("mail data: %w", err)
	}
	id, err := t.insertID(`INSERT INTO mail_outbox (kind, mail_key, to_addr, to_name, lang, data, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mail_key) DO NOTHING`,
		string(m.Kind), m.Key, m.To, m.Name, m.Lang, string(data), micros(m.NextAt), micros(m.CreatedAt))
	switch {
	case errors.Is(err, sql.ErrNoRows): // already queued
		return nil
	case err != nil:
		return mapErr("mail", err)
	}
	m.ID = id
	return nil
}

var _ engine.MailQueuer = (*Tx)(nil)

// QueueMail implements engine.MailQueuer: m is queued (later.go) with ON
// CONFLICT DO NOTHING, so a mail already queued under its Key is kept as
// it was, as with EnqueueMail.
func (t *Tx) QueueMail(m engine.Mail) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	data, err := json.Marshal(m.Data)
	if err != nil {
		return fmt.Errorf("mail data: %w", err)
	}
	if t.cache.flushErr != nil {
		return t.cache.flushErr
	}
	t.keep(bulkMail, nil, string(m.Kind), m.Key, m.To, m.Name, m.Lang, string(data), micros(m.NextAt), micros(m.CreatedAt))
	return nil
}

// MarkMailSent records delivery.
func (t *Tx) MarkMailSent(id int64, at time.Time) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`UPDATE mail_outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, micros(at), id)
	return mapErr("mail", err)
}

// MarkMailFailed records a failed attempt and when to try again.
func (t *Tx) MarkMailFailed(id int64, lastErr string, next time.Time) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if len(lastErr) > 500 {
		lastErr = lastErr[:500]
	}
	_, err := t.exec(`UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?`, lastErr, micros(next), id)
	return mapErr("mail", err)
}

// DueMail lists unsent mail whose next attempt is due, oldest first.
func (t *Tx) DueMail(now time.Time, limit int) ([]engine.Mail, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := t.query(`SELECT id, kind, mail_key, to_addr, to_name, lang, data, attempts, last_error, next_at, created_at
		FROM mail_outbox WHERE sent_at = 0 AND next_at <= ? ORDER BY id LIMIT ?`, micros(now), limit)
	if err != nil {
		return nil, mapErr("mail", err)
	}
	defer rows.Close()
	var out []engine.Mail
	for rows.Next() {
		var m engine.Mail
		var kind, data string
		var next, created int64
		if err := rows.Scan(&m.ID, &kind, &m.Key, &m.To, &m.Name, &m.Lang, &data, &m.Attempts, &m.LastError, &next, &created); err != nil {
			return nil, err
		}
		m.Kind = engine.MailKind(kind)
		m.NextAt, m.CreatedAt = fromMicros(next), fromMicros(created)
		if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
			return nil, fmt.Errorf("mail %d data: %w", m.ID, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MailStats counts queued (unsent) and sent mail, for the dashboard and tests.
func (t *Tx) MailStats() (queued, sent int, err error) {
	err = t.queryRow(`SELECT COUNT(*) FILTER (WHERE sent_at = 0), COUNT(*) FILTER (WHERE sent_at <> 0) FROM mail_outbox`).Scan(&queued, &sent)
	return queued, sent, err
}

var _ engine.QueueReader = (*Tx)(nil)

// ListTransfersOldestFirst returns up to limit transfers in one of the
// statuses, oldest (lowest id) first, so that the sender works as a queue.
func (t *Tx) ListTransfersOldestFirst(statuses []domain.TransferStatus, limit int) ([]domain.Transfer, error) {
	from, w := transferWhere(domain.TransferFilter{Statuses: statuses})
	return t.queryTransfers("SELECT "+transferCols+from+w.sql()+" ORDER BY t.id"+pageSQL(domain.Page{Limit: limit}), w.args...)
}

// ---- transfer destinations (migrations/0006_engine_dest.sql)

var (
	_ engine.DestinationTx     = (*Tx)(nil)
	_ engine.DestinationReader = (*Tx)(nil)
	_ engine.ConflictTx        = (*Tx)(nil)
	_ engine.ConflictReader    = (*Tx)(nil)
	_ engine.NoteTx            = (*Tx)(nil)
)

func destRef(id int64, col string) domain.FieldRef {
	return domain.FieldRef{Table: "transfer_destinations", Column: col, Row: id}
}

// SaveDestination stores the destination fixed for a transfer; account
// number, holder and email are sealed through the store's FieldCipher.
// A transfer's destination is written once and never changed.
func (t *Tx) SaveDestination(transferID int64, d engine.Destination, at time.Time) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	acct, err := t.seal("destination account", d.AccountNumber, destRef(transferID, "account_number"))
	if err != nil {
		return err
	}
	if acct == nil {
		acct = []byte{} // a payee without an account number: the gateway refuses it, nothing to seal
	}
	holder, err := t.seal("destination holder", d.AccountHolder, destRef(transferID, "account_holder"))
	if err != nil {
		return err
	}
	email, err := t.seal("destination email", d.Email, destRef(transferID, "email"))
	if err != nil {
		return err
	}
	// Kept and sent with the transaction's others (bulk.go): nothing waits
	// for its answer.
	if t.cache == nil {
		return ErrReadOnly
	}
	if t.cache.flushErr != nil {
		return t.cache.flushErr
	}
	t.keep(bulkDests, nil, transferID, d.Bank, acct, holder, email, micros(at))
	return nil
}

// GetDestination returns the destination fixed for a transfer, or
// domain.ErrNotFound.
func (t *Tx) GetDestination(transferID int64) (engine.Destination, error) {
	var d engine.Destination
	sd, ok, err := t.destCopy(transferID)
	if err != nil {
		return d, err
	}
	if !ok {
		err := t.queryRow(`SELECT bank, account_number, account_holder, email FROM transfer_destinations WHERE transfer_id = ?`, transferID).
			Scan(&sd.bank, &sd.acct, &sd.holder, &sd.email)
		if errors.Is(err, sql.ErrNoRows) {
			return d, notFound("transfer destination", transferID)
		}
		if err != nil {
			return d, mapErr("transfer destination", err)
		}
	}
	return t.openDest(transferID, sd)
}

// GetDestinations implements engine.DestinationReader in one query.
func (t *Tx) GetDestinations(transferIDs []int64) (map[int64]engine.Destination, error) {
	rows, err := t.query(`SELECT transfer_id, bank, account_number, account_holder, email FROM transfer_destinations
		WHERE transfer_id = ANY(?)`, transferIDs)
	if err != nil {
		return nil, mapErr("transfer destinations", err)
	}
	sealed := map[int64]sealedDest{}
	for rows.Next() {
		var id int64
		var sd sealedDest
		if err := rows.Scan(&id, &sd.bank, &sd.acct, &sd.holder, &sd.email); err != nil {
			rows.Close()
			return nil, mapErr("transfer destinations", err)
		}
		sealed[id] = sd
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr("transfer destinations", err)
	}
	out := make(map[int64]engine.Destination, len(sealed))
	for id, sd := range sealed {
		if out[id], err = t.openDest(id, sd); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// openDest opens the sealed columns of transfer transferID's destination.
func (t *Tx) openDest(transferID int64, sd sealedDest) (engine.Destination, error) {
	var err error
	d := engine.Destination{Bank: sd.bank}
	acct, holder, email := sd.acct, sd.holder, sd.email
	if len(acct) > 0 {
		if d.AccountNumber, err = t.open("destination account", acct, destRef(transferID, "account_number")); err != nil {
			return d, err
		}
	}
	if d.AccountHolder, err = t.open("destination holder", holder, destRef(transferID, "account_holder")); err != nil {
		return d, err
	}
	if d.Email, err = t.open("destination email", email, destRef(transferID, "email")); err != nil {
		return d, err
	}
	return d, nil
}

// ---- conflicting gateway news

// RecordConflict records news that contradicts a transfer's final status.
// Only one conflict per transfer is open at a time; a repeat keeps the first.
func (t *Tx) RecordConflict(c engine.Conflict) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO transfer_conflicts (transfer_id, stored, news, detail, at)
		SELECT id, ?::text, ?::text, ?::text, ?::bigint FROM transfers WHERE refid = ?
		ON CONFLICT (transfer_id) WHERE resolved_at = 0 DO NOTHING`,
		string(c.Stored), string(c.News), c.Detail, micros(c.At), c.RefID)
	return mapErr("transfer conflict", err)
}

// ResolveConflict closes a transfer's open conflict with a person's note.
// domain.ErrNotFound when none is open.
func (t *Tx) ResolveConflict(refID, by, resolution string, at time.Time) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE transfer_conflicts SET resolved_at = ?, resolved_by = ?, resolution = ?
		WHERE resolved_at = 0 AND transfer_id = (SELECT id FROM transfers WHERE refid = ?)`, micros(at), by, resolution, refID)
	if err != nil {
		return mapErr("transfer conflict", err)
	}
	if res.RowsAffected() == 0 {
		return notFound("open conflict for transfer", refID)
	}
	return nil
}

// OpenConflicts lists open conflicts of the given transfers (all when none
// is given), oldest first.
func (t *Tx) OpenConflicts(refIDs ...string) ([]engine.Conflict, error) {
	q := `SELECT t.refid, c.stored, c.news, c.detail, c.at FROM transfer_conflicts c JOIN transfers t ON t.id = c.transfer_id WHERE c.resolved_at = 0`
	var args []any
	if len(refIDs) > 0 {
		q += " AND t.refid IN (?" + strings.Repeat(",?", len(refIDs)-1) + ")"
		for _, r := range refIDs {
			args = append(args, r)
		}
	}
	rows, err := t.query(q+" ORDER BY c.id", args...)
	if err != nil {
		return nil, mapErr("transfer conflict", err)
	}
	defer rows.Close()
	var out []engine.Conflict
	for rows.Next() {
		var c engine.Conflict
		var stored, news string
		var at int64
		if err := rows.Scan(&c.RefID, &stored, &news, &c.Detail, &at); err != nil {
			return nil, err
		}
		c.Stored, c.News, c.At = domain.TransferStatus(stored), domain.PayoutOutcome(news), fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

var _ engine.RecentReader = (*Tx)(nil)

// ListTransfersUpdatedSince returns up to limit transfers in status whose
// last change is at or after since, oldest change first.
func (t *Tx) ListTransfersUpdatedSince(status domain.TransferStatus, since time.Time, limit int) ([]domain.Transfer, error) {
	return t.queryTransfers("SELECT "+transferCols+" FROM transfers t WHERE t.status = ? AND t.updated_at >= ? ORDER BY t.updated_at, t.id"+
		pageSQL(domain.Page{Limit: limit}), string(status), micros(since))
}

var _ engine.WatchStore = (*Tx)(nil)

// WatchPoints implements engine.WatchStore.
func (t *Tx) WatchPoints(refIDs []string) (map[string]engine.WatchPoint, error) {
	out := make(map[string]engine.WatchPoint, len(refIDs))
	for len(refIDs) > 0 {
		chunk := refIDs[:min(len(refIDs), 500)]
		refIDs = refIDs[len(chunk):]
		args := make([]any, len(chunk))
		for i, r := range chunk {
			args[i] = r
		}
		rows, err := t.query("SELECT refid, next_at, tries FROM transfer_watch WHERE refid IN (?"+strings.Repeat(", ?", len(chunk)-1)+")", args...)
		if err != nil {
			return nil, mapErr("reversal watch", err)
		}
		for rows.Next() {
			var ref string
			var next int64
			var p engine.WatchPoint
			if err := rows.Scan(&ref, &next, &p.Tries); err != nil {
				rows.Close()
				return nil, err
			}
			p.Next = fromMicros(next)
			out[ref] = p
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetWatchPoint implements engine.WatchStore.
func (t *Tx) SetWatchPoint(refID string, p engine.WatchPoint) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO transfer_watch(refid, next_at, tries) VALUES (?, ?, ?)
		ON CONFLICT(refid) DO UPDATE SET next_at = excluded.next_at, tries = excluded.tries`, refID, micros(p.Next), p.Tries)
	return mapErr("reversal watch of "+refID, err)
}

// PruneWatch implements engine.WatchStore.
func (t *Tx) PruneWatch(since time.Time) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	// Driven by the watch table (a week of successes), not by transfers.
	_, err := t.exec(`DELETE FROM transfer_watch WHERE refid IN
		(SELECT w.refid FROM transfer_watch w JOIN transfers x ON x.refid = w.refid
		 WHERE x.status <> ? OR x.updated_at < ?)`, string(domain.TransferSucceeded), micros(since))
	return mapErr("reversal watch", err)
}

var _ engine.PendingSpanReader = (*Tx)(nil)

// PendingSpan implements engine.PendingSpanReader: one aggregate over the
// pending payments of a gateway (index payments_status_poll).
func (t *Tx) PendingSpan(gateway string) (oldest, newest time.Time, n int, err error) {
	var lo, hi sql.NullInt64
	err = t.queryRow(`SELECT MIN(created_at), MAX(created_at), COUNT(*) FROM payments WHERE status = ? AND gateway = ?`,
		string(domain.PaymentPending), gateway).Scan(&lo, &hi, &n)
	if err != nil {
		return time.Time{}, time.Time{}, 0, fmt.Errorf("pending payments of %s: %w", gateway, err)
	}
	return fromMicros(lo.Int64), fromMicros(hi.Int64), n, nil
}

var _ engine.FinalCheckReader = (*Tx)(nil)

// ListPaymentsFinalCheck returns up to limit payments in status whose final
// check at the gateway is due (0 < next_poll_at <= now), most overdue first.
func (t *Tx) ListPaymentsFinalCheck(status domain.PaymentStatus, now time.Time, limit int) ([]domain.Payment, error) {
	rows, err := t.query("SELECT "+paymentCols+" FROM payments WHERE status = ? AND next_poll_at > 0 AND next_poll_at <= ? ORDER BY next_poll_at, id"+
		pageSQL(domain.Page{Limit: limit}), string(status), micros(now))
	if err != nil {
		return nil, mapErr("payments", err)
	}
	defer rows.Close()
	var out []domain.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

var _ engine.CorrectionTx = (*Tx)(nil)

// NoteTransfer implements engine.NoteTx: it records why a transfer waits
// (failure_reason) without moving it, WHERE refid=? AND status=?.
func (t *Tx) NoteTransfer(refID string, status domain.TransferStatus, reason string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE transfers SET failure_reason = ?, updated_at = ? WHERE refid = ? AND status = ?`,
		reason, micros(t.now), refID, string(status))
	if err != nil {
		return mapErr("transfer "+refID, err)
	}
	if res.RowsAffected() == 0 {
		return t.casFailed("transfers", "refid", refID, "transfer", status)
	}
	return nil
}

// CorrectTransferStatus moves a transfer from -> to outside the automatic
// state machine (compare-and-set). The engine uses it only for a person's
// audited correction, e.g. failed -> succeeded when the gateway paid after all.
func (t *Tx) CorrectTransferStatus(refID string, from, to domain.TransferStatus, reason string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE transfers SET status = ?, failure_reason = ?, updated_at = ? WHERE refid = ? AND status = ?`,
		string(to), reason, micros(t.now), refID, string(from))
	if err != nil {
		return mapErr("transfer "+refID, err)
	}
	if res.RowsAffected() == 0 {
		return t.casFailed("transfers", "refid", refID, "transfer", from)
	}
	return nil
}

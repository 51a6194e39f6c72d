package sqlite

import (
	"encoding/json"
	"fmt"
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
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO mail_outbox (kind, mail_key, to_addr, to_name, lang, data, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mail_key) DO NOTHING`,
		string(m.Kind), m.Key, m.To, m.Name, m.Lang, string(data), micros(m.NextAt), micros(m.CreatedAt))
	if err != nil {
		return mapErr("mail", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		m.ID, _ = res.LastInsertId()
	}
	return nil
}

// MarkMailSent records delivery.
func (t *Tx) MarkMailSent(id int64, at time.Time) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, `UPDATE mail_outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, micros(at), id)
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
	_, err := t.tx.ExecContext(t.ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?`, lastErr, micros(next), id)
	return mapErr("mail", err)
}

// DueMail lists unsent mail whose next attempt is due, oldest first.
func (t *Tx) DueMail(now time.Time, limit int) ([]engine.Mail, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id, kind, mail_key, to_addr, to_name, lang, data, attempts, last_error, next_at, created_at
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
	err = t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(SUM(sent_at = 0), 0), COALESCE(SUM(sent_at <> 0), 0) FROM mail_outbox`).Scan(&queued, &sent)
	return queued, sent, err
}

var _ engine.QueueReader = (*Tx)(nil)

// ListTransfersOldestFirst returns up to limit transfers in one of the
// statuses, oldest (lowest id) first, so that the sender works as a queue.
func (t *Tx) ListTransfersOldestFirst(statuses []domain.TransferStatus, limit int) ([]domain.Transfer, error) {
	from, w := transferWhere(domain.TransferFilter{Statuses: statuses})
	return t.queryTransfers("SELECT "+transferCols+from+w.sql()+" ORDER BY t.id"+pageSQL(domain.Page{Limit: limit}), w.args...)
}

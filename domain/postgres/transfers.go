package postgres

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

const transferCols = `t.id, t.refid, COALESCE(t.parent_refid,''), COALESCE(t.obligation_id,0), t.payee_id, t.channel,
	t.amount, t.status, t.gateway_ref, t.failure_code, t.failure_reason, t.hold_reason, t.attempts, t.created_by,
	t.approved_by, t.created_at, t.updated_at, t.sent_at`

func scanTransfer(s scanner) (domain.Transfer, error) {
	var x domain.Transfer
	var status string
	var created, updated, sent int64
	err := s.Scan(&x.ID, &x.RefID, &x.ParentRefID, &x.ObligationID, &x.PayeeID, &x.Channel, &x.Amount, &status,
		&x.GatewayRef, &x.FailureCode, &x.FailureReason, &x.HoldReason, &x.Attempts, &x.CreatedBy, &x.ApprovedBy,
		&created, &updated, &sent)
	x.Status = domain.TransferStatus(status)
	x.CreatedAt, x.UpdatedAt, x.SentAt = fromMicros(created), fromMicros(updated), fromMicros(sent)
	return x, err
}

// GetTransfer implements domain.ReadTx.
func (t *Tx) GetTransfer(refID string) (domain.Transfer, error) {
	if x, ok := t.transferCopy(refID); ok {
		return x, nil
	}
	x, err := scanTransfer(t.queryRow("SELECT "+transferCols+" FROM transfers t WHERE t.refid = ?", refID))
	if err == nil {
		t.know("transfers", x.RefID, string(x.Status))
	}
	return x, noRows(err, "transfer", refID)
}

// transferWhere builds the filter; the payee name search joins payees.
func transferWhere(f domain.TransferFilter) (from string, w *where) {
	w = &where{}
	from = " FROM transfers t"
	in(w, "t.status", f.Statuses)
	if f.PayeeID != 0 {
		w.add("t.payee_id = ?", f.PayeeID)
	}
	if f.Channel != "" {
		w.add("t.channel = ?", f.Channel)
	}
	if !f.From.IsZero() {
		w.add("t.created_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		w.add("t.created_at < ?", micros(f.To))
	}
	if f.Search != "" {
		p := likeContains(f.Search)
		w.add(`(t.refid ILIKE ? ESCAPE '\' OR t.payee_id IN (SELECT id FROM payees WHERE name ILIKE ? ESCAPE '\'))`, p, p)
	}
	return from, w
}

// ListTransfers implements domain.ReadTx, newest (highest id) first.
func (t *Tx) ListTransfers(f domain.TransferFilter) ([]domain.Transfer, error) {
	from, w := transferWhere(f)
	return t.queryTransfers("SELECT "+transferCols+from+w.sql()+" ORDER BY t.id DESC"+pageSQL(f.Page), w.args...)
}

// CountTransfers implements domain.ReadTx (Page is ignored).
func (t *Tx) CountTransfers(f domain.TransferFilter) (int, error) {
	from, w := transferWhere(f)
	var n int
	err := t.queryRow("SELECT COUNT(*)"+from+w.sql(), w.args...).Scan(&n)
	return n, err
}

// ListTransfersByObligation implements domain.ReadTx, oldest attempt first.
func (t *Tx) ListTransfersByObligation(obligationID int64) ([]domain.Transfer, error) {
	return t.queryTransfers("SELECT "+transferCols+" FROM transfers t WHERE t.obligation_id = ? ORDER BY t.id", obligationID)
}

func (t *Tx) queryTransfers(q string, args ...any) ([]domain.Transfer, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Transfer
	for rows.Next() {
		x, err := scanTransfer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// PayeeTotalSince implements domain.ReadTx.
func (t *Tx) PayeeTotalSince(payeeID int64, since time.Time) (domain.Rupiah, error) {
	var sum domain.Rupiah
	err := t.queryRow(`SELECT COALESCE(SUM(amount), 0)::bigint FROM transfers
		WHERE payee_id = ? AND created_at >= ? AND status NOT IN (?, ?)`,
		payeeID, micros(since), string(domain.TransferRejected), string(domain.TransferFailed)).Scan(&sum)
	return sum, err
}

// checkNewTransfer validates a transfer about to be created and fills its
// default status.
func (t *Tx) checkNewTransfer(x *domain.Transfer) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	switch {
	case x.RefID == "":
		return domain.Invalid("refid", "a transfer needs a REFID")
	case x.Amount <= 0:
		return domain.Invalid("amount", "a transfer must be more than Rp0")
	case x.PayeeID == 0:
		return domain.Invalid("payee", "a transfer needs a payee")
	}
	if x.Status == "" {
		x.Status = domain.TransferAwaitingApproval
	}
	if !x.Status.Valid() {
		return domain.Invalid("status", "unknown transfer status %q", x.Status)
	}
	return nil
}

// CreateTransfer implements domain.Tx. An existing REFID gives
// ErrDuplicateRefID: the insert yields to the REFID's unique constraint (ON
// CONFLICT DO NOTHING), so the transaction stays usable, as on SQLite, and the
// caller may try another REFID (the engine does).
func (t *Tx) CreateTransfer(x *domain.Transfer) error {
	if err := t.checkNewTransfer(x); err != nil {
		return err
	}
	if x.CreatedAt.IsZero() {
		x.CreatedAt = t.now
	}
	x.UpdatedAt = t.now
	id, err := t.insertID(`INSERT INTO transfers(refid, parent_refid, obligation_id, payee_id, channel,
		amount, status, gateway_ref, failure_code, failure_reason, hold_reason, attempts, created_by, approved_by,
		created_at, updated_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT ON CONSTRAINT transfers_refid_unique DO NOTHING`,
		x.RefID, nullStr(x.ParentRefID), nullID(x.ObligationID), x.PayeeID, x.Channel, x.Amount, string(x.Status),
		x.GatewayRef, x.FailureCode, x.FailureReason, x.HoldReason, x.Attempts, x.CreatedBy, x.ApprovedBy,
		micros(x.CreatedAt), micros(x.UpdatedAt), micros(x.SentAt))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("transfer REFID %s: %w", x.RefID, domain.ErrDuplicateRefID)
	}
	if err != nil {
		return mapErr("transfer "+x.RefID, err)
	}
	x.ID = id
	return nil
}

var _ engine.TransferQueuer = (*Tx)(nil)

// QueueTransfer implements engine.TransferQueuer: the transfer takes its id
// from the table's sequence and is kept with the transaction's other new
// transfers, sent as one statement (bulk.go). A REFID
// already used in this transaction is refused at once; one already in the
// table fails the transaction when the insert is sent, with an error
// matching domain.ErrDuplicateRefID (the REFID's unique constraint; no ON
// CONFLICT here).
func (t *Tx) QueueTransfer(x *domain.Transfer) error {
	if err := t.checkNewTransfer(x); err != nil {
		return err
	}
	c := t.cache
	if c.queuedRefs[x.RefID] {
		return fmt.Errorf("transfer REFID %s: %w", x.RefID, domain.ErrDuplicateRefID)
	}
	if x.CreatedAt.IsZero() {
		x.CreatedAt = t.now
	}
	x.UpdatedAt = t.now
	id, err := t.nextID("transfers")
	if err != nil {
		return fmt.Errorf("transfer %s: %w", x.RefID, err)
	}
	if c.flushErr != nil {
		return c.flushErr
	}
	t.keep(bulkNewTransfers, nil, id, x.RefID, x.ParentRefID, x.ObligationID, x.PayeeID, x.Channel, int64(x.Amount),
		string(x.Status), x.GatewayRef, x.FailureCode, x.FailureReason, x.HoldReason, int64(x.Attempts), x.CreatedBy,
		x.ApprovedBy, micros(x.CreatedAt), micros(x.UpdatedAt), micros(x.SentAt))
	if c.queuedRefs == nil {
		c.queuedRefs = map[string]bool{}
	}
	c.queuedRefs[x.RefID] = true
	x.ID = id
	t.know("transfers", x.RefID, string(x.Status))
	return nil
}

// MoveTransfer implements domain.Tx: the state machine first, then
// UPDATE ... WHERE refid=? AND status=from.
func (t *Tx) MoveTransfer(refID string, from, to domain.TransferStatus, p domain.TransferPatch) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if err := domain.CheckTransition(from, to); err != nil {
		return fmt.Errorf("transfer %s: %w", refID, err)
	}
	inc := 0
	if p.IncAttempts {
		inc = 1
	}
	now := micros(t.now)
	const q = `UPDATE transfers SET status = ?,
		gateway_ref    = CASE WHEN ?::text = '' THEN gateway_ref ELSE ?::text END,
		failure_code   = CASE WHEN ?::text = '' THEN failure_code ELSE ?::text END,
		failure_reason = CASE WHEN ?::text = '' THEN failure_reason ELSE ?::text END,
		hold_reason    = CASE WHEN ?::text = '' THEN hold_reason ELSE ?::text END,
		approved_by    = CASE WHEN ?::text = '' THEN approved_by ELSE ?::text END,
		channel        = CASE WHEN ?::text = '' THEN channel ELSE ?::text END,
		attempts       = attempts + ?::bigint,
		sent_at        = CASE WHEN ?::boolean AND sent_at = 0 THEN ?::bigint ELSE sent_at END,
		updated_at     = ?
		WHERE refid = ? AND status = ?`
	args := []any{string(to), p.GatewayRef, p.GatewayRef, p.FailureCode, p.FailureCode, p.FailureReason, p.FailureReason,
		p.HoldReason, p.HoldReason, p.ApprovedBy, p.ApprovedBy, p.Channel, p.Channel, inc, p.MarkSent, now, now,
		refID, string(from)}
	if ok, err := t.casLater("transfers", refID, string(from), string(to), bulkTransfers,
		string(to), p.GatewayRef, p.FailureCode, p.FailureReason, p.HoldReason, p.ApprovedBy, p.Channel, int64(inc),
		p.MarkSent, now, refID, string(from)); ok {
		return err
	}
	res, err := t.exec(q, args...)
	if err != nil {
		return mapErr("transfer "+refID, err)
	}
	if res.RowsAffected() == 0 {
		return t.casFailed("transfers", "refid", refID, "transfer", from)
	}
	t.know("transfers", refID, string(to))
	t.dropCopy("transfers", refID)
	return nil
}

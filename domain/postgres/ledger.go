package postgres

import (
	"fmt"

	"lunas/domain"
)

// Post implements domain.Tx. The posting is validated in Go; its lines are
// kept with the write transaction's other blind inserts (later.go), and the
// deferred trigger posting_lines_balanced sums every touched posting again
// at COMMIT, refusing a transaction that leaves one unbalanced, whatever
// wrote the lines.
func (t *Tx) Post(p *domain.Posting) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Ref == "" {
		return domain.Invalid("ref", "a posting needs a reference")
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = t.now
	}
	// The posting and its lines are kept and sent with the transaction's
	// others (later.go); the deferred trigger sums the lines at COMMIT.
	id, err := t.nextID("postings")
	if err != nil {
		return fmt.Errorf("posting: %w", err)
	}
	p.ID = id
	t.keep(bulkPostings, nil, id, p.Ref, p.Memo, micros(p.CreatedAt))
	for i, l := range p.Lines {
		t.keep(bulkLines, nil, p.ID, int64(i), string(l.Account), int64(l.Amount))
	}
	return nil
}

// Balances implements domain.ReadTx.
func (t *Tx) Balances() (map[domain.Account]domain.Rupiah, error) {
	rows, err := t.query("SELECT account, SUM(amount)::bigint FROM posting_lines GROUP BY account")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[domain.Account]domain.Rupiah{}
	for rows.Next() {
		var a string
		var v domain.Rupiah
		if err := rows.Scan(&a, &v); err != nil {
			return nil, err
		}
		out[domain.Account(a)] = v
	}
	return out, rows.Err()
}

// ListPostings implements domain.ReadTx: the postings with this ref (all when
// ref is ""), oldest first, with their lines.
func (t *Tx) ListPostings(ref string) ([]domain.Posting, error) {
	q := "SELECT id, ref, memo, created_at FROM postings"
	var args []any
	if ref != "" {
		q += " WHERE ref = ?"
		args = append(args, ref)
	}
	rows, err := t.query(q+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	var out []domain.Posting
	idx := map[int64]int{}
	for rows.Next() {
		var p domain.Posting
		var created int64
		if err := rows.Scan(&p.ID, &p.Ref, &p.Memo, &created); err != nil {
			rows.Close()
			return nil, err
		}
		p.CreatedAt = fromMicros(created)
		idx[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	lq := `SELECT l.posting_id, l.account, l.amount FROM posting_lines l`
	if ref != "" {
		lq += " JOIN postings p ON p.id = l.posting_id WHERE p.ref = ?"
	}
	lrows, err := t.query(lq+" ORDER BY l.posting_id, l.position", args...)
	if err != nil {
		return nil, err
	}
	defer lrows.Close()
	for lrows.Next() {
		var id int64
		var l domain.PostingLine
		var acct string
		if err := lrows.Scan(&id, &acct, &l.Amount); err != nil {
			return nil, err
		}
		l.Account = domain.Account(acct)
		if i, ok := idx[id]; ok {
			out[i].Lines = append(out[i].Lines, l)
		}
	}
	return out, lrows.Err()
}

// ---- audit

// AppendAudit implements domain.Tx: Seq is the next number, At the
// transaction time, PrevHash the previous entry's hash. With the vault as
// the store's cipher the hash is keyed and the anchor is checked and signed
// (domain.AppendAuditChained; security.go has the rows it uses). The writer
// lock makes the tail read and the insert one step.
func (t *Tx) AppendAudit(e *domain.AuditEntry) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if e.Actor == "" || e.Action == "" {
		return domain.Invalid("audit", "an audit entry needs an actor and an action")
	}
	keyer, _ := t.db.opts.Cipher.(domain.AuditKeyer)
	return domain.AppendAuditChained(t, keyer, e, t.now)
}

// ListAudit implements domain.ReadTx.
func (t *Tx) ListAudit(afterSeq int64, limit int) ([]domain.AuditEntry, error) {
	q := "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq"
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := t.query(q, afterSeq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.AuditEntry
	for rows.Next() {
		var e domain.AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

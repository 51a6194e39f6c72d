package postgres

// Streaming report queries (reports engineer). Each Each* method runs one
// query and hands rows to fn as they are read, so an export of a million
// rows never holds them all in memory. They satisfy xlsx.Rows and are
// cancelled through the transaction's context.

import (
	"fmt"
	"strings"

	"lunas/domain"

	"github.com/jackc/pgx/v5"
)

// reportRange adds the [From, To) condition on a time column.
func reportRange(w *where, col string, f domain.ReportFilter) {
	if !f.From.IsZero() {
		w.add(col+" >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		w.add(col+" < ?", micros(f.To))
	}
}

func orderReportWhere(f domain.ReportFilter) *where {
	w := &where{}
	in(w, "o.status", f.Statuses)
	reportRange(w, "o.created_at", f)
	if f.Gateway != "" {
		w.add("EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.gateway = ?)", f.Gateway)
	}
	if f.PayeeID != 0 {
		w.add("EXISTS (SELECT 1 FROM obligations b WHERE b.order_id = o.id AND b.payee_id = ?)", f.PayeeID)
	}
	return w
}

func paymentReportWhere(f domain.ReportFilter) *where {
	w := &where{}
	in(w, "p.status", f.Statuses)
	reportRange(w, "p.created_at", f)
	if f.Gateway != "" {
		w.add("p.gateway = ?", f.Gateway)
	}
	if f.PayeeID != 0 {
		w.add("EXISTS (SELECT 1 FROM obligations b WHERE b.payment_id = p.id AND b.payee_id = ?)", f.PayeeID)
	}
	return w
}

func transferReportWhere(f domain.ReportFilter) *where {
	w := &where{}
	in(w, "t.status", f.Statuses)
	reportRange(w, "t.created_at", f)
	if f.Gateway != "" {
		w.add("t.channel = ?", f.Gateway)
	}
	if f.PayeeID != 0 {
		w.add("t.payee_id = ?", f.PayeeID)
	}
	return w
}

func postingReportWhere(f domain.ReportFilter) *where {
	w := &where{}
	reportRange(w, "p.created_at", f)
	if f.PayeeID != 0 {
		w.add("EXISTS (SELECT 1 FROM posting_lines x WHERE x.posting_id = p.id AND x.account = ?)",
			string(domain.PayableAccount(f.PayeeID)))
	}
	if f.Gateway != "" {
		w.add("EXISTS (SELECT 1 FROM posting_lines x WHERE x.posting_id = p.id AND x.account IN (?, ?))",
			string(domain.ClearingAccount(f.Gateway)), string(domain.PaidOutAccount(f.Gateway)))
	}
	return w
}

func auditReportWhere(f domain.ReportFilter) *where {
	w := &where{}
	reportRange(w, "a.at", f)
	return w
}

// EachOrder streams the orders of a report, oldest first, with item counts
// and totals computed from their lines.
func (t *Tx) EachOrder(f domain.ReportFilter, fn func(domain.OrderReportRow) error) error {
	w := orderReportWhere(f)
	q := `SELECT o.id, o.external_id, o.source, o.buyer_name, o.buyer_email, o.buyer_email_sealed, o.status, o.created_at,
		o.shipping, o.fees, o.discount, o.total,
		(SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id),
		(SELECT COALESCE(SUM(i.qty * i.unit_price), 0)::bigint FROM order_items i WHERE i.order_id = o.id)
		FROM orders o` + w.sql() + " ORDER BY o.created_at, o.id"
	return t.stream(q, w.args, func(rs pgx.Rows) error {
		var r domain.OrderReportRow
		var status string
		var created int64
		var email []byte
		if err := rs.Scan(&r.ID, &r.ExternalID, &r.Source, &r.BuyerName, &r.BuyerEmail, &email, &status, &created,
			&r.Shipping, &r.Fees, &r.Discount, &r.Total, &r.Items, &r.Subtotal); err != nil {
			return err
		}
		var err error
		if r.BuyerEmail, err = t.buyerEmail(r.ID, r.BuyerEmail, email); err != nil {
			return err
		}
		r.Status, r.CreatedAt = domain.OrderStatus(status), fromMicros(created)
		return fn(r)
	})
}

// EachPayment streams the payments of a report, oldest first.
func (t *Tx) EachPayment(f domain.ReportFilter, fn func(domain.Payment) error) error {
	w := paymentReportWhere(f)
	cols := "p." + strings.Join(strings.Fields(strings.ReplaceAll(paymentCols, ",", " ")), ", p.")
	q := "SELECT " + cols + " FROM payments p" + w.sql() + " ORDER BY p.created_at, p.id"
	return t.stream(q, w.args, func(rs pgx.Rows) error {
		p, err := scanPayment(rs)
		if err != nil {
			return err
		}
		return fn(p)
	})
}

// EachTransfer streams the transfers of a report, oldest first, with the
// payee's name, bank and decrypted account number. Account numbers are
// decrypted once per payee, not per row.
func (t *Tx) EachTransfer(f domain.ReportFilter, fn func(domain.TransferReportRow) error) error {
	accounts, err := t.payeeAccounts()
	if err != nil {
		return err
	}
	w := transferReportWhere(f)
	q := "SELECT " + transferCols + ", y.name, y.channel FROM transfers t JOIN payees y ON y.id = t.payee_id" +
		w.sql() + " ORDER BY t.created_at, t.id"
	var r domain.TransferReportRow
	return t.stream(q, w.args, func(rs pgx.Rows) error {
		x := &r.Transfer
		var status string
		var created, updated, sent int64
		if err := rs.Scan(&x.ID, &x.RefID, &x.ParentRefID, &x.ObligationID, &x.PayeeID, &x.Channel, &x.Amount, &status,
			&x.GatewayRef, &x.FailureCode, &x.FailureReason, &x.HoldReason, &x.Attempts, &x.CreatedBy, &x.ApprovedBy,
			&created, &updated, &sent, &r.PayeeName, &r.PayeeBank); err != nil {
			return err
		}
		x.Status = domain.TransferStatus(status)
		x.CreatedAt, x.UpdatedAt, x.SentAt = fromMicros(created), fromMicros(updated), fromMicros(sent)
		acct, err := accounts.get(x.PayeeID)
		if err != nil {
			return err
		}
		r.AccountNumber = acct
		return fn(r)
	})
}

// accountCache decrypts payee account numbers on first use.
type accountCache struct {
	t      *Tx
	sealed map[int64][]byte
	plain  map[int64]string
}

func (t *Tx) payeeAccounts() (*accountCache, error) {
	c := &accountCache{t: t, sealed: map[int64][]byte{}, plain: map[int64]string{}}
	err := t.stream("SELECT id, account_number FROM payees WHERE account_number IS NOT NULL", nil, func(rs pgx.Rows) error {
		var id int64
		var b []byte
		if err := rs.Scan(&id, &b); err != nil {
			return err
		}
		c.sealed[id] = b
		return nil
	})
	return c, err
}

func (c *accountCache) get(id int64) (string, error) {
	if s, ok := c.plain[id]; ok {
		return s, nil
	}
	b, ok := c.sealed[id]
	if !ok {
		return "", nil
	}
	ciph := c.t.db.opts.Cipher
	if ciph == nil {
		return "", errNoCipher("account number")
	}
	s, err := ciph.Open(b, accountRef(id))
	if err != nil {
		return "", fmt.Errorf("payee %d account number: %w", id, err)
	}
	c.plain[id] = s
	return s, nil
}

// EachPosting streams the ledger postings of a report, oldest first, each
// with its lines.
func (t *Tx) EachPosting(f domain.ReportFilter, fn func(domain.Posting) error) error {
	w := postingReportWhere(f)
	q := `SELECT p.id, p.ref, p.memo, p.created_at, l.account, l.amount
		FROM postings p JOIN posting_lines l ON l.posting_id = p.id` + w.sql() +
		" ORDER BY p.created_at, p.id, l.position"
	var cur domain.Posting
	have := false
	err := t.stream(q, w.args, func(rs pgx.Rows) error {
		var id, created int64
		var ref, memo, acct string
		var amt domain.Rupiah
		if err := rs.Scan(&id, &ref, &memo, &created, &acct, &amt); err != nil {
			return err
		}
		if have && id != cur.ID {
			if err := fn(cur); err != nil {
				return err
			}
			have = false
		}
		if !have {
			cur = domain.Posting{ID: id, Ref: ref, Memo: memo, CreatedAt: fromMicros(created), Lines: make([]domain.PostingLine, 0, 4)}
			have = true
		}
		cur.Lines = append(cur.Lines, domain.PostingLine{Account: domain.Account(acct), Amount: amt})
		return nil
	})
	if err != nil || !have {
		return err
	}
	return fn(cur)
}

// EachFlag streams what people had to look at: transfers held with a reason
// and flagged payments, oldest first.
func (t *Tx) EachFlag(f domain.ReportFilter, fn func(domain.FlagReportRow) error) error {
	tw := transferReportWhere(f)
	tw.add("t.hold_reason <> ''")
	pw := paymentReportWhere(f)
	pw.add("(p.status = 'flagged' OR p.flag_reason <> '')")
	q := `SELECT at, kind, subject, status, amount, reason FROM (
		SELECT t.created_at AS at, 'transfer' AS kind, t.refid AS subject, t.status AS status,
			t.amount AS amount, t.hold_reason AS reason, t.id AS id FROM transfers t` + tw.sql() + `
		UNION ALL
		SELECT p.created_at, 'payment', p.external_id, p.status, p.amount, p.flag_reason, p.id
			FROM payments p` + pw.sql() + `
	) AS f ORDER BY at, kind, id`
	args := append(append([]any{}, tw.args...), pw.args...)
	return t.stream(q, args, func(rs pgx.Rows) error {
		var r domain.FlagReportRow
		var at int64
		if err := rs.Scan(&at, &r.Kind, &r.Subject, &r.Status, &r.Amount, &r.Reason); err != nil {
			return err
		}
		r.At = fromMicros(at)
		return fn(r)
	})
}

// EachAudit streams the audit log in the report's period, in order.
func (t *Tx) EachAudit(f domain.ReportFilter, fn func(domain.AuditEntry) error) error {
	w := auditReportWhere(f)
	q := "SELECT a.seq, a.at, a.actor, a.action, a.subject, a.detail, a.prev_hash, a.hash FROM audit_log a" +
		w.sql() + " ORDER BY a.seq"
	return t.stream(q, w.args, func(rs pgx.Rows) error {
		var e domain.AuditEntry
		var at int64
		if err := rs.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return err
		}
		e.At = fromMicros(at)
		return fn(e)
	})
}

// CountRows counts the data rows of a whole export (ledger lines, not
// postings), for a progress percentage.
func (t *Tx) CountRows(f domain.ReportFilter) (int64, error) {
	var total int64
	tw := transferReportWhere(f)
	tw.add("t.hold_reason <> ''")
	pw := paymentReportWhere(f)
	pw.add("(p.status = 'flagged' OR p.flag_reason <> '')")
	type part struct {
		q string
		w *where
	}
	ow, paw, trw, lw, aw := orderReportWhere(f), paymentReportWhere(f), transferReportWhere(f), postingReportWhere(f), auditReportWhere(f)
	for _, p := range []part{
		{"SELECT COUNT(*) FROM orders o" + ow.sql(), ow},
		{"SELECT COUNT(*) FROM payments p" + paw.sql(), paw},
		{"SELECT COUNT(*) FROM transfers t" + trw.sql(), trw},
		{"SELECT COUNT(*) FROM postings p JOIN posting_lines l ON l.posting_id = p.id" + lw.sql(), lw},
		{"SELECT COUNT(*) FROM transfers t" + tw.sql(), tw},
		{"SELECT COUNT(*) FROM payments p" + pw.sql(), pw},
		{"SELECT COUNT(*) FROM audit_log a" + aw.sql(), aw},
	} {
		var n int64
		if err := t.queryRow(p.q, p.w.args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("count report rows: %w", err)
		}
		total += n
	}
	return total, nil
}

// stream runs q and calls each for every row, closing the cursor at the end.
func (t *Tx) stream(q string, args []any, each func(pgx.Rows) error) error {
	rs, err := t.query(q, args...)
	if err != nil {
		return fmt.Errorf("report query: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := each(rs); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("report query: %w", err)
	}
	return nil
}

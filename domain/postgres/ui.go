package postgres

import (
	"time"

	"lunas/domain"
)

// Queries the desktop needs beyond domain.ReadTx: a keyset page for long
// transfer lists, and the dashboard's per-day sums done in SQL.

// ListTransfersPage returns up to limit transfers matching f, newest first,
// skipping offset rows, and only those with id below beforeID when it is
// above zero: the page after one that ended at beforeID. Paging by key costs
// the same at row 10 and at row 900,000; OFFSET costs the rows skipped.
// f.Page is ignored.
func (t *Tx) ListTransfersPage(f domain.TransferFilter, beforeID int64, offset, limit int) ([]domain.Transfer, error) {
	from, w := transferWhere(f)
	if beforeID > 0 {
		w.add("t.id < ?", beforeID)
	}
	return t.queryTransfers("SELECT "+transferCols+from+w.sql()+" ORDER BY t.id DESC LIMIT ? OFFSET ?", append(w.args, limit, offset)...)
}

// dayKey turns a local day number (days since the epoch, counted in the
// shop's offset) into its "2006-01-02" key.
func dayKey(day int64) string {
	return time.UnixMicro(day * 86_400_000_000).UTC().Format(time.DateOnly)
}

func (t *Tx) sumByDay(q string, from, to time.Time, loc *time.Location) (map[string]domain.Rupiah, error) {
	_, off := from.In(loc).Zone()
	offset := int64(off) * 1_000_000
	rows, err := t.query(q, offset, micros(from), micros(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]domain.Rupiah{}
	for rows.Next() {
		var day int64
		var sum domain.Rupiah
		if err := rows.Scan(&day, &sum); err != nil {
			return nil, err
		}
		out[dayKey(day)] = sum
	}
	return out, rows.Err()
}

// SettledByDay sums settled payments per day of the shop's zone in [from, to).
func (t *Tx) SettledByDay(from, to time.Time, loc *time.Location) (map[string]domain.Rupiah, error) {
	return t.sumByDay(`SELECT (settled_at + ?) / 86400000000 AS d, SUM(paid_amount)::bigint FROM payments
		WHERE status = 'settled' AND settled_at >= ? AND settled_at < ? GROUP BY d`, from, to, loc)
}

// PaidOutByDay sums succeeded transfers per day they last changed (succeeded).
// It looks at transfers created from a week before from, through the
// created_at index: a payout tracked for longer than that is left out of the
// chart (never out of the reports).
func (t *Tx) PaidOutByDay(from, to time.Time, loc *time.Location) (map[string]domain.Rupiah, error) {
	_, off := from.In(loc).Zone()
	offset := int64(off) * 1_000_000
	rows, err := t.query(`SELECT (updated_at + ?) / 86400000000 AS d, SUM(amount)::bigint FROM transfers
		WHERE created_at >= ? AND status = 'succeeded' AND updated_at >= ? AND updated_at < ? GROUP BY d`,
		offset, micros(from.AddDate(0, 0, -7)), micros(from), micros(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]domain.Rupiah{}
	for rows.Next() {
		var day int64
		var sum domain.Rupiah
		if err := rows.Scan(&day, &sum); err != nil {
			return nil, err
		}
		out[dayKey(day)] = sum
	}
	return out, rows.Err()
}

// CountPayments counts payments by status (the dashboard's "waiting").
func (t *Tx) CountPayments(f domain.PaymentFilter) (int, error) {
	w := &where{}
	in(w, "status", f.Statuses)
	if f.Gateway != "" {
		w.add("gateway = ?", f.Gateway)
	}
	if !f.From.IsZero() {
		w.add("created_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at < ?", micros(f.To))
	}
	var n int
	err := t.queryRow("SELECT COUNT(*) FROM payments"+w.sql(), w.args...).Scan(&n)
	return n, err
}

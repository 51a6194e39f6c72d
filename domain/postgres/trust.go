package postgres

import (
	"fmt"
	"time"

	"lunas/domain"
)

// ---- trust rules (migration 0011; domain.TrustRule)

const trustCols = "id, payee_id, max_amount, min_payouts, active, off_reason, off_at, set_by, created_at, updated_at"

func scanTrust(s interface{ Scan(...any) error }) (domain.TrustRule, error) {
	var r domain.TrustRule
	var off string
	var offAt, created, updated int64
	err := s.Scan(&r.ID, &r.PayeeID, &r.MaxAmount, &r.MinPayouts, &r.Active, &off, &offAt, &r.SetBy, &created, &updated)
	r.OffReason, r.OffAt, r.CreatedAt, r.UpdatedAt = domain.TrustOff(off), fromMicros(offAt), fromMicros(created), fromMicros(updated)
	return r, err
}

// GetTrustRule returns the payee's trust rule (on or off), or domain.ErrNotFound.
func (t *Tx) GetTrustRule(payeeID int64) (domain.TrustRule, error) {
	r, err := scanTrust(t.queryRow("SELECT "+trustCols+" FROM trust_rules WHERE payee_id = ?", payeeID))
	if err != nil {
		return r, noRows(err, "trust rule", payeeID)
	}
	return r, nil
}

// ListTrustRules returns every trust rule, on and off, by payee.
func (t *Tx) ListTrustRules() ([]domain.TrustRule, error) {
	rows, err := t.query("SELECT " + trustCols + " FROM trust_rules ORDER BY payee_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.TrustRule
	for rows.Next() {
		r, err := scanTrust(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveTrustRule sets the payee's trust rule (replacing an earlier one) and
// switches it on; r gets its id and times.
func (t *Tx) SaveTrustRule(r *domain.TrustRule) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if r.SetBy == "" {
		return domain.Invalid("trust rule", "who sets the rule is missing")
	}
	now := micros(t.now)
	err := t.queryRow(`INSERT INTO trust_rules (payee_id, max_amount, min_payouts, active, off_reason, off_at, set_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, '', 0, ?, ?, ?)
		ON CONFLICT (payee_id) DO UPDATE SET max_amount = excluded.max_amount, min_payouts = excluded.min_payouts,
			active = excluded.active, off_reason = '', off_at = 0, set_by = excluded.set_by, updated_at = excluded.updated_at
		RETURNING id, created_at`, r.PayeeID, int64(r.MaxAmount), r.MinPayouts, true, r.SetBy, now, now).Scan(&r.ID, &now)
	if err != nil {
		return mapErr("trust rule", err)
	}
	r.Active, r.OffReason, r.OffAt, r.CreatedAt, r.UpdatedAt = true, "", time.Time{}, fromMicros(now), t.now
	return nil
}

// SwitchOffTrustRule switches the payee's rule off for why; it reports
// whether a rule was on.
func (t *Tx) SwitchOffTrustRule(payeeID int64, why domain.TrustOff, at time.Time) (bool, error) {
	if err := t.mustWrite(); err != nil {
		return false, err
	}
	res, err := t.exec(`UPDATE trust_rules SET active = ?, off_reason = ?, off_at = ?, updated_at = ? WHERE payee_id = ? AND active = ?`,
		false, string(why), micros(at), micros(at), payeeID, true)
	if err != nil {
		return false, mapErr("trust rule", err)
	}
	return res.RowsAffected() > 0, nil
}

// SucceededPayoutsTo counts the payee's succeeded transfers whose fixed
// destination is bank and account, newest first, stopping at upTo and
// looking at no more than domain.TrustScanLimit transfers.
func (t *Tx) SucceededPayoutsTo(payeeID int64, bank, account string, upTo int) (int, error) {
	rows, err := t.query(fmt.Sprintf(`SELECT d.transfer_id, d.bank, d.account_number FROM transfers x
		JOIN transfer_destinations d ON d.transfer_id = x.id
		WHERE x.payee_id = ? AND x.status = ? ORDER BY x.id DESC LIMIT %d`, domain.TrustScanLimit),
		payeeID, string(domain.TransferSucceeded))
	if err != nil {
		return 0, err
	}
	type dest struct {
		id   int64
		bank string
		acct []byte
	}
	var ds []dest
	for rows.Next() {
		var d dest
		if err := rows.Scan(&d.id, &d.bank, &d.acct); err != nil {
			rows.Close()
			return 0, err
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		if n >= upTo {
			break
		}
		if d.bank != bank || len(d.acct) == 0 {
			continue
		}
		a, err := t.open("destination account", d.acct, destRef(d.id, "account_number"))
		if err != nil {
			return 0, err
		}
		if a == account {
			n++
		}
	}
	return n, nil
}

// trustAccountChanged switches off the payee's trust rule when an update
// changes its bank or account number, with an audit entry in the same
// transaction: any account change ends the trust (domain.TrustRule).
func (t *Tx) trustAccountChanged(old, p domain.Payee) error {
	if old.Channel == p.Channel && old.AccountNumber == p.AccountNumber {
		return nil
	}
	off, err := t.SwitchOffTrustRule(p.ID, domain.TrustOffAccountChanged, t.now)
	if err != nil || !off {
		return err
	}
	return t.AppendAudit(&domain.AuditEntry{At: t.now, Actor: "lunas", Action: "trust.off",
		Subject: fmt.Sprintf("payee:%d", p.ID), Detail: string(domain.TrustOffAccountChanged)})
}

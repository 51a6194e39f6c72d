package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lunas/domain"
	"lunas/domain/risk"
)

// Repository methods for the security tables (migrations/0002_security.sql).
// Encrypted columns go through the store's FieldCipher like payee accounts.

func totpRef(id int64) domain.FieldRef {
	return domain.FieldRef{Table: "users", Column: "totp_secret", Row: id}
}

func secretRef(id int64) domain.FieldRef {
	return domain.FieldRef{Table: "secrets", Column: "value", Row: id}
}

func (t *Tx) seal(what, plain string, ref domain.FieldRef) ([]byte, error) {
	if plain == "" {
		return nil, nil
	}
	c := t.db.opts.Cipher
	if c == nil {
		return nil, errNoCipher(what)
	}
	b, err := c.Seal(plain, ref)
	if err != nil {
		return nil, fmt.Errorf("encrypt %s: %w", what, err)
	}
	return b, nil
}

func (t *Tx) open(what string, blob []byte, ref domain.FieldRef) (string, error) {
	if blob == nil {
		return "", nil
	}
	c := t.db.opts.Cipher
	if c == nil {
		return "", errNoCipher(what)
	}
	s, err := c.Open(blob, ref)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return s, nil
}

// ---- vault header

// VaultHeader returns the stored vault header, or ErrNotFound before the
// vault was created.
func (t *Tx) VaultHeader() ([]byte, error) {
	var b []byte
	err := t.queryRow("SELECT header FROM vault WHERE id = 1").Scan(&b)
	return b, noRows(err, "vault header", 1)
}

// PutVaultHeader stores (or replaces) the vault header.
func (t *Tx) PutVaultHeader(h []byte) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO vault(id, header, updated_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET header = excluded.header, updated_at = excluded.updated_at`, h, micros(t.now))
	return mapErr("vault header", err)
}

// ---- users

const userCols = `id, name, role, password_hash, totp_secret, totp_confirmed, totp_last_step,
	failures, locked_until, disabled, created_at, updated_at`

func (t *Tx) scanUser(s scanner) (domain.User, error) {
	var u domain.User
	var role string
	var secret []byte
	var locked, created, updated int64
	if err := s.Scan(&u.ID, &u.Name, &role, &u.PasswordHash, &secret, &u.TOTPConfirmed, &u.TOTPLastStep,
		&u.Failures, &locked, &u.Disabled, &created, &updated); err != nil {
		return u, err
	}
	u.Role = domain.Role(role)
	u.LockedUntil, u.CreatedAt, u.UpdatedAt = fromMicros(locked), fromMicros(created), fromMicros(updated)
	var err error
	u.TOTPSecret, err = t.open("two-factor secret", secret, totpRef(u.ID))
	return u, err
}

// GetUser returns the user with id, decrypting the TOTP secret.
func (t *Tx) GetUser(id int64) (domain.User, error) {
	u, err := t.scanUser(t.queryRow("SELECT "+userCols+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user", id)
	}
	return u, err
}

// GetUserByName returns the user with name (any case).
func (t *Tx) GetUserByName(name string) (domain.User, error) {
	u, err := t.scanUser(t.queryRow("SELECT "+userCols+" FROM users WHERE lower(name) = lower(?)", name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user", name)
	}
	return u, err
}

// GetUserCredentials returns the user with name (any case) without
// decrypting the TOTP secret, so a password can be checked while the vault
// is locked (an owner's sign-in is what unlocks it).
func (t *Tx) GetUserCredentials(name string) (domain.User, error) {
	var u domain.User
	var role string
	var locked, created, updated int64
	err := t.queryRow(`SELECT id, name, role, password_hash, totp_confirmed, totp_last_step,
		failures, locked_until, disabled, created_at, updated_at FROM users WHERE lower(name) = lower(?)`, name).Scan(
		&u.ID, &u.Name, &role, &u.PasswordHash, &u.TOTPConfirmed, &u.TOTPLastStep, &u.Failures, &locked,
		&u.Disabled, &created, &updated)
	if err := noRows(err, "user", name); err != nil {
		return u, err
	}
	u.Role = domain.Role(role)
	u.LockedUntil, u.CreatedAt, u.UpdatedAt = fromMicros(locked), fromMicros(created), fromMicros(updated)
	return u, nil
}

// ListUsers returns every user by name, without decrypting TOTP secrets
// (a list must work while the vault is locked).
func (t *Tx) ListUsers() ([]domain.User, error) {
	rows, err := t.query(`SELECT id, name, role, totp_confirmed, failures, locked_until, disabled,
		created_at, updated_at FROM users ORDER BY lower(name) COLLATE "C", id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.User
	for rows.Next() {
		var u domain.User
		var role string
		var locked, created, updated int64
		if err := rows.Scan(&u.ID, &u.Name, &role, &u.TOTPConfirmed, &u.Failures, &locked, &u.Disabled, &created, &updated); err != nil {
			return nil, err
		}
		u.Role = domain.Role(role)
		u.LockedUntil, u.CreatedAt, u.UpdatedAt = fromMicros(locked), fromMicros(created), fromMicros(updated)
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers returns how many users exist (0 before the first-run owner).
func (t *Tx) CountUsers() (int, error) {
	var n int
	err := t.queryRow("SELECT COUNT(*) FROM users").Scan(&n)
	return n, err
}

// CreateUser stores u, setting u.ID, with the TOTP secret encrypted for its row.
func (t *Tx) CreateUser(u *domain.User) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = t.now
	}
	u.UpdatedAt = t.now
	id, err := t.insertID(`INSERT INTO users(name, role, password_hash, totp_confirmed, totp_last_step,
		failures, locked_until, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		u.Name, string(u.Role), u.PasswordHash, u.TOTPConfirmed, u.TOTPLastStep, u.Failures, micros(u.LockedUntil),
		u.Disabled, micros(u.CreatedAt), micros(u.UpdatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %s already exists: %w", u.Name, domain.ErrDuplicate)
	}
	if err != nil {
		return mapErr("user", err)
	}
	u.ID = id
	return t.sealTOTP(u)
}

func (t *Tx) sealTOTP(u *domain.User) error {
	blob, err := t.seal("two-factor secret", u.TOTPSecret, totpRef(u.ID))
	if err != nil {
		return err
	}
	_, err = t.exec("UPDATE users SET totp_secret = ? WHERE id = ?", blob, u.ID)
	return err
}

// UpdateUser stores every field of u, re-encrypting the TOTP secret.
func (t *Tx) UpdateUser(u *domain.User) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	u.UpdatedAt = t.now
	res, err := t.exec(`UPDATE users SET name = ?, role = ?, password_hash = ?, totp_confirmed = ?,
		totp_last_step = ?, failures = ?, locked_until = ?, disabled = ?, updated_at = ? WHERE id = ?`,
		u.Name, string(u.Role), u.PasswordHash, u.TOTPConfirmed, u.TOTPLastStep, u.Failures, micros(u.LockedUntil),
		u.Disabled, micros(u.UpdatedAt), u.ID)
	if err != nil {
		return mapErr("user", err)
	}
	if res.RowsAffected() == 0 {
		return notFound("user", u.ID)
	}
	return t.sealTOTP(u)
}

// SetUserAuthState records sign-in bookkeeping without touching the
// encrypted secret, so failures can be counted while the vault is locked.
func (t *Tx) SetUserAuthState(id int64, failures int, lockedUntil time.Time, lastStep int64) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE users SET failures = ?, locked_until = ?,
		totp_last_step = GREATEST(totp_last_step, ?), updated_at = ? WHERE id = ?`,
		failures, micros(lockedUntil), lastStep, micros(t.now), id)
	if err != nil {
		return err
	}
	if res.RowsAffected() == 0 {
		return notFound("user", id)
	}
	return nil
}

// ClaimTOTPStep records step as the user's last accepted time step only if
// it is newer than the stored one; it returns false for a replayed step. The
// compare-and-set makes two concurrent uses of one code accept only one.
func (t *Tx) ClaimTOTPStep(id, step int64) (bool, error) {
	if err := t.mustWrite(); err != nil {
		return false, err
	}
	res, err := t.exec(`UPDATE users SET totp_last_step = ?, updated_at = ?
		WHERE id = ? AND totp_last_step < ?`, step, micros(t.now), id, step)
	if err != nil {
		return false, err
	}
	n := res.RowsAffected()
	return n == 1, nil
}

// ReplaceRecoveryCodes stores a new set of hashed recovery codes for a user,
// dropping the old ones.
func (t *Tx) ReplaceRecoveryCodes(userID int64, hashes []string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if _, err := t.exec("DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := t.exec("INSERT INTO recovery_codes(user_id, hash) VALUES (?, ?)", userID, h); err != nil {
			return mapErr("recovery code", err)
		}
	}
	return nil
}

// UseRecoveryCode marks the code with hash used; false if there is no such
// unused code.
func (t *Tx) UseRecoveryCode(userID int64, hash string) (bool, error) {
	if err := t.mustWrite(); err != nil {
		return false, err
	}
	res, err := t.exec(`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at = 0`,
		micros(t.now), userID, hash)
	if err != nil {
		return false, err
	}
	n := res.RowsAffected()
	return n == 1, nil
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (t *Tx) RecoveryCodesLeft(userID int64) (int, error) {
	var n int
	err := t.queryRow("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0", userID).Scan(&n)
	return n, err
}

// ---- secrets

// SetSecret stores value encrypted under name (insert or replace).
func (t *Tx) SetSecret(name, value, by string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if t.db.opts.Cipher == nil {
		return errNoCipher("secret")
	}
	var id int64
	err := t.queryRow(`INSERT INTO secrets(name, value, updated_at, updated_by) VALUES (?, NULL, ?, ?)
		ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, updated_by = excluded.updated_by
		RETURNING id`, name, micros(t.now), by).Scan(&id)
	if err != nil {
		return mapErr("secret", err)
	}
	blob, err := t.seal("secret "+name, value, secretRef(id))
	if err != nil {
		return err
	}
	_, err = t.exec("UPDATE secrets SET value = ? WHERE id = ?", blob, id)
	return err
}

// Secret returns the decrypted secret name, or ErrNotFound.
func (t *Tx) Secret(name string) (string, error) {
	var id int64
	var blob []byte
	err := t.queryRow("SELECT id, value FROM secrets WHERE name = ?", name).Scan(&id, &blob)
	if err := noRows(err, "secret", name); err != nil {
		return "", err
	}
	return t.open("secret "+name, blob, secretRef(id))
}

// SecretNames lists stored secret names (never values).
func (t *Tx) SecretNames() ([]string, error) {
	rows, err := t.query(`SELECT name FROM secrets ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSecret removes a secret.
func (t *Tx) DeleteSecret(name string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec("DELETE FROM secrets WHERE name = ?", name)
	return err
}

// ---- flags

const flagCols = `id, refid, COALESCE(payee_id,0), rule, block, reason_id, reason_en, evidence, status, note,
	resolved_by, created_at, resolved_at`

func scanFlag(s scanner) (domain.Flag, error) {
	var f domain.Flag
	var st string
	var created, resolved int64
	err := s.Scan(&f.ID, &f.RefID, &f.PayeeID, &f.Rule, &f.Block, &f.ReasonID, &f.ReasonEN, &f.Evidence, &st,
		&f.Note, &f.ResolvedBy, &created, &resolved)
	f.Status = domain.FlagStatus(st)
	f.CreatedAt, f.ResolvedAt = fromMicros(created), fromMicros(resolved)
	return f, err
}

// CreateFlag stores f as open, setting ID and CreatedAt.
func (t *Tx) CreateFlag(f *domain.Flag) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	f.Status, f.CreatedAt = domain.FlagOpen, t.now
	id, err := t.insertID(`INSERT INTO flags(refid, payee_id, rule, block, reason_id, reason_en, evidence,
		status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.RefID, nullID(f.PayeeID), f.Rule, f.Block,
		f.ReasonID, f.ReasonEN, f.Evidence, string(f.Status), micros(f.CreatedAt))
	if err != nil {
		return mapErr("flag", err)
	}
	f.ID = id
	return nil
}

// GetFlag returns one flag.
func (t *Tx) GetFlag(id int64) (domain.Flag, error) {
	f, err := scanFlag(t.queryRow("SELECT "+flagCols+" FROM flags WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, notFound("flag", id)
	}
	return f, err
}

// ListFlags returns flags with the given status ("" for all) or REFID
// ("" for all), newest first.
func (t *Tx) ListFlags(status domain.FlagStatus, refID string, pg domain.Page) ([]domain.Flag, error) {
	w := &where{}
	if status != "" {
		w.add("status = ?", string(status))
	}
	if refID != "" {
		w.add("refid = ?", refID)
	}
	rows, err := t.query("SELECT "+flagCols+" FROM flags"+w.sql()+" ORDER BY id DESC"+pageSQL(pg), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Flag
	for rows.Next() {
		f, err := scanFlag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ResolveFlag moves an open flag to cleared or rejected (compare-and-set).
func (t *Tx) ResolveFlag(id int64, to domain.FlagStatus, note, by string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE flags SET status = ?, note = ?, resolved_by = ?, resolved_at = ?
		WHERE id = ? AND status = 'open'`, string(to), note, by, micros(t.now), id)
	if err != nil {
		return mapErr("flag", err)
	}
	if res.RowsAffected() == 0 {
		return t.casFailed("flags", "id", id, "flag", domain.FlagOpen)
	}
	return nil
}

// ---- watchlist

// ReplaceWatchlist swaps the whole watchlist for list.
func (t *Tx) ReplaceWatchlist(list []risk.WatchEntry) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if _, err := t.exec("DELETE FROM watchlist"); err != nil {
		return err
	}
	// Queued: they go to the server together, in one round trip.
	for _, e := range list {
		al, _ := json.Marshal(e.Aliases)
		if err := t.later("watchlist entry", 1, `INSERT INTO watchlist(ref, name, aliases, birth_date, birth_place, kind, nationality)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Ref, e.Name, string(al), e.BirthDate, e.BirthPlace, e.Kind, e.Nationality); err != nil {
			return err
		}
	}
	return nil
}

// Watchlist returns every watchlist entry.
func (t *Tx) Watchlist() ([]risk.WatchEntry, error) {
	rows, err := t.query("SELECT ref, name, aliases, birth_date, birth_place, kind, nationality FROM watchlist ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []risk.WatchEntry
	for rows.Next() {
		var e risk.WatchEntry
		var al string
		if err := rows.Scan(&e.Ref, &e.Name, &al, &e.BirthDate, &e.BirthPlace, &e.Kind, &e.Nationality); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(al), &e.Aliases); err != nil {
			return nil, fmt.Errorf("watchlist aliases: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- risk facts

// liveTransfer excludes transfers that moved no money and never will.
const liveTransfer = "status NOT IN ('rejected','failed','cancelled','reversed')"

// PayeeRecentTransfers lists live transfers to a payee created since, except refID.
func (t *Tx) PayeeRecentTransfers(payeeID int64, since time.Time, exceptRefID string) ([]risk.Recent, error) {
	rows, err := t.query(`SELECT refid, amount, created_at FROM transfers
		WHERE payee_id = ? AND created_at >= ? AND refid <> ? AND `+liveTransfer+` ORDER BY created_at`,
		payeeID, micros(since), exceptRefID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []risk.Recent
	for rows.Next() {
		var r risk.Recent
		var at int64
		if err := rows.Scan(&r.RefID, &r.Amount, &at); err != nil {
			return nil, err
		}
		r.At = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PayeeSucceededPayouts counts succeeded transfers to a payee.
func (t *Tx) PayeeSucceededPayouts(payeeID int64) (int, error) {
	var n int
	err := t.queryRow("SELECT COUNT(*) FROM transfers WHERE payee_id = ? AND status = 'succeeded'", payeeID).Scan(&n)
	return n, err
}

// AccountPaidBefore reports whether a succeeded transfer to payeeID went to
// the account with fingerprint fp.
func (t *Tx) AccountPaidBefore(payeeID int64, fp string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM risk_account_uses u JOIN transfers x ON x.refid = u.refid
		WHERE u.payee_id = ? AND u.fp = ? AND x.status = 'succeeded'`, payeeID, fp).Scan(&n)
	return n > 0, err
}

// RecordAccountUse remembers which account fingerprint refID is paying.
func (t *Tx) RecordAccountUse(refID string, payeeID int64, fp string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO risk_account_uses(refid, payee_id, fp, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (refid) DO UPDATE SET fp = excluded.fp, at = excluded.at`, refID, payeeID, fp, micros(t.now))
	return err
}

// OrderPayoutTotal sums live transfers paying obligations of order, except refID.
func (t *Tx) OrderPayoutTotal(orderID int64, exceptRefID string) (domain.Rupiah, error) {
	var sum domain.Rupiah
	err := t.queryRow(`SELECT COALESCE(SUM(x.amount), 0)::bigint FROM transfers x
		JOIN obligations o ON o.id = x.obligation_id
		WHERE o.order_id = ? AND x.refid <> ? AND x.`+liveTransfer, orderID, exceptRefID).Scan(&sum)
	return sum, err
}

// PayeeOpenWork counts what still binds a payee: obligations not settled and
// transfers not final. Personal data may be erased only when it is zero.
func (t *Tx) PayeeOpenWork(payeeID int64) (int, error) {
	var n int
	err := t.queryRow(`SELECT
		(SELECT COUNT(*) FROM obligations WHERE payee_id = ? AND status IN ('open','reopened')) +
		(SELECT COUNT(*) FROM transfers WHERE payee_id = ? AND status NOT IN
			('succeeded','failed','reversed','rejected','cancelled'))`, payeeID, payeeID).Scan(&n)
	return n, err
}

// ---- personal data erasure

// PseudonymiseFlags replaces each of names with repl in the free text of a
// payee's flags (reasons and evidence), keeping the flags themselves.
func (t *Tx) PseudonymiseFlags(payeeID int64, names []string, repl string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	for _, n := range names {
		if n == "" {
			continue
		}
		if _, err := t.run(`UPDATE flags SET reason_id = replace(reason_id, $1, $2),
			reason_en = replace(reason_en, $1, $2), evidence = replace(evidence, $1, $2) WHERE payee_id = $3`,
			text([]any{n, repl, payeeID})); err != nil {
			return err
		}
	}
	return nil
}

// SecureDelete is SQLite's request to zero deleted content; PostgreSQL has
// no such setting: erased values leave the tables when CheckpointTruncate
// rewrites them after the transaction.
func (t *Tx) SecureDelete() error { return t.mustWrite() }

// CheckpointTruncate is called after an erasure (security.ErasePayee): it
// rewrites the tables that held the erased values (VACUUM FULL), so no old
// row version of them stays in the table files. (Old versions may remain in
// the server's write-ahead log and backups until those are recycled; the
// server's administrator controls both.)
func (db *DB) CheckpointTruncate(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx, "VACUUM (FULL) payees, flags, payout_rules, mail_outbox, transfer_destinations, risk_account_uses")
	return db.classify("vacuum", err)
}

// ---- audit anchor (migrations/0007_security_anchor.sql, 0009_audit_keyed.sql)
// The rows domain.AppendAuditChained works with.

// AuditTail implements domain.AuditRows.
func (t *Tx) AuditTail() (domain.AuditEntry, bool, error) {
	if c := t.cache; c != nil && c.tailRead {
		return c.tail, c.tailFound, nil
	}
	e, ok, err := t.readAuditTail()
	if err == nil && t.cache != nil {
		t.cache.tail, t.cache.tailFound, t.cache.tailRead = e, ok, true
	}
	return e, ok, err
}

func (t *Tx) readAuditTail() (domain.AuditEntry, bool, error) {
	var e domain.AuditEntry
	var at int64
	err := t.queryRow(`SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log
		ORDER BY seq DESC LIMIT 1`).Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	e.At = fromMicros(at)
	return e, err == nil, err
}

// AuditHashAt implements domain.AuditRows.
func (t *Tx) AuditHashAt(seq int64) (string, error) {
	if c := t.cache; c != nil && c.tailRead && c.tailFound && c.tail.Seq == seq {
		return c.tail.Hash, nil
	}
	var h string
	err := t.queryRow("SELECT hash FROM audit_log WHERE seq = ?", seq).Scan(&h)
	return h, noRows(err, "audit entry", seq)
}

// InsertAudit implements domain.AuditRows.
// In a write transaction the entry is kept and sent with the others
// (later.go).
func (t *Tx) InsertAudit(e *domain.AuditEntry) error {
	if c := t.cache; c != nil {
		if c.flushErr != nil {
			return c.flushErr
		}
		t.keep(bulkAudit, nil, auditValues(e)...)
		if c.tailRead && (!c.tailFound || e.Seq > c.tail.Seq) {
			c.tail, c.tailFound = *e, true
		}
		return nil
	}
	_, err := t.exec(`INSERT INTO audit_log(seq, at, actor, action, subject, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, micros(e.At), e.Actor, e.Action, e.Subject, e.Detail, e.PrevHash, e.Hash)
	return mapErr("audit entry", err)
}

// AddAuditPending implements domain.AuditRows.
func (t *Tx) AddAuditPending(e *domain.AuditEntry) error {
	if t.cache != nil {
		t.cache.pendingNone = false
	}
	_, err := t.exec(`INSERT INTO audit_pending(at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
		micros(e.At), e.Actor, e.Action, e.Subject, e.Detail)
	return mapErr("audit event", err)
}

// ListAuditPending returns the events recorded while the vault was locked
// that wait to be chained (Seq 0), oldest first.
func (t *Tx) ListAuditPending() ([]domain.AuditEntry, error) {
	rows, err := t.query("SELECT at, actor, action, subject, detail FROM audit_pending ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.AuditEntry
	for rows.Next() {
		var e domain.AuditEntry
		var at int64
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// TakeAuditPending implements domain.AuditRows.
func (t *Tx) TakeAuditPending() ([]domain.AuditEntry, error) {
	if t.cache != nil && t.cache.pendingNone {
		return nil, nil
	}
	out, err := t.ListAuditPending()
	if err != nil {
		return out, err
	}
	if len(out) > 0 {
		if _, err = t.exec("DELETE FROM audit_pending"); err != nil {
			return out, err
		}
	}
	if t.cache != nil {
		t.cache.pendingNone = true
	}
	return out, nil
}

// CountAuditPending returns how many events recorded while locked wait to
// be chained.
func (t *Tx) CountAuditPending() (int, error) {
	var n int
	err := t.queryRow("SELECT COUNT(*) FROM audit_pending").Scan(&n)
	return n, err
}

// PutAuditAnchor implements domain.AuditRows.
func (t *Tx) PutAuditAnchor(a domain.AuditAnchor) error {
	if a.Alarm != "" && a.AlarmAt.IsZero() {
		a.AlarmAt = t.now
	}
	if c := t.cache; c != nil {
		// Written once before COMMIT (later.go); read back as stored.
		if c.flushErr != nil {
			return c.flushErr
		}
		a.At = t.now
		a.HeadHash, a.SignedHash, a.MAC, a.Alarm = clean(a.HeadHash), clean(a.SignedHash), clean(a.MAC), clean(a.Alarm)
		c.anchor, c.anchorFound, c.anchorRead, c.anchorDirty = a, true, true, true
		return nil
	}
	_, err := t.exec(`INSERT INTO audit_anchor(id, head_seq, head_hash, signed_seq, signed_hash, mac, keyed_from,
			alarm, alarm_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash,
			signed_seq = excluded.signed_seq, signed_hash = excluded.signed_hash, mac = excluded.mac,
			keyed_from = excluded.keyed_from, alarm = excluded.alarm, alarm_at = excluded.alarm_at,
			updated_at = excluded.updated_at`,
		a.HeadSeq, a.HeadHash, a.SignedSeq, a.SignedHash, a.MAC, a.KeyedFrom, a.Alarm, micros(a.AlarmAt), micros(t.now))
	return mapErr("audit anchor", err)
}

// AuditAnchor implements domain.AuditAnchorReader.
func (t *Tx) AuditAnchor() (domain.AuditAnchor, error) {
	c := t.cache
	if c != nil && c.anchorRead {
		if !c.anchorFound {
			return domain.AuditAnchor{}, notFound("audit anchor", 1)
		}
		return c.anchor, nil
	}
	a, err := t.readAuditAnchor()
	if c != nil && (err == nil || errors.Is(err, domain.ErrNotFound)) {
		c.anchor, c.anchorFound, c.anchorRead = a, err == nil, true
	}
	return a, err
}

func (t *Tx) readAuditAnchor() (domain.AuditAnchor, error) {
	var a domain.AuditAnchor
	var at, alarmAt int64
	err := t.queryRow(`SELECT head_seq, head_hash, signed_seq, signed_hash, mac, keyed_from, alarm, alarm_at, updated_at
		FROM audit_anchor WHERE id = 1`).Scan(&a.HeadSeq, &a.HeadHash, &a.SignedSeq, &a.SignedHash, &a.MAC,
		&a.KeyedFrom, &a.Alarm, &alarmAt, &at)
	if err != nil {
		return a, noRows(err, "audit anchor", 1)
	}
	a.At, a.AlarmAt = fromMicros(at), fromMicros(alarmAt)
	return a, nil
}

// ---- sealed contacts (migrations/0010_sealed_contacts.sql)

// SealLegacyContacts seals the payee and buyer emails that rows written
// before migration 0010 hold in plaintext and clears the plaintext, then
// rewrites the two tables (VACUUM FULL) so the old row versions leave the
// table files. It needs the cipher unlocked (security.Vault calls it after
// every unlock; with nothing left to seal it costs two indexed reads). It
// returns how many values it sealed.
func (db *DB) SealLegacyContacts(ctx context.Context) (int, error) {
	n := 0
	err := db.Write(ctx, func(dtx domain.Tx) error {
		t := dtx.(*Tx)
		n = 0
		for _, c := range []struct {
			table, col, sealed string
			ref                func(int64) domain.FieldRef
		}{
			{"payees", "email", "email_sealed", payeeEmailRef},
			{"orders", "buyer_email", "buyer_email_sealed", buyerEmailRef},
		} {
			rows, err := t.query("SELECT id, " + c.col + " FROM " + c.table + " WHERE " + c.col + " <> ''")
			if err != nil {
				return err
			}
			type row struct {
				id    int64
				plain string
			}
			var todo []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.plain); err != nil {
					rows.Close()
					return err
				}
				todo = append(todo, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range todo {
				b, err := t.seal(c.table+" "+c.col, r.plain, c.ref(r.id))
				if err != nil {
					return err
				}
				if _, err := t.exec("UPDATE "+c.table+" SET "+c.col+" = '', "+c.sealed+" = ? WHERE id = ?", b, r.id); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil || n == 0 {
		return n, err
	}
	_, err = db.sql.ExecContext(ctx, "VACUUM (FULL) payees, orders")
	return n, db.classify("vacuum", err)
}

// ErasePayeeCopies removes the copies of an erased payee's personal data
// kept outside the payees row: mail to or about them in the outbox (sent
// or not: the payee is gone), payout rule names that carry one of names
// (renamed with alias in their place), the sealed destinations of their
// transfers (account, holder and email blanked; bank and amounts stay) and
// the account fingerprints of the changed-account rule.
func (t *Tx) ErasePayeeCopies(payeeID int64, names []string, email, alias string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if email != "" {
		if _, err := t.exec(`DELETE FROM mail_outbox WHERE lower(to_addr) = lower(?) OR strpos(lower(data), lower(?)) > 0`,
			email, email); err != nil {
			return err
		}
	}
	for _, n := range names {
		if n == "" {
			continue
		}
		if _, err := t.exec(`DELETE FROM mail_outbox WHERE to_name = ? OR strpos(data, ?) > 0`, n, n); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE payout_rules SET name = replace(name, ?, ?) WHERE strpos(name, ?) > 0`, n, alias, n); err != nil {
			return err
		}
	}
	if _, err := t.exec(`UPDATE transfer_destinations SET account_number = ''::bytea, account_holder = NULL, email = NULL
		WHERE transfer_id IN (SELECT id FROM transfers WHERE payee_id = ?)`, payeeID); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM risk_account_uses WHERE payee_id = ?`, payeeID)
	return err
}

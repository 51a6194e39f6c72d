package postgres

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"lunas/domain"
	"lunas/domain/risk"
)

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// ---- products

const productCols = "id, COALESCE(sku,''), name, price, COALESCE(payee_id,0), active, created_at, updated_at"

func scanProduct(s scanner) (domain.Product, error) {
	var p domain.Product
	var created, updated int64
	err := s.Scan(&p.ID, &p.SKU, &p.Name, &p.Price, &p.PayeeID, &p.Active, &created, &updated)
	p.Created, p.Modified = fromMicros(created), fromMicros(updated)
	return p, err
}

// GetProduct implements domain.ReadTx.
func (t *Tx) GetProduct(id int64) (domain.Product, error) {
	p, err := scanProduct(t.queryRow("SELECT "+productCols+" FROM products WHERE id = ?", id))
	return p, noRows(err, "product", id)
}

// ListProducts implements domain.ReadTx, ordered by name.
func (t *Tx) ListProducts(pg domain.Page) ([]domain.Product, error) {
	rows, err := t.query("SELECT " + productCols + " FROM products ORDER BY name COLLATE \"C\", id" + pageSQL(pg))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func validProduct(p *domain.Product) error {
	if p.Name == "" {
		return domain.Invalid("name", "product name is required")
	}
	if p.Price < 0 {
		return domain.Invalid("price", "price cannot be negative")
	}
	return nil
}

// CreateProduct implements domain.Tx; a duplicate SKU gives ErrDuplicate.
func (t *Tx) CreateProduct(p *domain.Product) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if err := validProduct(p); err != nil {
		return err
	}
	if p.Created.IsZero() {
		p.Created = t.now
	}
	p.Modified = t.now
	id, err := t.insertID(`INSERT INTO products(sku, name, price, payee_id, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, nullStr(p.SKU), p.Name, p.Price, nullID(p.PayeeID), p.Active,
		micros(p.Created), micros(p.Modified))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("product SKU %s already exists: %w", p.SKU, domain.ErrDuplicate)
	}
	if err != nil {
		return mapErr("product", err)
	}
	p.ID = id
	return nil
}

// UpdateProduct implements domain.Tx.
func (t *Tx) UpdateProduct(p *domain.Product) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if err := validProduct(p); err != nil {
		return err
	}
	p.Modified = t.now
	res, err := t.exec(`UPDATE products SET sku = ?, name = ?, price = ?, payee_id = ?, active = ?,
		updated_at = ? WHERE id = ?`, nullStr(p.SKU), p.Name, p.Price, nullID(p.PayeeID), p.Active, micros(p.Modified), p.ID)
	if err != nil {
		return mapErr("product", err)
	}
	if res.RowsAffected() == 0 {
		return notFound("product", p.ID)
	}
	return nil
}

// ---- payees

const payeeCols = `id, name, channel, account_number, account_holder, verification, email, email_sealed,
	COALESCE(payout_rule_id,0), daily_limit, erased, created_at, updated_at`

// accountRef is where a payee's encrypted account number lives.
func accountRef(id int64) domain.FieldRef {
	return domain.FieldRef{Table: "payees", Column: "account_number", Row: id}
}

// errNoCipher is returned when an encrypted column is touched without a key.
func errNoCipher(what string) error {
	return fmt.Errorf("%s is encrypted and the vault is locked: %w", what, domain.ErrLocked)
}

func (t *Tx) scanPayee(s scanner) (domain.Payee, error) {
	var p domain.Payee
	var acct, email []byte
	var created, updated int64
	var verif string
	err := s.Scan(&p.ID, &p.Name, &p.Channel, &acct, &p.AccountHolder, &verif, &p.Email, &email,
		&p.PayoutRuleID, &p.DailyLimit, &p.Erased, &created, &updated)
	if err != nil {
		return p, err
	}
	if email != nil { // else a plaintext email from before 0010, until SealLegacyContacts
		if p.Email, err = t.open("payee email", email, payeeEmailRef(p.ID)); err != nil {
			return p, err
		}
	}
	p.Verification = domain.VerificationState(verif)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	if acct != nil {
		c := t.db.opts.Cipher
		if c == nil {
			return p, errNoCipher("account number")
		}
		if p.AccountNumber, err = c.Open(acct, accountRef(p.ID)); err != nil {
			return p, fmt.Errorf("payee %d account number: %w", p.ID, err)
		}
	}
	return p, nil
}

// GetPayee implements domain.ReadTx, decrypting the account number.
// A write transaction keeps a copy of each payee it reads (later.go).
func (t *Tx) GetPayee(id int64) (domain.Payee, error) {
	if c := t.cache; c != nil {
		if p, ok := c.payees[id]; ok {
			return p, nil
		}
	}
	p, err := t.scanPayee(t.queryRow("SELECT "+payeeCols+" FROM payees WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("payee", id)
	}
	if err == nil && t.cache != nil {
		if t.cache.payees == nil {
			t.cache.payees = map[int64]domain.Payee{}
		}
		t.cache.payees[id] = p
	}
	return p, err
}

// ListPayees implements domain.ReadTx, ordered by name.
func (t *Tx) ListPayees(pg domain.Page) ([]domain.Payee, error) {
	rows, err := t.query("SELECT " + payeeCols + " FROM payees ORDER BY name COLLATE \"C\", id" + pageSQL(pg))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Payee
	for rows.Next() {
		p, err := t.scanPayee(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func validPayee(p *domain.Payee) error {
	// Names people read before approving money: NFKC, and nothing invisible
	// (zero-width, bidi overrides, control characters).
	var err error
	if p.Name, err = risk.CleanName(p.Name); err != nil {
		return err
	}
	if p.AccountHolder, err = risk.CleanName(p.AccountHolder); err != nil {
		return domain.Invalid("account_holder", "%v", err)
	}
	if p.Name == "" {
		return domain.Invalid("name", "payee name is required")
	}
	if p.DailyLimit < 0 {
		return domain.Invalid("daily_limit", "daily limit cannot be negative")
	}
	if p.Verification == "" {
		p.Verification = domain.VerifyNone
	}
	return nil
}

func payeeEmailRef(id int64) domain.FieldRef {
	return domain.FieldRef{Table: "payees", Column: "email", Row: id}
}

// sealAccount stores p's account number and email encrypted for its row
// (the plaintext email column stays empty).
func (t *Tx) sealAccount(p *domain.Payee) error {
	email, err := t.seal("payee email", p.Email, payeeEmailRef(p.ID))
	if err != nil {
		return err
	}
	if _, err := t.exec("UPDATE payees SET email = '', email_sealed = ? WHERE id = ?", email, p.ID); err != nil {
		return err
	}
	var blob []byte
	if p.AccountNumber != "" {
		c := t.db.opts.Cipher
		if c == nil {
			return errNoCipher("account number")
		}
		var err error
		if blob, err = c.Seal(p.AccountNumber, accountRef(p.ID)); err != nil {
			return fmt.Errorf("encrypt account number: %w", err)
		}
	}
	_, err = t.exec("UPDATE payees SET account_number = ? WHERE id = ?", blob, p.ID)
	return err
}

// CreatePayee implements domain.Tx. The account number is encrypted bound to
// the new row id, so the row is inserted first and sealed in the same tx.
func (t *Tx) CreatePayee(p *domain.Payee) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if err := validPayee(p); err != nil {
		return err
	}
	if (p.AccountNumber != "" || p.Email != "") && t.db.opts.Cipher == nil {
		return errNoCipher("account number")
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = t.now
	}
	p.UpdatedAt = t.now
	id, err := t.insertID(`INSERT INTO payees(name, channel, account_holder, verification, email,
		payout_rule_id, daily_limit, erased, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Name, p.Channel, p.AccountHolder, string(p.Verification), "", nullID(p.PayoutRuleID),
		p.DailyLimit, p.Erased, micros(p.CreatedAt), micros(p.UpdatedAt))
	if err != nil {
		return mapErr("payee", err)
	}
	p.ID = id
	return t.sealAccount(p)
}

// UpdatePayee implements domain.Tx, re-encrypting the account number.
func (t *Tx) UpdatePayee(p *domain.Payee) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if err := validPayee(p); err != nil {
		return err
	}
	before, err := t.GetPayee(p.ID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	p.UpdatedAt = t.now
	res, err := t.exec(`UPDATE payees SET name = ?, channel = ?, account_holder = ?, verification = ?,
		email = ?, payout_rule_id = ?, daily_limit = ?, erased = ?, updated_at = ? WHERE id = ?`,
		p.Name, p.Channel, p.AccountHolder, string(p.Verification), "", nullID(p.PayoutRuleID),
		p.DailyLimit, p.Erased, micros(p.UpdatedAt), p.ID)
	if err != nil {
		return mapErr("payee", err)
	}
	if res.RowsAffected() == 0 {
		return notFound("payee", p.ID)
	}
	if err := t.sealAccount(p); err != nil {
		return err
	}
	return t.trustAccountChanged(before, *p)
}

// ---- payout rules

// GetPayoutRule implements domain.ReadTx.
// A write transaction keeps a copy of each rule it reads (later.go).
func (t *Tx) GetPayoutRule(id int64) (domain.PayoutRule, error) {
	if c := t.cache; c != nil {
		if r, ok := c.rules[id]; ok {
			r.Shares = slices.Clone(r.Shares)
			return r, nil
		}
	}
	r := domain.PayoutRule{ID: id}
	err := t.queryRow("SELECT name FROM payout_rules WHERE id = ?", id).Scan(&r.Name)
	if err != nil {
		return r, noRows(err, "payout rule", id)
	}
	rules := map[int64]*domain.PayoutRule{id: &r}
	if err := t.loadShares(rules, " WHERE rule_id = ?", id); err != nil {
		return r, err
	}
	if t.cache != nil {
		if t.cache.rules == nil {
			t.cache.rules = map[int64]domain.PayoutRule{}
		}
		keep := r
		keep.Shares = slices.Clone(r.Shares)
		t.cache.rules[id] = keep
	}
	return r, nil
}

// ListPayoutRules implements domain.ReadTx, ordered by id.
func (t *Tx) ListPayoutRules() ([]domain.PayoutRule, error) {
	rows, err := t.query("SELECT id, name FROM payout_rules ORDER BY id")
	if err != nil {
		return nil, err
	}
	var out []domain.PayoutRule
	for rows.Next() {
		var r domain.PayoutRule
		if err := rows.Scan(&r.ID, &r.Name); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	byID := make(map[int64]*domain.PayoutRule, len(out))
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	return out, t.loadShares(byID, "")
}

func (t *Tx) loadShares(rules map[int64]*domain.PayoutRule, cond string, args ...any) error {
	rows, err := t.query("SELECT rule_id, role, COALESCE(payee_id,0), bps, fixed FROM payout_shares"+
		cond+" ORDER BY rule_id, position", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s domain.Share
		var role string
		if err := rows.Scan(&id, &role, &s.PayeeID, &s.BPS, &s.Fixed); err != nil {
			return err
		}
		s.Role = domain.ShareRole(role)
		if r := rules[id]; r != nil {
			r.Shares = append(r.Shares, s)
		}
	}
	return rows.Err()
}

// CreatePayoutRule implements domain.Tx; the rule must validate.
func (t *Tx) CreatePayoutRule(r *domain.PayoutRule) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if r.Name == "" {
		return domain.Invalid("name", "a payout rule needs a name")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	id, err := t.insertID("INSERT INTO payout_rules(name) VALUES (?)", r.Name)
	if err != nil {
		return mapErr("payout rule", err)
	}
	r.ID = id
	for i, s := range r.Shares {
		if _, err := t.exec(`INSERT INTO payout_shares(rule_id, position, role, payee_id, bps, fixed)
			VALUES (?, ?, ?, ?, ?, ?)`, r.ID, i, string(s.Role), nullID(s.PayeeID), s.BPS, s.Fixed); err != nil {
			return mapErr("payout rule share", err)
		}
	}
	return nil
}

// ---- settings

// GetSetting implements domain.ReadTx.
// Settings are read once per transaction (later.go).
func (t *Tx) GetSetting(key string) (string, error) {
	m := t.settingCopies()
	if s, ok := (*m)[key]; ok {
		if !s.found {
			return "", notFound("setting", key)
		}
		return s.value, nil
	}
	var v string
	err := t.queryRow("SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	m = t.settingCopies() // the query may have dropped the copies
	if *m == nil {
		*m = map[string]setting{}
	}
	(*m)[key] = setting{value: v, found: err == nil}
	return v, noRows(err, "setting", key)
}

// settingCopies returns the transaction's copies of settings.
func (t *Tx) settingCopies() *map[string]setting {
	if t.cache != nil {
		return &t.cache.settings
	}
	return &t.readSettings
}

// SetSetting implements domain.Tx (insert or replace).
func (t *Tx) SetSetting(key, value string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if key == "" {
		return domain.Invalid("key", "setting key is required")
	}
	_, err := t.exec(`INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return mapErr("setting", err)
	}
	if m := t.settingCopies(); *m != nil {
		(*m)[key] = setting{value: clean(value), found: true}
	}
	return nil
}

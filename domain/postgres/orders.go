package postgres

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"lunas/domain"
)

// ---- orders

const orderCols = `id, external_id, source, buyer_name, buyer_email, buyer_email_sealed, shipping, fees, discount,
	COALESCE(payout_rule_id,0), status, created_at`

func (t *Tx) scanOrder(s scanner) (domain.Order, error) {
	o, sealed, err := scanOrderSealed(s)
	if err == nil {
		o.BuyerEmail, err = t.buyerEmail(o.ID, o.BuyerEmail, sealed)
	}
	return o, err
}

// scanOrderSealed scans an order leaving its buyer email sealed.
func scanOrderSealed(s scanner) (domain.Order, []byte, error) {
	var o domain.Order
	var status string
	var created int64
	var email []byte
	err := s.Scan(&o.ID, &o.ExternalID, &o.Source, &o.BuyerName, &o.BuyerEmail, &email, &o.Shipping, &o.Fees,
		&o.Discount, &o.PayoutRuleID, &status, &created)
	o.Status, o.CreatedAt = domain.OrderStatus(status), fromMicros(created)
	return o, email, err
}

func buyerEmailRef(id int64) domain.FieldRef {
	return domain.FieldRef{Table: "orders", Column: "buyer_email", Row: id}
}

// buyerEmail opens a sealed buyer email, or returns the plaintext of a row
// from before migration 0010 that SealLegacyContacts has not sealed yet.
func (t *Tx) buyerEmail(id int64, plain string, sealed []byte) (string, error) {
	if sealed == nil {
		return plain, nil
	}
	return t.open("buyer email", sealed, buyerEmailRef(id))
}

// GetOrder implements domain.ReadTx, with items.
func (t *Tx) GetOrder(id int64) (domain.Order, error) {
	if o, ok, err := t.orderCopy(id); ok {
		return o, err
	}
	return t.getOrder("id", id)
}

// GetOrderByExternalID implements domain.ReadTx, with items.
func (t *Tx) GetOrderByExternalID(externalID string) (domain.Order, error) {
	return t.getOrder("external_id", externalID)
}

func (t *Tx) getOrder(col string, key any) (domain.Order, error) {
	o, err := t.scanOrder(t.queryRow("SELECT "+orderCols+" FROM orders WHERE "+col+" = ?", key))
	if err != nil {
		return o, noRows(err, "order", key)
	}
	t.know("orders", o.ID, string(o.Status))
	list := []domain.Order{o}
	if err := t.loadItems(list); err != nil {
		return o, err
	}
	return list[0], nil
}

// loadItems fills Items for every order in one query.
func (t *Tx) loadItems(orders []domain.Order) error {
	if len(orders) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(orders))
	ids := make([]int64, len(orders))
	for i, o := range orders {
		idx[o.ID], ids[i] = i, o.ID
	}
	rows, err := t.query(`SELECT order_id, COALESCE(product_id,0), name, qty, unit_price
		FROM order_items WHERE order_id = ANY(?) ORDER BY order_id, position`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var it domain.OrderItem
		if err := rows.Scan(&id, &it.ProductID, &it.Name, &it.Qty, &it.UnitPrice); err != nil {
			return err
		}
		o := &orders[idx[id]]
		o.Items = append(o.Items, it)
	}
	return rows.Err()
}

func orderWhere(f domain.OrderFilter) *where {
	w := &where{}
	in(w, "status", f.Statuses)
	if !f.From.IsZero() {
		w.add("created_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at < ?", micros(f.To))
	}
	if f.Search != "" {
		p := likeContains(f.Search)
		w.add(`(external_id ILIKE ? ESCAPE '\' OR buyer_name ILIKE ? ESCAPE '\')`, p, p)
	}
	return w
}

// ListOrders implements domain.ReadTx, newest first, with items.
func (t *Tx) ListOrders(f domain.OrderFilter) ([]domain.Order, error) {
	w := orderWhere(f)
	rows, err := t.query("SELECT "+orderCols+" FROM orders"+w.sql()+" ORDER BY id DESC"+pageSQL(f.Page), w.args...)
	if err != nil {
		return nil, err
	}
	var out []domain.Order
	for rows.Next() {
		o, err := t.scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Bounded by the page; unpaged lists load items in chunks of 500 ids.
	for i := 0; i < len(out); i += 500 {
		if err := t.loadItems(out[i:min(i+500, len(out))]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountOrders implements domain.ReadTx (Page is ignored).
func (t *Tx) CountOrders(f domain.OrderFilter) (int, error) {
	w := orderWhere(f)
	var n int
	err := t.queryRow("SELECT COUNT(*) FROM orders"+w.sql(), w.args...).Scan(&n)
	return n, err
}

// CreateOrder implements domain.Tx: validates, stores the computed total and
// the items, sets o.ID. A duplicate ExternalID gives ErrDuplicate.
func (t *Tx) CreateOrder(o *domain.Order) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	max, err := domain.MaxAmount(t, domain.SettingMaxOrder)
	if err != nil {
		return err
	}
	if err := o.CheckMaxOrder(max); err != nil {
		return err
	}
	total, err := o.Total()
	if err != nil {
		return err
	}
	if o.Status == "" {
		o.Status = domain.OrderOpen
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = t.now
	}
	id, err := t.insertID(`INSERT INTO orders(external_id, source, buyer_name, buyer_email, shipping,
		fees, discount, total, payout_rule_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		o.ExternalID, o.Source, o.BuyerName, "", o.Shipping, o.Fees, o.Discount, total,
		nullID(o.PayoutRuleID), string(o.Status), micros(o.CreatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("order %s already exists: %w", o.ExternalID, domain.ErrDuplicate)
	}
	if err != nil {
		return mapErr("order "+o.ExternalID, err)
	}
	o.ID = id
	if o.BuyerEmail != "" {
		sealed, err := t.seal("buyer email", o.BuyerEmail, buyerEmailRef(o.ID))
		if err != nil {
			return err
		}
		if _, err := t.exec("UPDATE orders SET buyer_email_sealed = ? WHERE id = ?", sealed, o.ID); err != nil {
			return err
		}
	}
	for i, it := range o.Items {
		if _, err := t.exec(`INSERT INTO order_items(order_id, position, product_id, name, qty, unit_price)
			VALUES (?, ?, ?, ?, ?, ?)`, o.ID, i, nullID(it.ProductID), it.Name, it.Qty, it.UnitPrice); err != nil {
			return mapErr("order item", err)
		}
	}
	return nil
}

// SetOrderStatus implements domain.Tx (compare-and-set).
func (t *Tx) SetOrderStatus(id int64, from, to domain.OrderStatus) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	const q = "UPDATE orders SET status = ? WHERE id = ? AND status = ?"
	if ok, err := t.casLater("orders", id, string(from), string(to), bulkOrders, string(to), id, string(from)); ok {
		return err
	}
	res, err := t.exec(q, string(to), id, string(from))
	if err != nil {
		return mapErr("order status", err)
	}
	if res.RowsAffected() == 0 {
		return t.casFailed("orders", "id", id, "order", from)
	}
	t.know("orders", id, string(to))
	t.dropCopy("orders", id)
	return nil
}

// ---- payments

const paymentCols = `id, order_id, gateway, external_id, gateway_ref, amount, paid_amount, status, url, flag_reason,
	created_at, expires_at, settled_at, next_poll_at, poll_count, last_checked`

func scanPayment(s scanner) (domain.Payment, error) {
	var p domain.Payment
	var status string
	var created, expires, settled, next, checked int64
	err := s.Scan(&p.ID, &p.OrderID, &p.Gateway, &p.ExternalID, &p.GatewayRef, &p.Amount, &p.PaidAmount, &status,
		&p.URL, &p.FlagReason, &created, &expires, &settled, &next, &p.PollCount, &checked)
	p.Status = domain.PaymentStatus(status)
	p.CreatedAt, p.ExpiresAt, p.SettledAt = fromMicros(created), fromMicros(expires), fromMicros(settled)
	p.NextPollAt, p.LastChecked = fromMicros(next), fromMicros(checked)
	return p, err
}

// GetPayment implements domain.ReadTx.
func (t *Tx) GetPayment(id int64) (domain.Payment, error) {
	if p, ok := t.paymentCopy(id); ok {
		return p, nil
	}
	p, err := scanPayment(t.queryRow("SELECT "+paymentCols+" FROM payments WHERE id = ?", id))
	if err == nil {
		t.know("payments", p.ID, string(p.Status))
	}
	return p, noRows(err, "payment", id)
}

// GetPaymentByExternalID implements domain.ReadTx.
func (t *Tx) GetPaymentByExternalID(externalID string) (domain.Payment, error) {
	if p, ok := t.paymentCopyByExt(externalID); ok {
		return p, nil
	}
	p, err := scanPayment(t.queryRow("SELECT "+paymentCols+" FROM payments WHERE external_id = ?", externalID))
	if err == nil {
		t.know("payments", p.ID, string(p.Status))
	}
	return p, noRows(err, "payment", externalID)
}

// ListPayments implements domain.ReadTx: newest first, or, with DuePoll,
// the pending payments due for polling, most overdue first.
func (t *Tx) ListPayments(f domain.PaymentFilter) ([]domain.Payment, error) {
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
	order := " ORDER BY id DESC"
	if !f.DuePoll.IsZero() {
		w.add("status = ? AND next_poll_at <= ?", string(domain.PaymentPending), micros(f.DuePoll))
		order = " ORDER BY next_poll_at, id"
	}
	rows, err := t.query("SELECT "+paymentCols+" FROM payments"+w.sql()+order+pageSQL(f.Page), w.args...)
	if err != nil {
		return nil, err
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

// CreatePayment implements domain.Tx; a duplicate ExternalID gives ErrDuplicate.
func (t *Tx) CreatePayment(p *domain.Payment) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	switch {
	case p.ExternalID == "":
		return domain.Invalid("external_id", "payment reference is required")
	case p.Gateway == "":
		return domain.Invalid("gateway", "payment gateway is required")
	case p.Amount <= 0:
		return domain.Invalid("amount", "payment amount must be more than Rp0")
	}
	if p.Status == "" {
		p.Status = domain.PaymentPending
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = t.now
	}
	id, err := t.insertID(`INSERT INTO payments(order_id, gateway, external_id, gateway_ref, amount,
		paid_amount, status, url, flag_reason, created_at, expires_at, settled_at, next_poll_at, poll_count, last_checked)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.OrderID, p.Gateway, p.ExternalID, p.GatewayRef, p.Amount, p.PaidAmount, string(p.Status), p.URL,
		p.FlagReason, micros(p.CreatedAt), micros(p.ExpiresAt), micros(p.SettledAt), micros(p.NextPollAt),
		p.PollCount, micros(p.LastChecked))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("payment %s already exists: %w", p.ExternalID, domain.ErrDuplicate)
	}
	if err != nil {
		return mapErr("payment "+p.ExternalID, err)
	}
	p.ID = id
	return nil
}

// SetPaymentStatus implements domain.Tx (compare-and-set). A zero at leaves
// the settlement time unchanged.
func (t *Tx) SetPaymentStatus(id int64, from, to domain.PaymentStatus, paid domain.Rupiah, flagReason string, at time.Time) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	const q = `UPDATE payments SET status = ?, paid_amount = ?, flag_reason = ?,
		settled_at = CASE WHEN ?::bigint = 0 THEN settled_at ELSE ?::bigint END
		WHERE id = ? AND status = ?`
	args := []any{string(to), paid, flagReason, micros(at), micros(at), id, string(from)}
	if ok, err := t.casLater("payments", id, string(from), string(to), bulkPayments,
		string(to), int64(paid), flagReason, micros(at), id, string(from)); ok {
		return err
	}
	res, err := t.exec(q, args...)
	if err != nil {
		return mapErr("payment status", err)
	}
	if res.RowsAffected() == 0 {
		return t.casFailed("payments", "id", id, "payment", from)
	}
	t.know("payments", id, string(to))
	t.dropCopy("payments", id)
	return nil
}

// SchedulePoll implements domain.Tx.
func (t *Tx) SchedulePoll(id int64, checked, next time.Time) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if ok, err := t.keepKnown("payments", id, bulkPolls, micros(checked), micros(next), id); ok {
		return err
	}
	res, err := t.exec(`UPDATE payments SET poll_count = poll_count + 1, last_checked = ?,
		next_poll_at = ? WHERE id = ?`, micros(checked), micros(next), id)
	if err != nil {
		return fmt.Errorf("schedule poll %d: %w", id, err)
	}
	if res.RowsAffected() == 0 {
		return notFound("payment", id)
	}
	return nil
}

// ---- obligations

const obligationCols = "id, payment_id, order_id, payee_id, role, amount, status, created_at"

func scanObligation(s scanner) (domain.Obligation, error) {
	var o domain.Obligation
	var role, status string
	var created int64
	err := s.Scan(&o.ID, &o.PaymentID, &o.OrderID, &o.PayeeID, &role, &o.Amount, &status, &created)
	o.Role, o.Status, o.CreatedAt = domain.ShareRole(role), domain.ObligationStatus(status), fromMicros(created)
	return o, err
}

// GetObligation implements domain.ReadTx.
func (t *Tx) GetObligation(id int64) (domain.Obligation, error) {
	if o, ok, err := t.obligationCopy(id); ok || err != nil {
		return o, err
	}
	o, err := scanObligation(t.queryRow("SELECT "+obligationCols+" FROM obligations WHERE id = ?", id))
	if err == nil {
		t.know("obligations", o.ID, string(o.Status))
	}
	return o, noRows(err, "obligation", id)
}

// ListObligationsByPayment implements domain.ReadTx, in creation order.
func (t *Tx) ListObligationsByPayment(paymentID int64) ([]domain.Obligation, error) {
	rows, err := t.query("SELECT "+obligationCols+" FROM obligations WHERE payment_id = ? ORDER BY id", paymentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Obligation
	for rows.Next() {
		o, err := scanObligation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CreateObligation implements domain.Tx.
func (t *Tx) CreateObligation(o *domain.Obligation) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if o.Amount <= 0 {
		return domain.Invalid("amount", "an obligation must be more than Rp0")
	}
	if o.Status == "" {
		o.Status = domain.ObligationOpen
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = t.now
	}
	switch o.Role {
	case domain.RoleSeller, domain.RoleSupplier, domain.RoleCommission, domain.RoleGatewayFee:
	default:
		return domain.Invalid("role", "unknown share role %q", o.Role)
	}
	switch o.Status {
	case domain.ObligationOpen, domain.ObligationPaid, domain.ObligationReopened, domain.ObligationVoid:
	default:
		return domain.Invalid("status", "unknown obligation status %q", o.Status)
	}
	// The id comes from the table's sequence and the row is kept with the
	// transaction's other new obligations, sent as one statement (bulk.go).
	id, err := t.nextID("obligations")
	if err != nil {
		return fmt.Errorf("obligation: %w", err)
	}
	if t.cache.flushErr != nil {
		return t.cache.flushErr
	}
	t.keep(bulkNewObligations, nil, id, o.PaymentID, o.OrderID, o.PayeeID, string(o.Role), int64(o.Amount), string(o.Status),
		micros(o.CreatedAt))
	o.ID = id
	t.know("obligations", id, string(o.Status))
	return nil
}

// SetObligationStatus implements domain.Tx (compare-and-set).
func (t *Tx) SetObligationStatus(id int64, from, to domain.ObligationStatus) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	const q = "UPDATE obligations SET status = ? WHERE id = ? AND status = ?"
	if ok, err := t.casLater("obligations", id, string(from), string(to), bulkObligations, string(to), id, string(from)); ok {
		return err
	}
	res, err := t.exec(q, string(to), id, string(from))
	if err != nil {
		return mapErr("obligation status", err)
	}
	if res.RowsAffected() == 0 {
		return t.casFailed("obligations", "id", id, "obligation", from)
	}
	t.know("obligations", id, string(to))
	t.dropCopy("obligations", id)
	return nil
}

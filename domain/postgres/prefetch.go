package postgres

import (
	"slices"

	"lunas/domain"
	"lunas/domain/engine"
)

var _ engine.Prefetcher = (*Tx)(nil)

// rowCopies are rows a write transaction read ahead for a batch
// (engine.Prefetcher): the Get methods answer from them, in the same
// transaction only, until the transaction writes to the row (its own
// compare-and-set drops that row's copy) or runs any other write that
// names the table (prepare drops the table's copies). The writer lock
// keeps every other writer out meanwhile.
type rowCopies struct {
	payments    map[int64]domain.Payment
	paymentExt  map[string]int64
	orders      map[int64]sealedOrder
	transfers   map[string]domain.Transfer
	obligations map[int64]domain.Obligation
	dests       map[int64]sealedDest // by transfer id
	// aheadObs and aheadDests are the obligations and destinations (by
	// transfer id) of the transfers read ahead, not read yet.
	aheadObs, aheadDests []int64
}

// sealedOrder is an order with its buyer email as stored; opened when
// read, so that a batch does not fail on an email it never needed.
type sealedOrder struct {
	o      domain.Order
	sealed []byte
}

// sealedDest is a destination row as stored; opened when read.
type sealedDest struct {
	bank                string
	acct, holder, email []byte
}

// drop forgets the copies a write statement q may change.
func (r *rowCopies) drop(has func(string) bool) {
	if has("payments") {
		r.payments, r.paymentExt = nil, nil
	}
	if has("orders") || has("order_items") {
		r.orders = nil
	}
	if has("transfers") {
		r.transfers = nil
	}
	if has("obligations") {
		r.obligations = nil
	}
	if has("transfer_destinations") {
		r.dests = nil
	}
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// PrefetchPayments implements engine.Prefetcher: the payments with these
// external ids and their orders with items, in three queries.
func (t *Tx) PrefetchPayments(externalIDs []string) error {
	c := t.cache
	if c == nil || len(externalIDs) == 0 {
		return nil
	}
	rows, err := t.query("SELECT "+paymentCols+" FROM payments WHERE external_id = ANY(?)", cleanAll(externalIDs))
	if err != nil {
		return err
	}
	defer rows.Close()
	if c.copies.payments == nil {
		c.copies.payments, c.copies.paymentExt = map[int64]domain.Payment{}, map[string]int64{}
	}
	var orderIDs []int64
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return err
		}
		c.copies.payments[p.ID], c.copies.paymentExt[p.ExternalID] = p, p.ID
		t.know("payments", p.ID, string(p.Status))
		orderIDs = append(orderIDs, p.OrderID)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(orderIDs) == 0 {
		return nil
	}
	orows, err := t.query("SELECT "+orderCols+" FROM orders WHERE id = ANY(?)", orderIDs)
	if err != nil {
		return err
	}
	defer orows.Close()
	var orders []domain.Order
	var sealed [][]byte
	for orows.Next() {
		o, email, err := scanOrderSealed(orows)
		if err != nil {
			return err
		}
		orders, sealed = append(orders, o), append(sealed, email)
	}
	if err := orows.Err(); err != nil {
		return err
	}
	if err := t.loadItems(orders); err != nil {
		return err
	}
	if c.copies.orders == nil {
		c.copies.orders = map[int64]sealedOrder{}
	}
	for i, o := range orders {
		c.copies.orders[o.ID] = sealedOrder{o: o, sealed: sealed[i]}
		t.know("orders", o.ID, string(o.Status))
	}
	return nil
}

// PrefetchTransfers implements engine.Prefetcher: the transfers with these
// REFIDs in one query, and their obligations and destinations in one query
// each when the first of them is asked for.
func (t *Tx) PrefetchTransfers(refIDs []string) error {
	c := t.cache
	if c == nil || len(refIDs) == 0 {
		return nil
	}
	rows, err := t.query("SELECT "+transferCols+" FROM transfers t WHERE t.refid = ANY(?)", cleanAll(refIDs))
	if err != nil {
		return err
	}
	defer rows.Close()
	if c.copies.transfers == nil {
		c.copies.transfers = map[string]domain.Transfer{}
	}
	var obIDs, ids []int64
	for rows.Next() {
		x, err := scanTransfer(rows)
		if err != nil {
			return err
		}
		c.copies.transfers[x.RefID] = x
		t.know("transfers", x.RefID, string(x.Status))
		ids = append(ids, x.ID)
		if x.ObligationID != 0 {
			obIDs = append(obIDs, x.ObligationID)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Their obligations and destinations are read when the first of them
	// is asked for: a batch that only moves the transfers (the sender's)
	// reads neither.
	c.copies.aheadObs, c.copies.aheadDests = obIDs, ids
	return nil
}

// loadAheadObligations reads the obligations of the transfers read ahead.
func (t *Tx) loadAheadObligations() error {
	c := t.cache
	ids := c.copies.aheadObs
	c.copies.aheadObs = nil
	rows, err := t.query("SELECT "+obligationCols+" FROM obligations WHERE id = ANY(?)", ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	if c.copies.obligations == nil {
		c.copies.obligations = map[int64]domain.Obligation{}
	}
	for rows.Next() {
		o, err := scanObligation(rows)
		if err != nil {
			return err
		}
		c.copies.obligations[o.ID] = o
		t.know("obligations", o.ID, string(o.Status))
	}
	return rows.Err()
}

// loadAheadDests reads the destinations of the transfers read ahead.
func (t *Tx) loadAheadDests() error {
	c := t.cache
	ids := c.copies.aheadDests
	c.copies.aheadDests = nil
	rows, err := t.query(`SELECT transfer_id, bank, account_number, account_holder, email
		FROM transfer_destinations WHERE transfer_id = ANY(?)`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	if c.copies.dests == nil {
		c.copies.dests = map[int64]sealedDest{}
	}
	for rows.Next() {
		var id int64
		var d sealedDest
		if err := rows.Scan(&id, &d.bank, &d.acct, &d.holder, &d.email); err != nil {
			return err
		}
		c.copies.dests[id] = d
	}
	return rows.Err()
}

// The copies' lookups, for the Get methods.

func (t *Tx) paymentCopy(id int64) (domain.Payment, bool) {
	if t.cache == nil {
		return domain.Payment{}, false
	}
	p, ok := t.cache.copies.payments[id]
	return p, ok
}

func (t *Tx) paymentCopyByExt(ext string) (domain.Payment, bool) {
	if t.cache == nil {
		return domain.Payment{}, false
	}
	id, ok := t.cache.copies.paymentExt[ext]
	if !ok {
		return domain.Payment{}, false
	}
	return t.paymentCopy(id)
}

func (t *Tx) orderCopy(id int64) (domain.Order, bool, error) {
	if t.cache == nil {
		return domain.Order{}, false, nil
	}
	so, ok := t.cache.copies.orders[id]
	if !ok {
		return domain.Order{}, false, nil
	}
	o := so.o
	o.Items = slices.Clone(o.Items)
	var err error
	o.BuyerEmail, err = t.buyerEmail(o.ID, o.BuyerEmail, so.sealed)
	return o, true, err
}

func (t *Tx) transferCopy(refID string) (domain.Transfer, bool) {
	if t.cache == nil {
		return domain.Transfer{}, false
	}
	x, ok := t.cache.copies.transfers[refID]
	return x, ok
}

func (t *Tx) obligationCopy(id int64) (domain.Obligation, bool, error) {
	if t.cache == nil {
		return domain.Obligation{}, false, nil
	}
	if _, ok := t.cache.copies.obligations[id]; !ok && slices.Contains(t.cache.copies.aheadObs, id) {
		if err := t.loadAheadObligations(); err != nil {
			return domain.Obligation{}, false, err
		}
	}
	o, ok := t.cache.copies.obligations[id]
	return o, ok, nil
}

func (t *Tx) destCopy(transferID int64) (sealedDest, bool, error) {
	if t.cache == nil {
		return sealedDest{}, false, nil
	}
	if _, ok := t.cache.copies.dests[transferID]; !ok && slices.Contains(t.cache.copies.aheadDests, transferID) {
		if err := t.loadAheadDests(); err != nil {
			return sealedDest{}, false, err
		}
	}
	d, ok := t.cache.copies.dests[transferID]
	return d, ok, nil
}

// dropCopy forgets the copy of the row of table with key (the transaction
// wrote to it).
func (t *Tx) dropCopy(table string, key any) {
	if t.cache == nil {
		return
	}
	r := &t.cache.copies
	switch table {
	case "payments":
		delete(r.payments, key.(int64))
	case "orders":
		delete(r.orders, key.(int64))
	case "transfers":
		delete(r.transfers, key.(string))
	case "obligations":
		delete(r.obligations, key.(int64))
	}
}

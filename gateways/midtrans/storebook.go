package midtrans

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lunas/domain"
)

// StoreBook is a RefBook that survives restarts: it keeps what this process
// learns in memory and falls back to the transfers in the store, where the
// engine records each transfer's gateway reference (the Iris reference_no
// returned by Send) and the time its sending was first committed.
type StoreBook struct {
	mem   *MemoryBook
	store interface {
		Read(ctx context.Context, fn func(domain.ReadTx) error) error
	}
	timeout time.Duration
}

// NewStoreBook returns a StoreBook over store.
func NewStoreBook(store domain.Store) *StoreBook {
	return &StoreBook{mem: NewMemoryBook(), store: store, timeout: 5 * time.Second}
}

// Get implements RefBook. A transfer found only in the store has no original
// request to replay; Status then treats it by its reference_no, or by the
// resend window when the reference_no was never learnt.
func (b *StoreBook) Get(refID string) (IrisEntry, bool) {
	e, ok, _ := b.Lookup(refID)
	return e, ok
}

// Lookup is Get that tells a store that could not be read (an error) from a
// REFID never sent through Iris (ok false, nil): Status must not answer
// "not found" (which lets the engine resend) because the database was slow.
func (b *StoreBook) Lookup(refID string) (IrisEntry, bool, error) {
	if e, ok := b.mem.Get(refID); ok {
		return e, true, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	var t domain.Transfer
	err := b.store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		t, err = tx.GetTransfer(refID)
		return err
	})
	if errors.Is(err, domain.ErrNotFound) {
		return IrisEntry{}, false, nil
	}
	if err != nil {
		return IrisEntry{}, false, fmt.Errorf("iris: read the transfer %s from the store: %w", refID, err)
	}
	if t.Channel != "iris" || t.SentAt.IsZero() {
		return IrisEntry{}, false, nil
	}
	e := IrisEntry{RefID: refID, ReferenceNo: t.GatewayRef, FirstSent: t.SentAt, Completed: t.Status == domain.TransferSucceeded}
	b.mem.Put(e)
	return e, true, nil
}

// Put implements RefBook (in memory; the engine stores the reference itself).
func (b *StoreBook) Put(e IrisEntry) { b.mem.Put(e) }

// RefIDFor maps a reference_no to its REFID for notifications, from what
// this process has seen.
func (b *StoreBook) RefIDFor(referenceNo string) (string, bool) { return b.mem.RefIDFor(referenceNo) }

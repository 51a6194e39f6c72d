package midtrans

import (
	"context"
	"errors"
	"testing"
	"time"

	"lunas/domain"
)

// transfersOnly is a read-only store holding transfers. A fake, because a
// real store row needs an order, payment, obligation and an encrypted payee
// (vault) first; the SQLite store's own tests cover GetTransfer.
type transfersOnly struct {
	domain.ReadTx
	m map[string]domain.Transfer
}

func (s transfersOnly) GetTransfer(refID string) (domain.Transfer, error) {
	t, ok := s.m[refID]
	if !ok {
		return t, domain.ErrNotFound
	}
	return t, nil
}

func (s transfersOnly) Read(ctx context.Context, fn func(domain.ReadTx) error) error { return fn(s) }

// TestStoreBookSurvivesRestart: a new Iris (a restarted app) still queries a
// payout sent before the restart, and looks one whose reference_no was
// never learnt up in Iris's statements.
func TestStoreBookSurvivesRestart(t *testing.T) {
	srv, url := irisEnv(t)
	ctx := context.Background()
	before := irisFor(srv, url, nil)
	res, err := before.Send(ctx, payout("REF-RESTART", "0611101146"))
	if err != nil {
		t.Fatal(err)
	}
	now := srv.Now()
	store := transfersOnly{m: map[string]domain.Transfer{
		"REF-RESTART": {RefID: "REF-RESTART", Channel: "iris", GatewayRef: res.GatewayRef, SentAt: now, Status: domain.TransferAccepted},
		"REF-NOREF":   {RefID: "REF-NOREF", Channel: "iris", SentAt: now, Status: domain.TransferUnknown},
		"REF-XENDIT":  {RefID: "REF-XENDIT", Channel: "xendit", SentAt: now},
	}}
	sb := &StoreBook{mem: NewMemoryBook(), store: store, timeout: time.Second}
	after := irisFor(srv, url, func(c *IrisConfig) { c.Book = sb })
	srv.Advance(time.Hour)
	if got, err := after.Status(ctx, "REF-RESTART"); err != nil || got.Outcome != domain.OutcomeSucceeded || got.GatewayRef != res.GatewayRef {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	if got, err := after.Status(ctx, "REF-NOREF"); err != nil || got.Outcome != domain.OutcomeNotFound {
		t.Fatalf("no reference inside the window: %+v, %v", got, err)
	}
	if got, err := after.Status(ctx, "REF-XENDIT"); err != nil || got.Outcome != domain.OutcomeNotFound {
		t.Fatalf("another channel's REFID: %+v, %v", got, err)
	}
	// Past the key window the answer is the same fact (no payout in the
	// statements); the engine, not Status, refuses the resend.
	srv.Advance(24 * time.Hour)
	if got, err := after.Status(ctx, "REF-NOREF"); err != nil || got.Outcome != domain.OutcomeNotFound {
		t.Fatalf("no reference past the window: %+v, %v", got, err)
	}
	// Older than the statements Iris serves: no answer, not "not found".
	srv.Advance(31 * 24 * time.Hour)
	if got, err := after.Status(ctx, "REF-NOREF"); !errors.Is(err, ErrReferenceUnknown) || got.Outcome != domain.OutcomeUnknown {
		t.Fatalf("no reference past the statements: %+v, %v", got, err)
	}
}

// unreadable is a store whose reads fail (a database that is away or slow).
type unreadable struct{ err error }

func (s unreadable) Read(ctx context.Context, fn func(domain.ReadTx) error) error { return s.err }

// TestStoreBookUnreadableIsNotNotFound: when the store cannot be read,
// Status answers unknown with the error, never "not found" (which lets the
// engine resend the REFID), and Send sends nothing.
func TestStoreBookUnreadableIsNotNotFound(t *testing.T) {
	srv, url := irisEnv(t)
	ctx := context.Background()
	away := errors.New("database is away")
	sb := &StoreBook{mem: NewMemoryBook(), store: unreadable{away}, timeout: time.Second}
	it := irisFor(srv, url, func(c *IrisConfig) { c.Book = sb })
	got, err := it.Status(ctx, "REF-AWAY")
	if !errors.Is(err, away) || got.Outcome != domain.OutcomeUnknown {
		t.Fatalf("status with the store away: %+v, %v", got, err)
	}
	got, err = it.Send(ctx, payout("REF-AWAY", "0611101146"))
	if !errors.Is(err, away) || got.Outcome != domain.OutcomeUnknown {
		t.Fatalf("send with the store away: %+v, %v", got, err)
	}
	// Nothing reached Iris: with the store back, the REFID is unknown there.
	sb.store = transfersOnly{m: map[string]domain.Transfer{}}
	if got, err := it.Status(ctx, "REF-AWAY"); err != nil || got.Outcome != domain.OutcomeNotFound {
		t.Fatalf("status with the store back: %+v, %v", got, err)
	}
}

package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"lunas/domain"
)

// noMoney reports statuses and outcomes that mean no money left the account.
func noMoney(s string) bool {
	switch s {
	case string(domain.TransferFailed), string(domain.TransferRejected), string(domain.TransferCancelled),
		string(domain.OutcomeNotFound):
		return true
	}
	return false
}

// conflictingNews handles gateway news that contradicts a final status. It
// is never applied (late news wins only forward), but when it may mean that
// money moved for a transfer recorded as not paid (e.g. "succeeded" or
// "accepted" for a failed one), it is recorded as an open conflict: the
// obligation then gets no new REFID until a person resolves it, because the
// gateway may really have paid. Every contradiction is audited and raised.
func (e *Engine) conflictingNews(tx domain.Tx, t domain.Transfer, r domain.PayoutResult, actor string, now time.Time, events *[]Event) error {
	detail := fmt.Sprintf("stored %s, gateway says %s", t.Status, r.Outcome)
	if r.RawStatus != "" {
		detail += " (" + r.RawStatus + ")"
	}
	if noMoney(string(t.Status)) && noMoney(string(r.Outcome)) {
		// Both say nothing was paid (failed vs cancelled): nothing to guard.
		return audit(tx, now, actor, "transfer.conflicting_news", "transfer:"+t.RefID, detail)
	}
	e.log.Warn("news contradicts a final status", "refid", t.RefID, "status", t.Status, "news", r.Outcome)
	ctx, ok := tx.(ConflictTx)
	if !ok {
		return fmt.Errorf("transfer %s: %s, and the store cannot record conflicts", t.RefID, detail)
	}
	if err := ctx.RecordConflict(Conflict{RefID: t.RefID, Stored: t.Status, News: r.Outcome, Detail: detail, At: now}); err != nil {
		return err
	}
	msg := fmt.Sprintf("gateway now says %s for a %s transfer: money may have moved. No new attempt is allowed until you check the gateway and resolve it / gateway melaporkan %s untuk transfer %s; uang mungkin sudah terkirim. Periksa gateway lalu selesaikan konflik ini sebelum mengirim ulang",
		r.Outcome, t.Status, r.Outcome, t.Status)
	*events = append(*events, Event{Kind: EventNeedsAttention, RefID: t.RefID, Channel: t.Channel, Status: t.Status, Amount: t.Amount, Message: msg, At: now})
	return audit(tx, now, actor, "transfer.conflicting_news", "transfer:"+t.RefID, detail)
}

// openConflicts returns the open conflicts among refIDs. A store that cannot
// tell is treated as if a conflict were open: the caller refuses.
func openConflicts(tx domain.ReadTx, refIDs ...string) ([]Conflict, error) {
	cr, ok := tx.(ConflictReader)
	if !ok {
		return []Conflict{{RefID: strings.Join(refIDs, ","), Detail: "store cannot tell"}}, nil
	}
	return cr.OpenConflicts(refIDs...)
}

// Conflicts lists every open conflict (gateway news contradicting a final
// status), oldest first, for the needs-attention screen.
func (e *Engine) Conflicts(ctx context.Context) (out []Conflict, err error) {
	err = e.store.Read(ctx, func(tx domain.ReadTx) error {
		cr, ok := tx.(ConflictReader)
		if !ok {
			return nil
		}
		out, err = cr.OpenConflicts()
		return err
	})
	return out, err
}

// ResolveConflict closes a transfer's open conflict after a person checked
// the gateway, with a note saying what they found. It moves no money and no
// status: if the gateway really paid, the obligation must be settled by hand
// (and no new attempt is needed); if it did not, "send again" is allowed.
func (e *Engine) ResolveConflict(ctx context.Context, actor domain.Actor, refID, note string) error {
	if err := actor.Can(domain.PermApprove); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return refuse(domain.ErrInvalid, refID, "tuliskan apa yang Anda temukan di gateway", "write what you found at the gateway")
	}
	return e.store.Write(ctx, func(tx domain.Tx) error {
		if _, err := e.getTransfer(tx, refID); err != nil {
			return err
		}
		ct, ok := tx.(ConflictTx)
		if !ok {
			return refuse(domain.ErrUnsafe, refID, "penyimpanan tidak mendukung konflik", "the store cannot record conflicts")
		}
		if err := ct.ResolveConflict(refID, actor.Name, note, e.now()); err != nil {
			return err
		}
		return audit(tx, e.now(), actor.Name, "transfer.conflict_resolved", "transfer:"+refID, note)
	})
}

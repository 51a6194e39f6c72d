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

// ConfirmPaidAfterAll is the explicit, audited correction for an open
// conflict where the person checked the gateway and the money DID leave for
// a transfer Lunas recorded failed or cancelled: the transfer becomes
// succeeded, the payout is booked, the obligation is paid and the conflict
// closed. Late news never does this by itself (it only moves forward); a
// person does, because money that moved must be booked. From then on the
// reversal watch covers it like any success.
func (e *Engine) ConfirmPaidAfterAll(ctx context.Context, actor domain.Actor, refID, note string) error {
	if err := actor.Can(domain.PermApprove); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return refuse(domain.ErrInvalid, refID, "tuliskan apa yang Anda lihat di gateway", "write what you saw at the gateway")
	}
	var events []Event
	err := e.store.Write(ctx, func(tx domain.Tx) error {
		events = events[:0]
		t, err := e.getTransfer(tx, refID)
		if err != nil {
			return err
		}
		cs, err := openConflicts(tx, refID)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return refuse(domain.ErrInvalidTransition, refID, "tidak ada konflik terbuka untuk transfer ini", "this transfer has no open conflict")
		}
		if t.Status != domain.TransferFailed && t.Status != domain.TransferCancelled {
			return refuse(domain.ErrInvalidTransition, refID, "hanya transfer gagal atau batal yang bisa dikoreksi menjadi berhasil ("+string(t.Status)+")",
				"only a failed or cancelled transfer can be corrected to succeeded ("+string(t.Status)+")")
		}
		ct, ok1 := tx.(ConflictTx)
		cx, ok2 := tx.(CorrectionTx)
		if !ok1 || !ok2 {
			return refuse(domain.ErrUnsafe, refID, "penyimpanan tidak mendukung koreksi", "the store cannot record corrections")
		}
		now := e.now()
		if err := ct.ResolveConflict(refID, actor.Name, "paid after all: "+note, now); err != nil {
			return err
		}
		from := t.Status
		if err := cx.CorrectTransferStatus(refID, from, domain.TransferSucceeded, "corrected by "+actor.Name+": paid after all"); err != nil {
			return err
		}
		if err := audit(tx, now, actor.Name, "transfer.corrected", "transfer:"+refID, string(from)+" -> succeeded: gateway paid after all: "+note); err != nil {
			return err
		}
		t.Status = domain.TransferSucceeded
		post := domain.PayoutPosting(&t, false)
		post.CreatedAt = now
		if err := tx.Post(&post); err != nil {
			return err
		}
		ob, err := tx.GetObligation(t.ObligationID)
		if err != nil {
			return err
		}
		switch ob.Status {
		case domain.ObligationOpen, domain.ObligationReopened:
			if err := tx.SetObligationStatus(ob.ID, ob.Status, domain.ObligationPaid); err != nil {
				return err
			}
		case domain.ObligationPaid:
			// Another attempt paid it too: the payee got the money twice.
			events = append(events, Event{Kind: EventNeedsAttention, RefID: refID, Channel: t.Channel, Status: t.Status, Amount: t.Amount, At: now,
				Message: "this obligation was already paid by another attempt: the payee was paid twice; ask for the money back / kewajiban ini sudah dibayar percobaan lain: penerima dibayar dua kali"})
		}
		events = append(events, Event{Kind: EventTransferStatus, RefID: refID, Channel: t.Channel, Status: t.Status, Amount: t.Amount, At: now,
			Message: "corrected: paid after all / dikoreksi: ternyata terbayar"})
		return nil
	})
	if err != nil {
		return err
	}
	e.publishAll(events)
	return nil
}

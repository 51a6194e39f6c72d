package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"lunas/domain"
)

// The manual actions below are the application service the UI calls. Each
// checks the actor's permission here, below the UI, and refuses with a
// *Refusal (matching domain.ErrUnsafe, domain.ErrInvalidTransition or
// domain.ErrPermission) whenever the action would break a REFID rule.

// Approve clears transfers waiting for approval so the sender picks them up.
// One code approves the whole batch. It stops at the first refusal; the
// transfers before it stay approved only if all checks pass (all or nothing).
func (e *Engine) Approve(ctx context.Context, actor domain.Actor, code string, refIDs ...string) error {
	if err := actor.Can(domain.PermApprove); err != nil {
		return err
	}
	if len(refIDs) == 0 {
		return refuse(domain.ErrInvalid, "", "pilih transfer yang akan disetujui", "choose the transfers to approve")
	}
	if v, ok := e.cfg.Codes.(ApprovalCodeVerifier); ok {
		if err := v.VerifyApprovalCode(ctx, actor, code, ApprovalSubject(refIDs)); err != nil {
			return err
		}
	} else if e.cfg.Codes != nil {
		if err := e.cfg.Codes.VerifyCode(ctx, actor, code); err != nil {
			return err
		}
	}
	users := 1
	if e.cfg.UserCount != nil {
		n, err := e.cfg.UserCount(ctx)
		if err != nil {
			return err
		}
		users = n
	}
	var events []Event
	err := e.store.Write(ctx, func(tx domain.Tx) error {
		events = events[:0]
		now := e.now()
		for _, ref := range refIDs {
			t, err := e.getTransfer(tx, ref)
			if err != nil {
				return err
			}
			if t.ApprovedBy == actor.Name && t.Status != domain.TransferAwaitingApproval && t.Status != domain.TransferRejected {
				continue // the same approval again (a double-click): already done
			}
			if t.Status != domain.TransferAwaitingApproval {
				return refuse(domain.ErrInvalidTransition, ref, "transfer ini tidak sedang menunggu persetujuan ("+string(t.Status)+")",
					"this transfer is not waiting for approval ("+string(t.Status)+")")
			}
			if t.FailureCode == codeBlocked {
				return refuse(domain.ErrUnsafe, ref, "transfer ini diblokir aturan risiko dan hanya bisa ditolak: "+t.HoldReason,
					"a risk rule blocked this transfer; it can only be rejected: "+t.HoldReason)
			}
			if users > 1 && t.CreatedBy == actor.Name {
				return refuse(domain.ErrPermission, ref, "Anda yang membuat transfer ini; pengguna lain harus menyetujuinya",
					"you created this transfer; another user must approve it")
			}
			if _, ok := e.cfg.Channels[t.Channel]; !ok {
				return refuse(domain.ErrUnsafe, ref, "saluran pembayaran "+t.Channel+" belum diatur", "payout channel "+t.Channel+" is not set up")
			}
			if err := e.move(tx, &t, domain.TransferApproved, domain.TransferPatch{ApprovedBy: actor.Name}, actor.Name, "approved", now, &events); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.publishAll(events)
	e.wake(e.wakeSend)
	return nil
}

func (e *Engine) getTransfer(tx domain.ReadTx, ref string) (domain.Transfer, error) {
	t, err := tx.GetTransfer(ref)
	if errors.Is(err, domain.ErrNotFound) {
		return t, refuse(domain.ErrNotFound, ref, "transfer tidak ditemukan", "no such transfer")
	}
	return t, err
}

// Reject refuses a transfer before it was sent. The obligation stays open;
// a person may later send again.
func (e *Engine) Reject(ctx context.Context, actor domain.Actor, refID, reason string) error {
	if err := actor.Can(domain.PermApprove); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return refuse(domain.ErrInvalid, refID, "tuliskan alasan penolakan", "write why you reject it")
	}
	var events []Event
	err := e.store.Write(ctx, func(tx domain.Tx) error {
		events = events[:0]
		t, err := e.getTransfer(tx, refID)
		if err != nil {
			return err
		}
		if t.Status != domain.TransferAwaitingApproval && t.Status != domain.TransferQueuedBalance {
			return refuse(domain.ErrInvalidTransition, refID, "hanya transfer yang belum dikirim bisa ditolak ("+string(t.Status)+")",
				"only a transfer that was not sent can be rejected ("+string(t.Status)+")")
		}
		return e.move(tx, &t, domain.TransferRejected, domain.TransferPatch{FailureCode: "rejected", FailureReason: reason}, actor.Name, "rejected: "+reason, e.now(), &events)
	})
	if err != nil {
		return err
	}
	e.publishAll(events)
	return nil
}

// CheckNow asks the gateway about a sent transfer at once and records the
// answer. It never sends.
func (e *Engine) CheckNow(ctx context.Context, actor domain.Actor, refID string) (domain.Transfer, error) {
	if err := actor.Can(domain.PermRetry); err != nil {
		return domain.Transfer{}, err
	}
	t, err := e.readTransfer(ctx, refID)
	if err != nil {
		return t, err
	}
	switch t.Status {
	case domain.TransferAwaitingApproval, domain.TransferApproved, domain.TransferQueuedBalance, domain.TransferRejected:
		return t, refuse(domain.ErrUnsafe, refID, "transfer ini belum pernah dikirim; tidak ada yang bisa ditanyakan ke gateway",
			"this transfer was never sent; there is nothing to ask the gateway")
	}
	if t.Status == domain.TransferSending {
		e.mu.Lock()
		busy := e.inflight[refID] > 0
		e.mu.Unlock()
		if busy {
			// Its own first call is in flight: a status answer now ("not
			// found yet") would wrongly make it unknown.
			return t, refuse(domain.ErrUnsafe, refID, "transfer ini sedang dikirim; tunggu sebentar lalu cek lagi", "this transfer is being sent right now; wait a moment and check again")
		}
	}
	j := &sendJob{t: t, actor: actor.Name}
	e.call(ctx, []*sendJob{j}, true)
	if err := e.recordOutcomes(ctx, []*sendJob{j}); err != nil {
		return t, err
	}
	return e.readTransfer(ctx, refID)
}

func (e *Engine) readTransfer(ctx context.Context, refID string) (t domain.Transfer, err error) {
	err = e.store.Read(ctx, func(tx domain.ReadTx) error {
		t, err = e.getTransfer(tx, refID)
		return err
	})
	return t, err
}

// Retry resolves a pending or unknown transfer with the SAME REFID: it asks
// the gateway first, and resends only if the gateway has no record and the
// channel still deduplicates the REFID. It is refused for every other status.
func (e *Engine) Retry(ctx context.Context, actor domain.Actor, refID string) (domain.Transfer, error) {
	if err := actor.Can(domain.PermRetry); err != nil {
		return domain.Transfer{}, err
	}
	t, err := e.readTransfer(ctx, refID)
	if err != nil {
		return t, err
	}
	switch t.Status {
	case domain.TransferAccepted, domain.TransferUnknown:
	case domain.TransferSending:
		return t, refuse(domain.ErrUnsafe, refID, "transfer ini sedang dikirim; tunggu sebentar", "this transfer is being sent right now; wait a moment")
	case domain.TransferSucceeded:
		return t, refuse(domain.ErrUnsafe, refID, "transfer ini sudah berhasil; mengirim lagi akan membayar dua kali", "this transfer already succeeded; sending again would pay twice")
	case domain.TransferFailed, domain.TransferCancelled, domain.TransferReversed:
		return t, refuse(domain.ErrUnsafe, refID, "transfer ini sudah final ("+string(t.Status)+"); gunakan \"kirim ulang\" untuk percobaan baru yang perlu persetujuan",
			"this transfer is final ("+string(t.Status)+"); use \"send again\" for a new attempt, which needs approval")
	default:
		return t, refuse(domain.ErrUnsafe, refID, "transfer ini belum dikirim ("+string(t.Status)+")", "this transfer has not been sent ("+string(t.Status)+")")
	}
	j := &sendJob{t: t, actor: actor.Name}
	e.call(ctx, []*sendJob{j}, true)
	if err := e.recordOutcomes(ctx, []*sendJob{j}); err != nil {
		return t, err
	}
	if j.res.Outcome == domain.OutcomeNotFound && t.Status == domain.TransferUnknown {
		if !e.resendAllowed(t, e.now()) {
			return t, refuse(domain.ErrUnsafe, refID, "gateway tidak mengenal REFID ini dan masa perlindungan duplikatnya sudah lewat; periksa dashboard gateway dulu",
				"the gateway has no record of this REFID and its duplicate protection has expired; check the gateway's dashboard first")
		}
		if e.Paused() {
			return t, refuse(domain.ErrUnsafe, refID, "pengiriman otomatis sedang dijeda; lanjutkan dulu untuk mengirim ulang REFID ini",
				"sending is paused; resume it to resend this REFID")
		}
		if err := e.resend(ctx, []*sendJob{j}, actor.Name); err != nil {
			if errors.Is(err, domain.ErrLeaseLost) {
				who := "another engine"
				if st := e.Lease(); st.Lease.Host != "" {
					who = st.Lease.Host
				}
				return t, refuse(domain.ErrUnsafe, refID, "transfer dikirim oleh "+who+"; mesin itu mengirim ulang REFID ini sendiri bila perlu",
					"transfers are sent by "+who+"; that engine resends this REFID by itself when needed")
			}
			return t, err
		}
	}
	return e.readTransfer(ctx, refID)
}

// SendAgain prepares a new attempt (a child REFID) for a transfer that
// definitely did not pay: failed, rejected, cancelled or reversed. It goes
// to the approval queue and may use another channel (reroute; "" keeps the
// parent's). Refused while any attempt for the obligation is unknown,
// pending or succeeded, or when this attempt already has a child.
func (e *Engine) SendAgain(ctx context.Context, actor domain.Actor, refID, channel string) (domain.Transfer, error) {
	if err := actor.Can(domain.PermSendAgain); err != nil {
		return domain.Transfer{}, err
	}
	var child domain.Transfer
	var events []Event
	err := e.store.Write(ctx, func(tx domain.Tx) error {
		events = events[:0]
		parent, err := e.getTransfer(tx, refID)
		if err != nil {
			return err
		}
		switch parent.Status {
		case domain.TransferFailed, domain.TransferRejected, domain.TransferCancelled, domain.TransferReversed:
		case domain.TransferUnknown, domain.TransferAccepted, domain.TransferSending:
			return refuse(domain.ErrUnsafe, refID, "hasil transfer ini belum pasti ("+string(parent.Status)+"); REFID baru bisa membayar dua kali. Gunakan \"cek status\" atau \"coba lagi\"",
				"this transfer's outcome is not known yet ("+string(parent.Status)+"); a new REFID could pay twice. Use \"check status\" or \"retry\"")
		case domain.TransferSucceeded:
			return refuse(domain.ErrUnsafe, refID, "transfer ini sudah berhasil; mengirim lagi akan membayar dua kali", "this transfer already succeeded; sending again would pay twice")
		default:
			return refuse(domain.ErrUnsafe, refID, "transfer ini belum dikirim ("+string(parent.Status)+"); setujui atau tolak saja",
				"this transfer has not been sent ("+string(parent.Status)+"); approve or reject it instead")
		}
		ob, err := tx.GetObligation(parent.ObligationID)
		if err != nil {
			return err
		}
		if ob.Status == domain.ObligationPaid || ob.Status == domain.ObligationVoid {
			return refuse(domain.ErrUnsafe, refID, "kewajiban ini sudah "+string(ob.Status), "this obligation is already "+string(ob.Status))
		}
		siblings, err := tx.ListTransfersByObligation(ob.ID)
		if err != nil {
			return err
		}
		refs := make([]string, 0, len(siblings))
		for _, s := range siblings {
			refs = append(refs, s.RefID)
		}
		if cs, err := openConflicts(tx, refs...); err != nil {
			return err
		} else if len(cs) > 0 {
			return refuse(domain.ErrUnsafe, refID, "gateway melaporkan "+string(cs[0].News)+" untuk "+cs[0].RefID+" padahal tercatat "+string(cs[0].Stored)+"; uang mungkin sudah terkirim. Periksa gateway dan selesaikan konflik dulu",
				"the gateway reported "+string(cs[0].News)+" for "+cs[0].RefID+", recorded as "+string(cs[0].Stored)+"; money may have moved. Check the gateway and resolve the conflict first")
		}
		for _, s := range siblings {
			if s.ParentRefID == parent.RefID {
				return refuse(domain.ErrUnsafe, refID, "transfer ini sudah dikirim ulang sebagai "+s.RefID, "this transfer was already sent again as "+s.RefID)
			}
			if s.RefID == parent.RefID {
				continue
			}
			switch s.Status {
			case domain.TransferFailed, domain.TransferRejected, domain.TransferCancelled, domain.TransferReversed:
			default:
				return refuse(domain.ErrUnsafe, refID, "percobaan lain untuk kewajiban ini masih "+string(s.Status)+" ("+s.RefID+")",
					"another attempt for this obligation is still "+string(s.Status)+" ("+s.RefID+")")
			}
		}
		if channel == "" {
			channel = parent.Channel
		}
		if _, ok := e.cfg.Channels[channel]; !ok {
			return refuse(domain.ErrUnsafe, refID, "saluran pembayaran "+channel+" belum diatur", "payout channel "+channel+" is not set up")
		}
		payee, err := tx.GetPayee(parent.PayeeID)
		if err != nil {
			return err
		}
		hold := fmt.Sprintf("send again after %s (%s) / kirim ulang setelah %s", parent.RefID, nonEmpty(parent.FailureReason, string(parent.Status)), parent.RefID)
		child, events, err = e.newTransfer(ctx, tx, ob, payee, channel, parent.RefID, actor.Name, []string{hold}, e.now())
		return err
	})
	if err != nil {
		return child, err
	}
	e.publishAll(events)
	return child, nil
}

// Cancel asks the gateway to cancel a sent transfer before it is processed,
// where the channel supports it, and records the answer (which may well be
// that it already succeeded).
func (e *Engine) Cancel(ctx context.Context, actor domain.Actor, refID string) (domain.Transfer, error) {
	if err := actor.Can(domain.PermCancel); err != nil {
		return domain.Transfer{}, err
	}
	t, err := e.readTransfer(ctx, refID)
	if err != nil {
		return t, err
	}
	if t.Status != domain.TransferAccepted && t.Status != domain.TransferUnknown {
		return t, refuse(domain.ErrInvalidTransition, refID, "hanya transfer yang sedang diproses gateway bisa dibatalkan ("+string(t.Status)+")",
			"only a transfer the gateway is still processing can be cancelled ("+string(t.Status)+")")
	}
	c, ok := e.cfg.Channels[t.Channel].(domain.PayoutCanceller)
	if !ok {
		return t, refuse(domain.ErrUnsafe, refID, "saluran "+t.Channel+" tidak mendukung pembatalan", "channel "+t.Channel+" cannot cancel a payout")
	}
	cctx, cancel := e.withTimeout(ctx, e.iv.CallTimeout)
	defer cancel()
	if err := e.limit(cctx, t.Channel, OpPayoutCancel); err != nil {
		return t, err
	}
	res, cerr := c.Cancel(cctx, refID)
	if res.Outcome == "" {
		res.Outcome = domain.OutcomeUnknown
	}
	if res.Outcome == domain.OutcomeNotFound {
		res.Outcome = domain.OutcomeUnknown // a cancel answer is not a status answer
	}
	j := &sendJob{t: t, res: res, err: cerr, actor: actor.Name}
	if err := e.recordOutcomes(ctx, []*sendJob{j}); err != nil {
		return t, err
	}
	t, err = e.readTransfer(ctx, refID)
	if err == nil && t.Status != domain.TransferCancelled {
		return t, refuse(domain.ErrUnsafe, refID, "gateway tidak membatalkan transfer ini (status: "+string(t.Status)+")",
			"the gateway did not cancel this transfer (status: "+string(t.Status)+")")
	}
	return t, err
}

// Pause stops automatic sending (settlement and tracking go on); Resume
// starts it again. The choice survives restarts.
func (e *Engine) Pause(ctx context.Context, actor domain.Actor) error {
	return e.setPaused(ctx, actor, true)
}

// Resume starts automatic sending again after Pause.
func (e *Engine) Resume(ctx context.Context, actor domain.Actor) error {
	return e.setPaused(ctx, actor, false)
}

func (e *Engine) setPaused(ctx context.Context, actor domain.Actor, p bool) error {
	if err := actor.Can(domain.PermControlEngine); err != nil {
		return err
	}
	v, action, kind := "0", "engine.resumed", EventEngineResumed
	if p {
		v, action, kind = "1", "engine.paused", EventEnginePaused
	}
	err := e.store.Write(ctx, func(tx domain.Tx) error {
		if err := tx.SetSetting(settingPaused, v); err != nil {
			return err
		}
		return audit(tx, e.now(), actor.Name, action, "engine", "")
	})
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.paused = p
	e.mu.Unlock()
	e.publish(Event{Kind: kind})
	if !p {
		e.wake(e.wakeSend)
	}
	return nil
}

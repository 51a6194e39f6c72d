package sim

import (
	"context"
	"slices"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/gateways/sandbox"
	"lunas/security"
)

// checker keeps what the invariant checks carry from step to step.
type checker struct {
	chain  security.ChainState
	status map[string]domain.TransferStatus // every transfer's status as its audit trail tells it
	// The last snapshot and the gateway book's signature when it was
	// checked: a step that committed nothing and moved no money at the
	// gateway cannot have changed what the full check looks at.
	last    *snapshot
	lastSig [3]int
	money   bool // money moved in Lunas since the last full check (a settlement, a payout, a reversal)
	news    bool // the engine published something, or a process started or crashed, since the last full check
}

// snapshot is one consistent read of Lunas's records.
type snapshot struct {
	transfers []domain.Transfer
	byRef     map[string]*domain.Transfer
	audit     []domain.AuditEntry
	balances  map[domain.Account]domain.Rupiah // read when money moved in Lunas (and at the end)
	settled   []domain.Payment
	oblsOf    map[int64][]domain.Obligation // settled payment id -> obligations
}

func (w *world) snapshot(final, money bool) (*snapshot, error) {
	s := &snapshot{byRef: map[string]*domain.Transfer{}, oblsOf: map[int64][]domain.Obligation{}}
	db := w.db
	if db == nil {
		return nil, nil // the process is down and its database closed: nothing can have moved
	}
	reused := false
	err := db.Read(context.Background(), func(tx domain.ReadTx) error {
		var err error
		if s.audit, err = tx.ListAudit(w.chk.chain.LastSeq, 0); err != nil {
			return err
		}
		if len(s.audit) == 0 && !final && w.chk.last != nil {
			// Every status move is audited in its transaction: with no new
			// entry, no transfer changed.
			s.transfers, reused = w.chk.last.transfers, true
		} else if s.transfers, err = tx.ListTransfers(domain.TransferFilter{}); err != nil {
			return err
		}
		if !money && !final {
			return nil
		}
		if s.balances, err = tx.Balances(); err != nil {
			return err
		}
		if s.settled, err = tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentSettled}}); err != nil {
			return err
		}
		if final {
			for _, p := range s.settled {
				obs, err := tx.ListObligationsByPayment(p.ID)
				if err != nil {
					return err
				}
				s.oblsOf[p.ID] = obs
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !reused {
		slices.SortFunc(s.transfers, func(a, b domain.Transfer) int { return int(a.ID - b.ID) })
	}
	for i := range s.transfers {
		s.byRef[s.transfers[i].RefID] = &s.transfers[i]
	}
	return s, nil
}

// openConflict reports whether refID has an open conflict (gateway news
// that contradicts its final status, raised for a person).
func (w *world) openConflict(refID string) bool {
	open := false
	w.db.Read(context.Background(), func(tx domain.ReadTx) error {
		cr, ok := tx.(engine.ConflictReader)
		if !ok {
			return nil
		}
		cs, err := cr.OpenConflicts(refID)
		open = err == nil && len(cs) > 0
		return err
	})
	return open
}

// check verifies the invariants after a step; final adds the end-of-run
// checks, which hold only once everything that can settle has settled.
func (w *world) check(final bool) {
	if w.failure != nil {
		return
	}
	paid := w.sb.Paid()
	sig := [3]int{len(paid)}
	for _, p := range paid {
		sig[1] += p.Count
		sig[2] += p.Reversed
	}
	// Every transfer move and every settlement is audited and published in
	// its transaction's wake: a step that published nothing (its commits
	// were polls' bookkeeping), after which the gateway's book did not move,
	// cannot have changed what the full check reads. The audit chain is
	// still verified entry by entry at the next full check.
	if !final && !w.chk.news && w.chk.last != nil && sig == w.chk.lastSig {
		w.checkLiveness(w.chk.last)
		return
	}
	money := w.chk.money
	w.chk.money, w.chk.news = false, false
	s, err := w.snapshot(final, money)
	if err != nil {
		w.fail("store readable", "%v", err)
		return
	}
	if s == nil {
		return
	}
	w.chk.last, w.chk.lastSig = s, sig
	w.checkAudit(s)
	book := map[string]sandbox.Payout{} // by channel/refid in Lunas's names
	for _, p := range paid {
		ch := p.Channel
		if ch == "h2h" {
			ch = chH2H
		}
		book[ch+"/"+p.RefID] = p
		if p.Count > 1 {
			w.fail("no REFID paid twice", "%s %s paid %d times at the gateway (%s in all)", p.Channel, p.RefID, p.Count, p.Amount)
			return
		}
		t := s.byRef[p.RefID]
		if t == nil || t.Channel != ch {
			w.fail("no payout Lunas did not make", "the gateway paid %s on %s, which is no transfer of Lunas on that channel", p.RefID, p.Channel)
			return
		}
		if p.Amount != t.Amount*domain.Rupiah(p.Count) {
			w.fail("amounts match", "%s: the gateway paid %s, the transfer is %s", p.RefID, p.Amount, t.Amount)
			return
		}
	}
	netPaid := func(t *domain.Transfer) int {
		p := book[t.Channel+"/"+t.RefID]
		return p.Count - p.Reversed
	}
	perObl := map[int64][]string{}
	for i := range s.transfers {
		t := &s.transfers[i]
		n := netPaid(t)
		if n > 0 {
			perObl[t.ObligationID] = append(perObl[t.ObligationID], t.RefID)
		}
		bk := book[t.Channel+"/"+t.RefID]
		switch t.Status {
		case domain.TransferSucceeded:
			if bk.Count < 1 {
				w.fail("Lunas books only money that moved", "%s is succeeded in Lunas but the gateway never paid it", t.RefID)
				return
			}
		case domain.TransferReversed:
			if bk.Reversed < 1 {
				w.fail("Lunas books only money that moved", "%s is reversed in Lunas but the gateway never sent it back", t.RefID)
				return
			}
		case domain.TransferFailed, domain.TransferRejected, domain.TransferCancelled:
			if n > 0 && !w.openConflict(t.RefID) {
				w.fail("unknown is not failed", "%s is %s in Lunas (%s) but the gateway paid it, and no conflict is open", t.RefID, t.Status, t.FailureReason)
				return
			}
		}
	}
	for ob, refs := range perObl {
		if len(refs) > 1 {
			slices.Sort(refs)
			w.fail("every obligation paid at most once", "obligation %d was paid by %d transfers: %s", ob, len(refs), strings.Join(refs, ", "))
			return
		}
	}
	var sum domain.Rupiah
	for _, b := range s.balances {
		sum += b
	}
	if sum != 0 {
		w.fail("ledger balances", "the ledger's accounts sum to %s", sum)
		return
	}
	// Checked when a payment settled (read with the balances).
	for _, p := range s.settled {
		o := w.model.orders[p.ExternalID]
		if o == nil || o.paid != p.Amount || p.PaidAmount != p.Amount {
			paid := domain.Rupiah(0)
			if o != nil {
				paid = o.paid
			}
			w.fail("settled only when paid in full", "payment %s settled for %s; the buyer paid %s", p.ExternalID, p.Amount, paid)
			return
		}
	}
	w.checkLiveness(s)
	if final && w.failure == nil {
		w.checkFinal(s, book, netPaid)
	}
}

// checkAudit verifies the new audit entries' chain and that every status
// move they record is one the state machine allows, continuing from the
// transfer's previous move (none lost, none backwards), and that the
// trail agrees with each transfer's stored status.
func (w *world) checkAudit(s *snapshot) {
	if w.chk.status == nil {
		w.chk.status = map[string]domain.TransferStatus{}
	}
	if b := security.VerifyEntries(&w.chk.chain, s.audit); b != nil {
		w.fail("audit chain verifies", "%v", b)
		return
	}
	for _, e := range s.audit {
		ref, ok := strings.CutPrefix(e.Subject, "transfer:")
		if !ok {
			continue
		}
		switch e.Action {
		case "transfer.created":
			st, _, _ := strings.Cut(strings.TrimPrefix(e.Detail, "created "), " ")
			w.chk.status[ref] = domain.TransferStatus(st)
		case "transfer.status", "transfer.corrected":
			move, _, _ := strings.Cut(e.Detail, ":")
			from, to, ok := strings.Cut(move, " -> ")
			if !ok {
				w.fail("audited moves", "entry %d of %s reads %q", e.Seq, ref, e.Detail)
				return
			}
			a, b := domain.TransferStatus(from), domain.TransferStatus(to)
			if prev := w.chk.status[ref]; prev != a {
				w.fail("no state move lost", "%s moved %s -> %s (entry %d) but its last audited status was %q", ref, a, b, e.Seq, prev)
				return
			}
			allowed := domain.CanTransition(a, b)
			if e.Action == "transfer.corrected" {
				allowed = (a == domain.TransferFailed || a == domain.TransferCancelled) && b == domain.TransferSucceeded
			}
			if !allowed {
				w.fail("no backward state moves", "%s moved %s -> %s (entry %d, by %s)", ref, a, b, e.Seq, e.Actor)
				return
			}
			w.chk.status[ref] = b
		}
	}
	for _, t := range s.transfers {
		if st := w.chk.status[t.RefID]; st != t.Status {
			w.fail("every move audited", "%s is %s in the store, %q in its audit trail", t.RefID, t.Status, st)
			return
		}
	}
}

// checkLiveness: while the process runs, every transfer that is not final
// is looked after: an accepted or unknown one is asked about again within
// the tracker's longest wait, none stays in sending past the bound for a
// lost call, and an approved one is sent unless sending is paused.
func (w *world) checkLiveness(s *snapshot) {
	if !w.up() || w.asleep() || w.failure != nil {
		return
	}
	now := w.clock.Now()
	iv := w.prof.intervals
	open := 0
	for _, t := range s.transfers {
		if t.Status.InFlight() {
			open++
		}
	}
	rounds := 2 + open/(4*w.prof.batch)
	slack := time.Duration(rounds)*(w.prof.track+w.prof.track/4) + 2*iv.CallTimeout + 2*time.Minute
	if w.prof.limiters {
		slack += time.Duration(open) * 10 * time.Second // the status budget is shared
	}
	for _, t := range s.transfers {
		since := t.UpdatedAt
		if w.upSince.After(since) {
			since = w.upSince
		}
		switch t.Status {
		case domain.TransferAccepted, domain.TransferUnknown:
			bound := iv.TrackMax + slack
			if now.Sub(since) > bound && now.Sub(w.lastAsked[t.RefID]) > bound {
				w.fail("every open transfer has a next check", "%s has been %s since %s and was last asked about at %s (bound %s)",
					t.RefID, t.Status, t.UpdatedAt.In(wib).Format("Mon 15:04:05"), w.lastAsked[t.RefID].In(wib).Format("Mon 15:04:05"), bound)
				return
			}
		case domain.TransferSending:
			sendingAfter := iv.CallTimeout + 30*time.Second
			if now.Sub(since) > sendingAfter+slack {
				w.fail("nothing stays in sending", "%s has been sending since %s with no call in flight", t.RefID, t.UpdatedAt.In(wib).Format("Mon 15:04:05"))
				return
			}
		case domain.TransferApproved:
			if w.resumedAt.After(since) {
				since = w.resumedAt
			}
			if !w.paused && now.Sub(since) > 2*w.prof.send+slack {
				w.fail("approved transfers are sent", "%s has been approved since %s and sending is not paused", t.RefID, t.UpdatedAt.In(wib).Format("Mon 15:04:05"))
				return
			}
		}
	}
}

// checkFinal is the end of the run, after the drain: Lunas's books equal
// the gateway's, and every settled obligation is paid exactly once or
// visibly waiting with a reason.
func (w *world) checkFinal(s *snapshot, book map[string]sandbox.Payout, netPaid func(*domain.Transfer) int) {
	if n, b, err := security.VerifyAuditLog(context.Background(), w.db); err != nil || b != nil {
		w.fail("audit chain verifies", "%d entries checked: %v %v", n, b, err)
		return
	}
	// Per transfer: what Lunas says is what the gateway did, or the
	// transfer waits with a reason a person can see.
	unseen := map[string]domain.Rupiah{} // per channel: paid at the gateway, not (yet) known to Lunas
	for i := range s.transfers {
		t := &s.transfers[i]
		bk := book[t.Channel+"/"+t.RefID]
		n := netPaid(t)
		switch t.Status {
		case domain.TransferSucceeded:
			if bk.Reversed > 0 {
				w.fail("Lunas learns every reversal", "%s was sent back by the bank, Lunas still shows it succeeded after the reversal watch", t.RefID)
				return
			}
		case domain.TransferAccepted, domain.TransferUnknown:
			if n > 0 {
				if w.attention[t.RefID] == "" || t.FailureReason == "" && t.Status == domain.TransferUnknown {
					w.fail("Lunas learns every payout", "%s was paid at the gateway; Lunas shows %s and raised nothing", t.RefID, t.Status)
					return
				}
				unseen[t.Channel] += t.Amount
			}
		case domain.TransferSending:
			w.fail("nothing stays in sending", "%s is still sending at the end", t.RefID)
			return
		}
	}
	// The ledger per channel equals the gateway's book.
	chans := []string{chXendit, chIris, chH2H, chDOKU}
	for _, ch := range chans {
		var gw domain.Rupiah
		for k, p := range book {
			if strings.HasPrefix(k, ch+"/") && p.Count > 0 {
				gw += p.Amount / domain.Rupiah(p.Count) * domain.Rupiah(p.Count-p.Reversed)
			}
		}
		lunas := -s.balances[domain.PaidOutAccount(ch)]
		if lunas+unseen[ch] != gw {
			w.fail("ledger equals the gateway's book", "%s: Lunas booked %s paid out, the gateway paid %s net (%s known only as unknown)", ch, lunas, gw, unseen[ch])
			return
		}
	}
	// Every settled payment made its obligations; each obligation is paid
	// exactly once, or visibly waiting.
	attempts := map[int64][]*domain.Transfer{}
	for i := range s.transfers {
		t := &s.transfers[i]
		attempts[t.ObligationID] = append(attempts[t.ObligationID], t)
	}
	for _, p := range s.settled {
		for _, ob := range s.oblsOf[p.ID] {
			ts := attempts[ob.ID]
			if len(ts) == 0 {
				w.fail("every settled obligation has a transfer", "obligation %d of payment %s has none", ob.ID, p.ExternalID)
				return
			}
			paid := 0
			for _, t := range ts {
				if netPaid(t) > 0 {
					paid++
				}
			}
			latest := ts[len(ts)-1]
			switch {
			case paid == 1 && ob.Status == domain.ObligationPaid:
			case paid == 1:
				if w.attention[latest.RefID] == "" {
					w.fail("every settled obligation paid exactly once or waiting", "obligation %d is paid at the gateway but %s in Lunas with nothing raised", ob.ID, ob.Status)
					return
				}
			case paid == 0 && ob.Status == domain.ObligationPaid:
				w.fail("every settled obligation paid exactly once or waiting", "obligation %d is paid in Lunas, not at the gateway", ob.ID)
				return
			case paid == 0:
				if why := waiting(latest, w.paused); why == "" {
					w.fail("every settled obligation paid exactly once or waiting", "obligation %d waits with no reason: its latest transfer %s is %s",
						ob.ID, latest.RefID, latest.Status)
					return
				}
			}
		}
	}
}

// waiting says why a transfer visibly waits, or "" when it does not.
func waiting(t *domain.Transfer, paused bool) string {
	switch t.Status {
	case domain.TransferAwaitingApproval:
		return t.HoldReason
	case domain.TransferApproved:
		if paused {
			return "sending is paused"
		}
	case domain.TransferQueuedBalance:
		return "waits for a top-up"
	case domain.TransferFailed, domain.TransferRejected, domain.TransferCancelled:
		return nonEmpty(t.FailureReason, string(t.Status))
	case domain.TransferReversed:
		return "sent back by the bank; send again"
	case domain.TransferAccepted:
		return "the gateway is still processing it"
	case domain.TransferUnknown:
		return t.FailureReason
	}
	return ""
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

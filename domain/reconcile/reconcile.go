// Package reconcile compares Lunas's own records for a period with the
// gateways' records: payments against invoices, transfers against payouts
// (by REFID), and each channel's balance against the ledger.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"lunas/domain"
)

// Kind is the outcome of comparing one record.
type Kind string

// Result kinds.
const (
	Matched          Kind = "matched"
	MissingLocally   Kind = "missing_locally"    // the gateway has it, Lunas does not
	MissingAtGateway Kind = "missing_at_gateway" // Lunas has it, the gateway does not
	AmountMismatch   Kind = "amount_mismatch"
	StatusMismatch   Kind = "status_mismatch"
	Unchecked        Kind = "unchecked" // the gateway gave no usable answer (timeout, 5xx): try again
	// AmountNotChecked: the status agrees but the gateway stated no amount
	// (H2H status replies carry none; an empty amount field parses to 0), so
	// the money was not verified. It is never counted as Matched.
	AmountNotChecked Kind = "amount_not_checked"
	// NotConfigured: the record's gateway or payout channel is not among
	// those given to Run, so it was not checked at all. Listed, not dropped,
	// so a reconciliation never looks cleaner than it was.
	NotConfigured Kind = "not_configured"
	// Behind: the gateway is a step ahead of Lunas (a payment paid or
	// expired there while Lunas still waits; a payout finished there while
	// Lunas still has it in progress). Lunas records it at its next check
	// of that record, so it is listed, and not a difference.
	Behind Kind = "behind"
)

// Kinds lists every Kind in the order reports show them, so a summary that
// ranges over it never leaves a kind out.
var Kinds = []Kind{Matched, Behind, MissingLocally, MissingAtGateway, AmountMismatch, StatusMismatch,
	AmountNotChecked, Unchecked, NotConfigured}

// Summary is one line of counts per kind (English), for logs and the
// command line.
func (r Report) Summary() string {
	s := ""
	for i, k := range Kinds {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", k, r.Counts[k])
	}
	return s
}

// SummaryIn is the counts per kind in words, in lang (id or en).
func (r Report) SummaryIn(lang string) string {
	parts := make([]string, 0, len(Kinds))
	for _, k := range Kinds {
		parts = append(parts, fmt.Sprintf("%s %d", KindWords(k, lang), r.Counts[k]))
	}
	return strings.Join(parts, ", ")
}

// Area says what a result item is about.
type Area string

// Areas.
const (
	AreaPayment  Area = "payment"
	AreaTransfer Area = "transfer"
	AreaBalance  Area = "balance"
)

// Item is one compared record.
type Item struct {
	Kind         Kind
	Area         Area
	Gateway      string // gateway or payout channel name
	Subject      string // payment external id, REFID, or channel name for balances
	LocalStatus  string
	RemoteStatus string
	LocalAmount  domain.Rupiah
	RemoteAmount domain.Rupiah
	At           time.Time // local creation time, when known
	Note         string    // readable detail (English, for logs; people read Sentence)
	// RemoteState is the gateway's answer in Lunas's terms (a
	// domain.PaymentState for payments, a domain.PayoutOutcome for
	// transfers), "" when there was none; RemoteStatus is the gateway's own word.
	RemoteState string
	// Balance explains a balance item's expectation; nil for other areas.
	Balance *BalanceDetail
	// Covered: an amount the gateway did not state (AmountNotChecked) on a
	// channel whose balance matched the books in the same run, which
	// verifies such amounts in total (H2H suppliers state none per REFID).
	Covered bool
}

// BalanceDetail is what a channel's expected balance is made of.
type BalanceDetail struct {
	// OpeningRecorded says whether the channel's opening balance (its
	// balance when Lunas connected it, domain.RecordOpening) is in the
	// books; Ledger includes it when it is.
	OpeningRecorded bool
	Read            bool          // the gateway told its balance
	Ledger          domain.Rupiah // clearing:<name> + paidout:<name>, opening included
	Given           domain.Rupiah // Options.Opening for the channel
	// Flagged is money the gateway received for payments Lunas flagged
	// (not booked until someone decides), FlaggedCount how many.
	Flagged      domain.Rupiah
	FlaggedCount int
	// InTransit is transfers sent but not final in Lunas that the gateway
	// has taken (in progress or already done there), InTransitCount how many.
	InTransit      domain.Rupiah
	InTransitCount int
	// Unsure counts transfers in progress whose state the gateway did not
	// tell: the expectation is then not known exactly.
	Unsure int
	// Unrecorded is money the gateway received for payments in the period
	// that Lunas has not recorded yet (Behind), UnrecordedCount how many.
	Unrecorded      domain.Rupiah
	UnrecordedCount int
}

// Difference reports whether the item is a difference someone should look
// at: anything but Matched and Behind.
func (it Item) Difference() bool {
	return it.Kind != Matched && it.Kind != Behind && !(it.Kind == AmountNotChecked && it.Covered)
}

// Differences counts the items that are differences.
func (r Report) Differences() int {
	n := 0
	for _, it := range r.Items {
		if it.Difference() {
			n++
		}
	}
	return n
}

// Report is the result of a reconciliation.
type Report struct {
	From, To time.Time
	Items    []Item
	Counts   map[Kind]int
}

// PaymentChecker answers about one payment by our external id; the payment
// gateways (domain.PaymentGateway) satisfy it. A payment the gateway does not
// know gives an error matching domain.ErrNotFound.
type PaymentChecker interface {
	Name() string
	PaymentStatus(ctx context.Context, externalID string) (domain.PaymentResult, error)
}

// PayoutChecker answers about one REFID; every payout channel satisfies it
// (H2H suppliers have no list, so every channel is checked per REFID).
type PayoutChecker interface {
	Name() string
	Status(ctx context.Context, refID string) (domain.PayoutResult, error)
}

// PayoutLister is implemented by channels that can list their payouts in a
// period (Iris statements), so payouts Lunas does not know are found.
type PayoutLister interface {
	ListPayouts(ctx context.Context, from, to time.Time) ([]domain.PayoutResult, error)
}

// BalanceReader reads a channel's balance.
type BalanceReader interface {
	Balance(ctx context.Context) (domain.Rupiah, error)
}

// Gateways are the gateways to reconcile against, by name.
type Gateways struct {
	Payments []PaymentChecker // may also implement domain.PaymentLister
	Payouts  []PayoutChecker  // may also implement PayoutLister and BalanceReader
}

// Options tunes a reconciliation.
type Options struct {
	// Opening is money at a payout channel the books do not know, added to
	// what they expect: a channel whose opening balance was not recorded
	// (money moved through it before Lunas recorded opening balances), or
	// a top-up made since. A recorded opening balance is in the ledger
	// already (domain.RecordOpening). The expected balance of a channel is
	// Opening + clearing:<name> + paidout:<name> from the ledger, plus what
	// the gateway received for flagged payments, minus transfers in transit.
	Opening map[string]domain.Rupiah
	// Progress, if set, is called after each record checked at a gateway
	// (from the calling goroutine), for a progress bar.
	Progress func(done, total int)
}

// Run reconciles the period [from, to). It reads the store in one snapshot,
// then asks the gateways; network failures make items Unchecked, not mismatched.
func Run(ctx context.Context, store domain.Store, gw Gateways, from, to time.Time, opts Options) (Report, error) {
	rep := Report{From: from, To: to, Counts: map[Kind]int{}}
	var payments []domain.Payment
	var transfers []domain.Transfer
	var balances map[domain.Account]domain.Rupiah
	var flagged []domain.Payment
	var transit []domain.Transfer
	opened := map[string]bool{}
	err := store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		if payments, err = tx.ListPayments(domain.PaymentFilter{From: from, To: to}); err != nil {
			return err
		}
		if transfers, err = tx.ListTransfers(domain.TransferFilter{From: from, To: to}); err != nil {
			return err
		}
		// The balances are of all time: so are the flagged payments and the
		// transfers in transit that explain them.
		if flagged, err = tx.ListPayments(domain.PaymentFilter{Statuses: []domain.PaymentStatus{domain.PaymentFlagged}}); err != nil {
			return err
		}
		if transit, err = tx.ListTransfers(domain.TransferFilter{Statuses: transitStatuses}); err != nil {
			return err
		}
		for _, c := range gw.Payouts {
			if opened[c.Name()], err = domain.HasOpening(tx, c.Name()); err != nil {
				return err
			}
		}
		balances, err = tx.Balances()
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile: %w", err)
	}
	add := func(it Item) { rep.Items = append(rep.Items, it) }
	total, done := len(payments)+len(transfers), 0
	tick := func() {
		done++
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}

	// Payments.
	pgw := map[string]PaymentChecker{}
	for _, g := range gw.Payments {
		pgw[g.Name()] = g
	}
	localPay := map[string]bool{}
	unrecorded := map[string][]domain.Rupiah{} // gateway -> money received there that Lunas has not recorded yet
	for _, p := range payments {
		localPay[p.ExternalID] = true
		if g, ok := pgw[p.Gateway]; ok {
			it := comparePayment(ctx, g, p)
			if it.Kind == Behind && it.RemoteState == string(domain.PaymentStatePaid) {
				unrecorded[p.Gateway] = append(unrecorded[p.Gateway], it.RemoteAmount)
			}
			add(it)
		} else {
			add(Item{Kind: NotConfigured, Area: AreaPayment, Gateway: p.Gateway, Subject: p.ExternalID,
				LocalStatus: string(p.Status), LocalAmount: p.Amount, At: p.CreatedAt,
				Note: "no gateway " + quoteName(p.Gateway) + " is configured: not checked"})
		}
		tick()
	}
	for _, g := range gw.Payments {
		l, ok := g.(domain.PaymentLister)
		if !ok {
			continue
		}
		list, err := l.RecentPayments(ctx, from)
		if err != nil {
			add(Item{Kind: Unchecked, Area: AreaPayment, Gateway: g.Name(), Note: "list: " + err.Error()})
			continue
		}
		for _, r := range list {
			if localPay[r.ExternalID] || (!r.PaidAt.IsZero() && !to.IsZero() && !r.PaidAt.Before(to)) {
				continue
			}
			known, err := paymentKnown(ctx, store, r.ExternalID)
			if err != nil {
				return rep, err
			}
			if !known {
				add(Item{Kind: MissingLocally, Area: AreaPayment, Gateway: g.Name(), Subject: r.ExternalID,
					RemoteStatus: r.RawStatus, RemoteAmount: r.Amount, At: r.PaidAt,
					Note: "the gateway has this payment; Lunas has no record of it"})
			}
		}
	}

	// Transfers.
	pch := map[string]PayoutChecker{}
	for _, c := range gw.Payouts {
		pch[c.Name()] = c
	}
	localRef := map[string]bool{}
	remote := map[string]domain.PayoutResult{} // REFID -> the gateway's answer, when usable
	for _, t := range transfers {
		localRef[t.RefID] = true
		if c, ok := pch[t.Channel]; ok {
			it, r, check := compareTransfer(ctx, c, t)
			if it.Kind != Unchecked {
				remote[t.RefID] = r
			}
			if check {
				add(it)
			}
		} else if outcomesFor(t.Status) != nil {
			// Only transfers that reached (or may have reached) a gateway
			// need checking; one never sent has nothing to compare.
			add(Item{Kind: NotConfigured, Area: AreaTransfer, Gateway: t.Channel, Subject: t.RefID,
				LocalStatus: string(t.Status), LocalAmount: t.Amount, At: t.CreatedAt,
				Note: "no payout channel " + quoteName(t.Channel) + " is configured: not checked"})
		}
		tick()
	}
	for _, c := range gw.Payouts {
		l, ok := c.(PayoutLister)
		if !ok {
			continue
		}
		list, err := l.ListPayouts(ctx, from, to)
		if err != nil {
			add(Item{Kind: Unchecked, Area: AreaTransfer, Gateway: c.Name(), Note: "list: " + err.Error()})
			continue
		}
		for _, r := range list {
			if localRef[r.RefID] {
				continue
			}
			known, err := transferKnown(ctx, store, r.RefID)
			if err != nil {
				return rep, err
			}
			if !known {
				add(Item{Kind: MissingLocally, Area: AreaTransfer, Gateway: c.Name(), Subject: r.RefID,
					RemoteStatus: string(r.Outcome), RemoteAmount: r.Amount, At: r.At,
					Note: "the gateway paid this out; Lunas has no transfer with this REFID"})
			}
		}
	}

	// Balances.
	for _, c := range gw.Payouts {
		b, ok := c.(BalanceReader)
		if !ok {
			continue
		}
		name := c.Name()
		d := &BalanceDetail{OpeningRecorded: opened[name], Given: opts.Opening[name],
			Ledger: balances[domain.ClearingAccount(name)] + balances[domain.PaidOutAccount(name)]}
		for _, p := range flagged {
			if p.Gateway == name {
				d.Flagged += p.PaidAmount
				d.FlaggedCount++
			}
		}
		for _, t := range transit {
			if t.Channel != name {
				continue
			}
			r, ok := remote[t.RefID]
			if !ok {
				var err error
				if r, err = c.Status(ctx, t.RefID); err != nil {
					r.Outcome = domain.OutcomeUnknown
				}
			}
			switch r.Outcome {
			case domain.OutcomeAccepted, domain.OutcomeSucceeded:
				d.InTransit += t.Amount
				d.InTransitCount++
			case domain.OutcomeUnknown, "":
				d.Unsure++
			}
		}
		for _, a := range unrecorded[name] {
			d.Unrecorded += a
			d.UnrecordedCount++
		}
		want := d.Given + d.Ledger + d.Flagged + d.Unrecorded - d.InTransit
		it := Item{Area: AreaBalance, Gateway: name, Subject: name, LocalAmount: want, Balance: d}
		got, err := b.Balance(ctx)
		d.Read = err == nil
		switch {
		case err != nil:
			it.Kind, it.Note = Unchecked, err.Error()
		case got == want:
			it.Kind, it.RemoteAmount = Matched, got
		case d.Unsure > 0:
			it.Kind, it.RemoteAmount = Unchecked, got
			it.Note = fmt.Sprintf("%d transfers in progress could not be checked: the expected balance is not known exactly", d.Unsure)
		default:
			it.Kind, it.RemoteAmount = AmountMismatch, got
			it.Note = fmt.Sprintf("the channel holds %s, the ledger expects %s (difference %s)", got, want, got-want)
		}
		add(it)
	}

	// Amounts a gateway did not state are verified in total by its balance
	// when that matched.
	balanced := map[string]bool{}
	for _, it := range rep.Items {
		if it.Area == AreaBalance && it.Kind == Matched {
			balanced[it.Gateway] = true
		}
	}
	for i, it := range rep.Items {
		if it.Kind == AmountNotChecked && balanced[it.Gateway] {
			rep.Items[i].Covered = true
		}
	}

	sort.SliceStable(rep.Items, func(i, j int) bool {
		a, b := rep.Items[i], rep.Items[j]
		if a.Area != b.Area {
			return a.Area < b.Area
		}
		return a.Subject < b.Subject
	})
	for _, it := range rep.Items {
		rep.Counts[it.Kind]++
	}
	return rep, nil
}

func paymentKnown(ctx context.Context, store domain.Store, externalID string) (bool, error) {
	known := false
	err := store.Read(ctx, func(tx domain.ReadTx) error {
		_, err := tx.GetPaymentByExternalID(externalID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		known = err == nil
		return err
	})
	return known, err
}

func transferKnown(ctx context.Context, store domain.Store, refID string) (bool, error) {
	known := false
	err := store.Read(ctx, func(tx domain.ReadTx) error {
		_, err := tx.GetTransfer(refID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		known = err == nil
		return err
	})
	return known, err
}

// expectedPaymentState is the gateway state a local payment status implies.
// A flagged payment was reported paid by the gateway (it failed our checks).
var expectedPaymentState = map[domain.PaymentStatus]domain.PaymentState{
	domain.PaymentPending: domain.PaymentStatePending,
	domain.PaymentSettled: domain.PaymentStatePaid,
	domain.PaymentFlagged: domain.PaymentStatePaid,
	domain.PaymentFailed:  domain.PaymentStateFailed,
	domain.PaymentExpired: domain.PaymentStateExpired,
}

func comparePayment(ctx context.Context, g PaymentChecker, p domain.Payment) Item {
	it := Item{Area: AreaPayment, Gateway: p.Gateway, Subject: p.ExternalID, LocalStatus: string(p.Status),
		LocalAmount: p.Amount, At: p.CreatedAt}
	r, err := g.PaymentStatus(ctx, p.ExternalID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		it.Kind, it.Note = MissingAtGateway, "the gateway has no payment with this id"
		return it
	case err != nil || r.State == domain.PaymentStateUnknown:
		it.Kind = Unchecked
		if err != nil {
			it.Note = err.Error()
		}
		return it
	}
	it.RemoteStatus, it.RemoteAmount, it.RemoteState = r.RawStatus, r.Amount, string(r.State)
	if it.RemoteStatus == "" {
		it.RemoteStatus = string(r.State)
	}
	local := p.Amount
	if p.Status == domain.PaymentSettled || p.Status == domain.PaymentFlagged {
		local = p.PaidAmount
	}
	it.LocalAmount = local
	switch {
	case p.Status == domain.PaymentPending && r.State != domain.PaymentStatePending:
		it.Kind = Behind
		it.Note = fmt.Sprintf("the gateway says %s; Lunas records it at its next check", r.State)
	case expectedPaymentState[p.Status] != r.State:
		it.Kind = StatusMismatch
		it.Note = fmt.Sprintf("Lunas says %s, the gateway says %s", p.Status, r.State)
	case r.Amount == 0 && r.State != domain.PaymentStatePaid:
		// Nothing was paid (pending, expired, failed): no money to verify,
		// and a reply without an amount says nothing against the link's.
		it.Kind = Matched
	case r.Amount == 0:
		it.Kind = AmountNotChecked
		it.Note = "the gateway stated no amount: status agrees, amount not verified"
	case r.Amount != local:
		it.Kind = AmountMismatch
		it.Note = fmt.Sprintf("Lunas has %s, the gateway has %s", local, r.Amount)
	default:
		it.Kind = Matched
	}
	return it
}

// outcomeFor maps a local transfer status to the gateway outcomes that agree with it.
func outcomesFor(s domain.TransferStatus) []domain.PayoutOutcome {
	switch s {
	case domain.TransferSucceeded:
		return []domain.PayoutOutcome{domain.OutcomeSucceeded}
	case domain.TransferFailed:
		return []domain.PayoutOutcome{domain.OutcomeFailed, domain.OutcomeRejected}
	case domain.TransferReversed:
		return []domain.PayoutOutcome{domain.OutcomeReversed}
	case domain.TransferCancelled:
		return []domain.PayoutOutcome{domain.OutcomeCancelled}
	case domain.TransferSending, domain.TransferAccepted, domain.TransferUnknown:
		return []domain.PayoutOutcome{domain.OutcomeAccepted}
	}
	return nil
}

// compareTransfer checks one transfer by REFID. Transfers never sent
// (awaiting approval, approved, queued, rejected) must be unknown to the
// gateway; they are checked too, because a gateway that has one is a problem.
func compareTransfer(ctx context.Context, c PayoutChecker, t domain.Transfer) (Item, domain.PayoutResult, bool) {
	it := Item{Area: AreaTransfer, Gateway: t.Channel, Subject: t.RefID, LocalStatus: string(t.Status),
		LocalAmount: t.Amount, At: t.CreatedAt}
	r, err := c.Status(ctx, t.RefID)
	if err != nil || r.Outcome == domain.OutcomeUnknown {
		it.Kind = Unchecked
		if err != nil {
			it.Note = err.Error()
		}
		return it, r, true
	}
	it.RemoteStatus, it.RemoteAmount, it.RemoteState = string(r.Outcome), r.Amount, string(r.Outcome)
	want := outcomesFor(t.Status)
	if r.Outcome == domain.OutcomeNotFound {
		if want == nil {
			return it, r, false // never sent and not at the gateway: nothing to compare
		}
		// A transfer still sending may not have reached the gateway; a
		// final or accepted one must be there.
		it.Kind, it.Note = MissingAtGateway, "the gateway has no payout with this REFID"
		return it, r, true
	}
	agrees := false
	for _, o := range want {
		if o == r.Outcome {
			agrees = true
		}
	}
	switch {
	case !agrees && slices.Contains(transitStatuses, t.Status) && r.Outcome != domain.OutcomeAccepted:
		it.Kind = Behind
		it.Note = fmt.Sprintf("the gateway says %s; Lunas records it at its next check", r.Outcome)
	case !agrees:
		it.Kind = StatusMismatch
		it.Note = fmt.Sprintf("Lunas says %s, the gateway says %s", t.Status, r.Outcome)
	case r.Amount == 0:
		// No transfer is of zero rupiah, so 0 means the gateway did not say.
		it.Kind = AmountNotChecked
		it.Note = "the gateway stated no amount: status agrees, amount not verified"
	case r.Amount != t.Amount:
		it.Kind = AmountMismatch
		it.Note = fmt.Sprintf("Lunas sent %s, the gateway has %s", t.Amount, r.Amount)
	default:
		it.Kind = Matched
	}
	return it, r, true
}

// transitStatuses are the local statuses of a transfer that may be at the
// gateway without being final in Lunas.
var transitStatuses = []domain.TransferStatus{domain.TransferSending, domain.TransferAccepted, domain.TransferUnknown}

func quoteName(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

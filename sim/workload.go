package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"lunas/domain"
	"lunas/gateways/sandbox"
)

// model is what the simulator knows outside Lunas: the orders the staff
// entered and what each buyer really paid at the gateway.
type model struct {
	orders map[string]*simOrder // by external id
	seq    int
	stats  Stats
}

func (m *model) init() { m.orders = map[string]*simOrder{} }

// simOrder is one order and its buyer.
type simOrder struct {
	ext      string
	gateway  string // "xendit" or "midtrans"
	total    domain.Rupiah
	items    []domain.OrderItem
	rule     int64
	buyer    int
	expires  time.Time
	recorded bool          // order and payment are in Lunas
	paid     domain.Rupiah // what the buyer paid at the gateway; 0: nothing
	paidAt   time.Time
	tries    int
	behave   string // "pay", "never", "under", "over", "late"
	what     string // for the trace
}

var buyers = []struct{ Name, Email string }{
	{"Rina Kartika", "rina@example.com"}, {"Agus Salim", "agus@example.com"}, {"Siti Nurhaliza", "siti@example.com"},
	{"Budi Santoso", "budi@example.com"}, {"Dewi Lestari", "dewi@example.com"},
}

// initSchedule plans the run: the orders, the person at the desk, and the
// environment (closing hours, gateway restarts, bank reversals).
func (w *world) initSchedule() {
	t := time.Duration(0)
	for i := 0; i < w.prof.orders; i++ {
		t += w.exp(w.prof.orderEvery)
		w.after(t, "order", w.newOrder)
	}
	w.after(w.exp(w.prof.actEvery), "person", w.person)
	for range w.rng.IntN(3) {
		w.after(0, "payee", w.changePayee) // some makers' details are already wrong or slow
	}
	w.after(between(w.rng, time.Minute, 10*time.Minute), "close", w.closeShop)
	w.after(between(w.rng, 2*time.Minute, 60*time.Minute), "gateway", w.gatewayTrouble)
	w.after(between(w.rng, 5*time.Minute, 60*time.Minute), "bank", w.bankReversal)
}

// exp draws an exponentially distributed wait with the given mean.
func (w *world) exp(mean time.Duration) time.Duration {
	return time.Duration(w.rng.ExpFloat64() * float64(mean))
}

// newOrder is the staff entering an order and creating its payment link.
// While the shop's computer is off, it waits for the next opening.
func (w *world) newOrder() {
	if !w.up() || w.asleep() {
		w.at(w.back().Add(between(w.rng, time.Second, 10*time.Minute)), "order", 0, w.newOrder)
		return
	}
	w.model.seq++
	o := &simOrder{ext: fmt.Sprintf("ORD-%04d", w.model.seq), buyer: w.rng.IntN(len(buyers))}
	o.gateway = "xendit"
	if w.rng.IntN(3) == 0 {
		o.gateway = "midtrans"
	}
	p := products[w.rng.IntN(len(products))]
	qty := int64(1 + w.rng.IntN(2))
	o.items = []domain.OrderItem{{ProductID: int64(slices.Index(products, p) + 1), Name: p.Name, Qty: qty, UnitPrice: p.Price}}
	o.rule = o.items[0].ProductID // one rule per product, in the same order
	o.total = p.Price*domain.Rupiah(qty) + 15_000
	switch x := w.rng.IntN(100); {
	case x < 72:
		o.behave = "pay"
	case x < 84:
		o.behave = "never"
	case x < 89:
		o.behave = "under"
	case x < 92:
		o.behave = "over"
	default:
		o.behave = "late"
	}
	w.model.orders[o.ext] = o
	w.model.stats.Orders++
	o.what = fmt.Sprintf("%d x %s = %s via %s, buyer will %s", qty, p.SKU, o.total, o.gateway, o.behave)
	w.linkOrder(o)
}

// linkOrder creates the payment link and records order and payment; a
// failed attempt is tried again a little later (as the staff would).
func (w *world) linkOrder(o *simOrder) {
	if !w.up() || w.asleep() {
		w.at(w.back().Add(between(w.rng, time.Second, 10*time.Minute)), "order link", 0, func() { w.linkOrder(o) })
		return
	}
	o.tries++
	b := buyers[o.buyer]
	now := w.clock.Now()
	ctx, cancel := w.clock.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gw := w.payments[o.gateway]
	link, err := gw.CreatePayment(ctx, domain.PaymentRequest{ExternalID: o.ext, Amount: o.total, Description: o.items[0].Name,
		BuyerName: b.Name, BuyerEmail: b.Email, Items: o.items, Expiry: time.Hour, Retry: o.tries > 1})
	if err != nil {
		w.tracef("shop link for %s failed: %s", o.ext, clip(err.Error(), 100))
		if o.tries < 4 && !w.crashed {
			w.after(between(w.rng, 10*time.Second, 5*time.Minute), "order link", func() { w.linkOrder(o) })
		}
		return
	}
	err = w.store().Write(context.Background(), func(tx domain.Tx) error {
		ord := domain.Order{ExternalID: o.ext, Source: "manual", BuyerName: b.Name, BuyerEmail: b.Email, Items: o.items,
			Shipping: 15_000, PayoutRuleID: o.rule, Status: domain.OrderOpen, CreatedAt: now}
		if err := tx.CreateOrder(&ord); err != nil {
			return err
		}
		pay := domain.Payment{OrderID: ord.ID, Gateway: o.gateway, ExternalID: o.ext, GatewayRef: link.GatewayRef, Amount: o.total,
			Status: domain.PaymentPending, URL: link.URL, CreatedAt: now, ExpiresAt: link.ExpiresAt, NextPollAt: now}
		return tx.CreatePayment(&pay)
	})
	if err != nil {
		w.tracef("shop recording %s failed: %s", o.ext, clip(err.Error(), 100))
		return // the link exists at the gateway but Lunas has no order: the buyer is never sent it
	}
	o.recorded, o.expires = true, link.ExpiresAt
	w.tracef("shop order %s: %s; link expires %s", o.ext, o.what, link.ExpiresAt.In(wib).Format("15:04"))
	var d time.Duration
	switch o.behave {
	case "never":
		return
	case "late":
		d = link.ExpiresAt.Sub(now) + between(w.rng, time.Second, 30*time.Minute)
	default:
		d = w.exp(w.prof.payAfter)
	}
	w.after(d, "buyer", func() { w.buyerPays(o) })
}

// back is when the app is expected to run again (now if it runs).
func (w *world) back() time.Time {
	now := w.clock.Now()
	t := now
	if w.asleep() {
		t = w.sleepUntil
	} else if !w.up() && w.backAt.After(now) {
		t = w.backAt
	}
	return t
}

// buyerPays is the buyer paying at the gateway (Lunas is not involved).
func (w *world) buyerPays(o *simOrder) {
	amount := o.total
	switch o.behave {
	case "under":
		amount -= 1000
	case "over":
		amount += 5000
	}
	var err error
	if o.gateway == "xendit" {
		err = w.sb.PayXenditInvoice(o.ext, amount)
	} else {
		if err = w.sb.MidtransChoose(o.ext, "bank_transfer"); err == nil || errors.Is(err, domain.ErrInvalidTransition) {
			err = w.sb.PayMidtrans(o.ext, amount, "")
		}
	}
	if err != nil {
		w.tracef("buy  %s could not pay %s: %s", o.ext, amount, clip(err.Error(), 80))
		return
	}
	o.paid, o.paidAt = amount, w.clock.Now()
	w.tracef("buy  %s paid %s at %s", o.ext, amount, o.gateway)
}

// person is the owner at the desk: approving, rejecting, retrying,
// sending again, editing payees, pausing. Only while the app is open.
func (w *world) person() {
	if !w.up() || w.asleep() {
		w.at(w.back().Add(w.exp(w.prof.actEvery)), "person", 0, w.person) // she is back when the app is
		return
	}
	defer func() { w.after(w.exp(w.prof.actEvery), "person", w.person) }()
	w.act()
}

// act is one action of the owner at her desk.
func (w *world) act() {
	var all []domain.Transfer
	err := w.store().Read(context.Background(), func(tx domain.ReadTx) (err error) {
		all, err = tx.ListTransfers(domain.TransferFilter{})
		return err
	})
	if err != nil {
		return
	}
	slices.SortFunc(all, func(a, b domain.Transfer) int { return int(a.ID - b.ID) })
	pick := func(st ...domain.TransferStatus) (domain.Transfer, bool) {
		var c []domain.Transfer
		for _, t := range all {
			if slices.Contains(st, t.Status) {
				c = append(c, t)
			}
		}
		if len(c) == 0 {
			return domain.Transfer{}, false
		}
		return c[w.rng.IntN(len(c))], true
	}
	ctx := context.Background()
	e := w.eng
	did := func(what string, err error) {
		if err != nil {
			w.tracef("desk %s: %s", what, clip(err.Error(), 110))
		} else {
			w.tracef("desk %s", what)
		}
	}
	switch x := w.rng.IntN(100); {
	case x < 30:
		var refs []string
		for _, t := range all {
			if t.Status == domain.TransferAwaitingApproval && w.rng.IntN(3) > 0 {
				refs = append(refs, t.RefID)
			}
		}
		if len(refs) > 0 {
			did(fmt.Sprintf("approve %v", refs), e.Approve(ctx, owner, "", refs...))
		}
	case x < 36:
		if t, ok := pick(domain.TransferAwaitingApproval, domain.TransferQueuedBalance); ok {
			did("reject "+t.RefID, e.Reject(ctx, owner, t.RefID, "tidak sesuai / not right"))
		}
	case x < 48:
		if t, ok := pick(domain.TransferUnknown, domain.TransferAccepted); ok {
			_, err := e.Retry(ctx, owner, t.RefID)
			did("retry "+t.RefID, err)
		}
	case x < 54:
		if t, ok := pick(domain.TransferSending, domain.TransferUnknown, domain.TransferAccepted, domain.TransferSucceeded); ok {
			_, err := e.CheckNow(ctx, owner, t.RefID)
			did("check "+t.RefID, err)
		}
	case x < 68:
		if t, ok := pick(domain.TransferFailed, domain.TransferRejected, domain.TransferCancelled, domain.TransferReversed); ok {
			ch := ""
			if w.rng.IntN(4) == 0 {
				ch = []string{chXendit, chIris, chH2H, chDOKU}[w.rng.IntN(4)] // reroute
			}
			c, err := e.SendAgain(ctx, owner, t.RefID, ch)
			did(fmt.Sprintf("send again %s via %q -> %s", t.RefID, ch, c.RefID), err)
		}
	case x < 72:
		if t, ok := pick(domain.TransferAccepted, domain.TransferUnknown); ok {
			_, err := e.Cancel(ctx, owner, t.RefID)
			did("cancel "+t.RefID, err)
		}
	case x < 82:
		w.changePayee()
	case x < 86:
		if w.paused {
			did("resume", e.Resume(ctx, owner))
			w.paused = e.Paused()
			w.resumedAt = w.clock.Now()
		} else {
			did("pause", e.Pause(ctx, owner))
			w.paused = e.Paused()
		}
	case x < 92:
		w.resolveConflicts()
	default:
		ch := []string{"xendit", "iris", "h2h"}[w.rng.IntN(3)]
		if b := w.sb.Balance(ch); b < 50_000_000 {
			w.sb.SetBalance(ch, b+100_000_000)
			w.tracef("desk top up %s to %s", ch, b+100_000_000)
		}
	}
}

// changePayee edits a payee's bank account, as the owner does when a maker
// sends new details (maybe one the gateway refuses, or one that never
// completes). Transfers already made keep their sealed destination.
func (w *world) changePayee() {
	id := int64(1 + w.rng.IntN(len(payees)))
	a := accounts[w.rng.IntN(len(accounts))]
	err := w.store().Write(context.Background(), func(tx domain.Tx) error {
		p, err := tx.GetPayee(id)
		if err != nil {
			return err
		}
		p.Channel, p.AccountNumber, p.UpdatedAt = a.Bank, a.Number, w.clock.Now()
		return tx.UpdatePayee(&p)
	})
	if err != nil {
		w.tracef("desk payee %d change failed: %s", id, clip(err.Error(), 80))
		return
	}
	w.tracef("desk payee %d now %s %s (%s at the gateway)", id, a.Bank, a.Number, a.Outcome)
}

// resolveConflicts is the owner checking the gateway's dashboard for each
// open conflict and saying what she found: the truth from the sandbox.
func (w *world) resolveConflicts() {
	ctx := context.Background()
	cs, err := w.eng.Conflicts(ctx)
	if err != nil || len(cs) == 0 {
		return
	}
	c := cs[0]
	t, err := w.transfer(c.RefID)
	if err != nil {
		return
	}
	paid := w.bookOf(t.Channel, t.RefID)
	if paid.Count-paid.Reversed > 0 && (t.Status == domain.TransferFailed || t.Status == domain.TransferCancelled) {
		err = w.eng.ConfirmPaidAfterAll(ctx, owner, c.RefID, "dashboard shows it paid")
		w.tracef("desk confirm %s paid after all: %v", c.RefID, err)
		return
	}
	err = w.eng.ResolveConflict(ctx, owner, c.RefID, "dashboard shows no payout")
	w.tracef("desk resolve conflict %s: %v", c.RefID, err)
}

// transfer reads one transfer through the live process's store.
func (w *world) transfer(ref string) (t domain.Transfer, err error) {
	err = w.store().Read(context.Background(), func(tx domain.ReadTx) error {
		t, err = tx.GetTransfer(ref)
		return err
	})
	return t, err
}

// bookOf is the gateway's book entry for a REFID on a Lunas channel.
func (w *world) bookOf(channel, ref string) sandbox.Payout {
	for _, p := range w.sb.Paid() {
		if p.Channel == bookName(channel) && p.RefID == ref {
			return p
		}
	}
	return sandbox.Payout{}
}

package engine

import (
	"context"
	"errors"
	"time"

	"lunas/domain"
)

// MailKind says which confirmation a queued mail is.
type MailKind string

// Mail kinds.
const (
	MailBuyerPaid MailKind = "buyer.paid" // to the buyer: payment received
	MailPayeePaid MailKind = "payee.paid" // to the payee: transfer succeeded, with REFID and amount
)

// Mail is one queued confirmation. The sending adapter renders it from Kind,
// Lang and Data, so that templates live outside the domain.
type Mail struct {
	ID        int64
	Kind      MailKind
	To        string
	Name      string
	Lang      string            // "id" or "en"
	Data      map[string]string // template values: order, amount, refid, shop...
	Key       string            // unique per confirmation, so a retried settlement never queues twice
	Attempts  int
	LastError string
	NextAt    time.Time
	CreatedAt time.Time
	SentAt    time.Time
}

// MailSender delivers one mail. Errors are retried later; they never touch money.
type MailSender interface {
	SendMail(ctx context.Context, m Mail) error
}

// OutboxTx is the mail outbox inside a write transaction (implemented by the
// store's transaction type). A duplicate Key is ignored without error.
type OutboxTx interface {
	EnqueueMail(m *Mail) error
	MarkMailSent(id int64, at time.Time) error
	MarkMailFailed(id int64, lastErr string, next time.Time) error
}

// MailQueuer is implemented by a store that can queue a mail without
// waiting for its id (PostgreSQL sends it with the transaction's next
// statement). It keeps a mail already queued under the same Key, as
// EnqueueMail does; the engine never needs the id.
type MailQueuer interface {
	QueueMail(m Mail) error
}

// OutboxReader lists mail that is due.
type OutboxReader interface {
	DueMail(now time.Time, limit int) ([]Mail, error)
}

// settingMailLang is the language of confirmations ("id" default, or "en").
const settingMailLang = "mail.lang"

func (e *Engine) enqueueMail(tx domain.Tx, m Mail) error {
	ob, ok := tx.(OutboxTx)
	if !ok || m.To == "" {
		return nil // no outbox in this store, or nobody to tell: money goes on
	}
	if m.Lang == "" {
		m.Lang = "id"
		if v, err := tx.GetSetting(settingMailLang); err == nil && v != "" {
			m.Lang = v
		}
	}
	m.CreatedAt = e.now().UTC()
	m.NextAt = m.CreatedAt
	if q, ok := tx.(MailQueuer); ok {
		return q.QueueMail(m)
	}
	return ob.EnqueueMail(&m)
}

// mailBackoff is the wait before retry number n (1-based): 1m, 2m, 4m ... 6h.
func mailBackoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

func (e *Engine) mailLoop(ctx context.Context) {
	tick(ctx, e.iv.Mail, nil, func(ctx context.Context) {
		if err := e.SendMailNow(ctx); err != nil && ctx.Err() == nil {
			e.warn("mail outbox", err)
		}
	})
}

// SendMailNow delivers the mail that is due. It returns the first store
// error; delivery failures are recorded for retry, not returned.
func (e *Engine) SendMailNow(ctx context.Context) error {
	if e.cfg.Mailer == nil {
		return nil
	}
	var due []Mail
	err := e.store.Read(ctx, func(tx domain.ReadTx) error {
		r, ok := tx.(OutboxReader)
		if !ok {
			return nil
		}
		var err error
		due, err = r.DueMail(e.now().UTC(), 50)
		return err
	})
	if err != nil || len(due) == 0 {
		return err
	}
	errs := make([]error, len(due))
	forEach(2, due, func(i int, m Mail) {
		cctx, cancel := e.withTimeout(ctx, e.iv.CallTimeout)
		defer cancel()
		errs[i] = e.cfg.Mailer.SendMail(cctx, m)
	})
	wctx, cancel := e.work(ctx)
	defer cancel()
	var failed []Mail
	err = e.store.Write(wctx, func(tx domain.Tx) error {
		failed = failed[:0]
		ob, ok := tx.(OutboxTx)
		if !ok {
			return errors.New("engine: store has no mail outbox")
		}
		now := e.now().UTC()
		for i, m := range due {
			if errs[i] == nil {
				if err := ob.MarkMailSent(m.ID, now); err != nil {
					return err
				}
				continue
			}
			e.log.Warn("mail not sent, will retry", "kind", m.Kind, "id", m.ID, "err", errs[i])
			if err := ob.MarkMailFailed(m.ID, errs[i].Error(), now.Add(mailBackoff(m.Attempts+1))); err != nil {
				return err
			}
			failed = append(failed, m)
		}
		return nil
	})
	if err == nil {
		for _, m := range failed {
			if m.Attempts+1 == 5 {
				e.publish(Event{Kind: EventMailFailed, Message: "email to " + m.To + " keeps failing: " + string(m.Kind)})
			}
		}
	}
	return err
}

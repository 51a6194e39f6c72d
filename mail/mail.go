// Package mail delivers the engine's confirmations by SMTP (go-mail), in
// Indonesian or English: to the buyer when a payment settled, and to the
// payee when a transfer succeeded (with REFID and amount). It implements
// engine.MailSender; the engine's outbox retries failures later, so a mail
// problem never holds up money.
package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"text/template"
	"time"

	gomail "github.com/wneessen/go-mail"

	"lunas/domain"
	"lunas/domain/engine"
)

// Config is the shop's SMTP settings.
type Config struct {
	Host     string
	Port     int    // default 587
	Username string // empty: no authentication
	Password string
	From     string // "Toko Batik Sari <toko@example.com>"
	Shop     string // shop name used in the text
	// TLS: "starttls" (default, required), "opportunistic", or "none"
	// (only for a server on loopback, such as tests).
	TLS     string
	Timeout time.Duration // default 30s
}

// Sender sends rendered confirmations. It is safe for concurrent use.
type Sender struct {
	cfg Config
}

var _ engine.MailSender = (*Sender)(nil)

// ErrTemplate reports a mail kind or language without a template.
var ErrTemplate = errors.New("mail: no template for this kind")

// New checks cfg and returns a sender.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" || cfg.From == "" {
		return nil, errors.New("mail: SMTP host and sender address are required")
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Shop == "" {
		cfg.Shop = "Lunas"
	}
	return &Sender{cfg: cfg}, nil
}

// SendMail implements engine.MailSender: it renders m and delivers it.
func (s *Sender) SendMail(ctx context.Context, m engine.Mail) error {
	subject, body, err := Render(m, s.cfg.Shop)
	if err != nil {
		return err
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("mail: sender address: %w", err)
	}
	to := m.To
	if m.Name != "" {
		to = fmt.Sprintf("%q <%s>", m.Name, m.To)
	}
	if err := msg.To(to); err != nil {
		return fmt.Errorf("mail: recipient address: %w", err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, body)
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case "none":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.NoTLS))
	case "opportunistic":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		// go-mail errors carry server replies, never our password.
		return fmt.Errorf("mail: send %s to %s: %w", m.Kind, m.To, err)
	}
	return nil
}

type tmpl struct{ subject, body *template.Template }

func mk(subject, body string) tmpl {
	return tmpl{template.Must(template.New("s").Parse(subject)), template.Must(template.New("b").Parse(body))}
}

// templates by kind and language.
var templates = map[engine.MailKind]map[string]tmpl{
	engine.MailBuyerPaid: {
		"id": mk(`Pembayaran pesanan {{.order}} sudah kami terima`,
			`Halo {{.buyer}},

Terima kasih! Pembayaran Anda sebesar {{.amount}} untuk pesanan {{.order}} sudah kami terima dan terverifikasi.
Pesanan Anda segera kami proses.

Salam hangat,
{{.shop}}
`),
		"en": mk(`Payment for order {{.order}} received`,
			`Hello {{.buyer}},

Thank you! We have received and verified your payment of {{.amount}} for order {{.order}}.
We will process your order shortly.

Kind regards,
{{.shop}}
`),
	},
	engine.MailPayeePaid: {
		"id": mk(`Transfer {{.amount}} sudah masuk (REFID {{.refid}})`,
			`Halo {{.payee}},

Transfer bagi hasil sebesar {{.amount}} ke rekening {{.channel}} {{.account}} sudah berhasil.
Nomor referensi (REFID): {{.refid}}
Simpan nomor ini bila perlu menanyakan transfer ke kami.

Salam,
{{.shop}}
`),
		"en": mk(`Transfer of {{.amount}} completed (REFID {{.refid}})`,
			`Hello {{.payee}},

Your payout of {{.amount}} to {{.channel}} account {{.account}} has been completed.
Reference (REFID): {{.refid}}
Please quote this reference if you ask us about the transfer.

Regards,
{{.shop}}
`),
	},
}

// Render returns the subject and plain-text body of m. Unknown languages
// fall back to Indonesian.
func Render(m engine.Mail, shop string) (subject, body string, err error) {
	byLang, ok := templates[m.Kind]
	if !ok {
		return "", "", fmt.Errorf("%w: %q", ErrTemplate, m.Kind)
	}
	t, ok := byLang[m.Lang]
	if !ok {
		t = byLang["id"]
	}
	lang := m.Lang
	if _, ok := byLang[lang]; !ok {
		lang = domain.LangIndonesian
	}
	data := map[string]string{"shop": shop}
	for k, v := range m.Data {
		data[k] = v
	}
	// The engine writes amounts the Indonesian way; an English email writes
	// them the English way ("Rp1,059,000"), like the desktop.
	if a, err := domain.ParseRupiah(data["amount"]); err == nil && data["amount"] != "" {
		data["amount"] = a.Format(lang)
	}
	if c := data["channel"]; c != "" {
		data["channel"] = domain.ChannelName(c)
	}
	var sb, bb bytes.Buffer
	if err := t.subject.Execute(&sb, data); err != nil {
		return "", "", err
	}
	if err := t.body.Execute(&bb, data); err != nil {
		return "", "", err
	}
	return sb.String(), bb.String(), nil
}

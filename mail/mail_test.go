package mail_test

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
	"lunas/mail"
)

// inbox is a real SMTP server on loopback (emersion/go-smtp) that keeps what
// it receives and can refuse the next messages with a temporary error.
type inbox struct {
	mu     sync.Mutex
	msgs   []string
	refuse int
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct{ b *inbox }

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.refuse > 0 {
		s.b.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	return nil
}
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, string(b))
	s.b.mu.Unlock()
	return nil
}

func (b *inbox) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.msgs...)
}

func startSMTP(t *testing.T) (*inbox, string, int) {
	t.Helper()
	b := &inbox{}
	s := smtp.NewServer(b)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	a := ln.Addr().(*net.TCPAddr)
	return b, "127.0.0.1", a.Port
}

func sender(t *testing.T, host string, port int) *mail.Sender {
	t.Helper()
	s, err := mail.New(mail.Config{Host: host, Port: port, From: "Toko Batik Sari <toko@example.com>", Shop: "Toko Batik Sari", TLS: "none", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTemplatesThroughRealSMTP(t *testing.T) {
	box, host, port := startSMTP(t)
	s := sender(t, host, port)
	cases := []struct {
		m    engine.Mail
		want []string
	}{
		{engine.Mail{Kind: engine.MailBuyerPaid, To: "rina@example.com", Name: "Rina", Lang: "id",
			Data: map[string]string{"order": "BTK-0001", "amount": "Rp865.000", "buyer": "Rina"}},
			[]string{"Pembayaran pesanan BTK-0001", "Rp865.000", "Toko Batik Sari"}},
		{engine.Mail{Kind: engine.MailBuyerPaid, To: "rina@example.com", Lang: "en",
			Data: map[string]string{"order": "BTK-0001", "amount": "Rp865.000", "buyer": "Rina"}},
			[]string{"Payment for order BTK-0001", "Rp865,000"}},
		{engine.Mail{Kind: engine.MailPayeePaid, To: "ani@example.com", Name: "Bu Ani", Lang: "id",
			Data: map[string]string{"refid": "LNS-261122-ABCDEFGHJK", "amount": "Rp605.500", "payee": "Bu Ani", "account": "••••1146", "channel": "BCA"}},
			[]string{"LNS-261122-ABCDEFGHJK", "Rp605.500", "sudah berhasil"}},
		{engine.Mail{Kind: engine.MailPayeePaid, To: "ani@example.com", Lang: "en",
			Data: map[string]string{"refid": "LNS-261122-ABCDEFGHJK", "amount": "Rp605.500", "payee": "Bu Ani", "account": "••••1146", "channel": "BCA"}},
			[]string{"LNS-261122-ABCDEFGHJK", "Rp605,500", "has been completed"}},
	}
	for i, c := range cases {
		if err := s.SendMail(context.Background(), c.m); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		got := box.all()
		if len(got) != i+1 {
			t.Fatalf("case %d: server has %d messages", i, len(got))
		}
		for _, w := range c.want {
			if !strings.Contains(decode(got[i]), w) {
				t.Errorf("case %d: message lacks %q:\n%s", i, w, got[i])
			}
		}
	}
}

// decode undoes quoted-printable soft breaks and =E2=80=A2-style escapes
// enough to search the text.
func decode(s string) string {
	s = strings.ReplaceAll(s, "=\r\n", "")
	return s
}

func TestUnknownKindRefused(t *testing.T) {
	_, _, err := mail.Render(engine.Mail{Kind: "nope"}, "x")
	if !errors.Is(err, mail.ErrTemplate) {
		t.Fatalf("got %v", err)
	}
}

// TestOutboxRetriesLater: a refused delivery is recorded and retried by the
// engine's outbox; money work is not involved at all.
func TestOutboxRetriesLater(t *testing.T) {
	ctx := context.Background()
	box, host, port := startSMTP(t)
	box.refuse = 1
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"), sqlite.Options{Now: clock, SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := engine.New(engine.Config{Store: db, Mailer: sender(t, host, port), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	err = db.WriteTx(ctx, func(tx *sqlite.Tx) error {
		for _, k := range []string{"a", "a"} { // the same key twice: queued once
			m := engine.Mail{Kind: engine.MailPayeePaid, To: "ani@example.com", Lang: "id", Key: "payee.paid:" + k,
				Data: map[string]string{"refid": "LNS-1", "amount": "Rp1"}, CreatedAt: now, NextAt: now}
			if err := tx.EnqueueMail(&m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stats := func() (q, s int) {
		db.Read(ctx, func(tx domain.ReadTx) error {
			q, s, err = tx.(*sqlite.Tx).MailStats()
			return err
		})
		return
	}
	if err := e.SendMailNow(ctx); err != nil {
		t.Fatal(err)
	}
	if q, s := stats(); q != 1 || s != 0 {
		t.Fatalf("after refusal queued=%d sent=%d", q, s)
	}
	if err := e.SendMailNow(ctx); err != nil { // not due yet
		t.Fatal(err)
	}
	if len(box.all()) != 0 {
		t.Fatal("retried before its time")
	}
	now = now.Add(2 * time.Minute)
	if err := e.SendMailNow(ctx); err != nil {
		t.Fatal(err)
	}
	if q, s := stats(); q != 0 || s != 1 || len(box.all()) != 1 {
		t.Fatalf("after retry queued=%d sent=%d received=%d", q, s, len(box.all()))
	}
}

package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/security"
)

// secAuth adapts the security service, as app does.
type secAuth struct{ s *security.Service }

func (a secAuth) HasUsers(ctx context.Context) (bool, error) {
	n, err := a.s.NeedsOwner(ctx)
	return !n, err
}

func (a secAuth) Login(ctx context.Context, name, password, code string) (domain.Actor, error) {
	act, err := a.s.Login(ctx, name, password, code)
	if errors.Is(err, security.ErrBadCredentials) {
		err = errors.Join(ErrBadLogin, err)
	}
	return act, err
}

func (a secAuth) Lock() {}

func (a secAuth) BeginOwner(ctx context.Context, name, password string) (Enrolment, error) {
	e, err := a.s.CreateOwner(ctx, name, password)
	return Enrolment{Secret: e.Secret, URL: e.URL, QR: e.QR, RecoveryCodes: e.RecoveryCodes}, err
}

func (a secAuth) FinishOwner(ctx context.Context, name, password string, _ Enrolment, code string) (domain.Actor, error) {
	return a.Login(ctx, name, password, code)
}

// TestFirstRunOwnerThenLoginAndLock walks the first-run wizard with the real
// security service (Argon2id, vault, TOTP), then locks and signs in again.
func TestFirstRunOwnerThenLoginAndLock(t *testing.T) {
	vault := security.NewVault(security.VaultOptions{Params: security.Params{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}})
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "shop.db"), sqlite.Options{Cipher: vault})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sec := security.New(db, vault, security.Options{PasswordParams: security.Params{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}})
	auth := secAuth{sec}
	a := test.NewTempApp(t)
	SetLanguage(LangEnglish)
	u := New(a, Services{Store: db, Location: time.UTC, Auth: auth, Owner: auth}, Options{})
	t.Cleanup(u.Close)
	u.Start()
	if !markupHas(u, "Welcome to Lunas") {
		t.Fatal("first run does not show the welcome page")
	}
	w := &wizard{u: u, zone: timeZones[0].name, shop: "Batik Sari"}
	w.ownerPage()
	user := focusedKeyEntry(t, u)
	user.SetText("sari")
	test.FocusNext(u.win.Canvas())
	test.Type(u.win.Canvas().Focused().(*keyEntry), "batik-tulis-2026")
	test.FocusNext(u.win.Canvas())
	pass2 := u.win.Canvas().Focused().(*keyEntry)
	test.Type(pass2, "batik-tulis-2026")
	pass2.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	var secret string
	waitFor(t, 10*time.Second, "the authenticator page", func() bool {
		m := markup(u)
		if !strings.Contains(m, "Authenticator app") {
			return false
		}
		for _, l := range strings.Split(m, "\n") { // the secret is shown in monospace
			if strings.Contains(l, "monospace") && strings.Contains(l, "<text") {
				i, j := strings.Index(l, ">"), strings.LastIndex(l, "</text>")
				if s := l[i+1 : j]; len(s) >= 16 && !strings.Contains(s, "-") && secret == "" {
					secret = s
				}
			}
		}
		return secret != ""
	})
	code, _ := totp.GenerateCode(secret, time.Now())
	ce := findKeyEntry(u.win.Content())
	test.Type(ce, code)
	ce.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	waitFor(t, 10*time.Second, "the gateway page", func() bool { return markupHas(u, "Payment gateway") })
	if b := findButton(u.win.Content(), tr("wizard.finish")); b != nil {
		test.Tap(b)
	} else {
		t.Fatal("no finish button")
	}
	if !u.signedIn || u.actor.Role != domain.RoleOwner {
		t.Fatalf("after the wizard: signed in %v as %+v", u.signedIn, u.actor)
	}
	if u.setting(SettingShopName) != "Batik Sari" {
		t.Error("shop name not saved")
	}

	// Lock, then a wrong password is refused in words, the right one opens.
	u.Lock()
	if !markupHas(u, "Lunas is locked") {
		t.Fatal("no lock screen")
	}
	pass := findPasswordEntry(u.win.Content())
	test.Type(pass, "wrong-password-1")
	pass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	waitFor(t, 10*time.Second, "the refusal", func() bool { return markupHas(u, "The name, password or code is not right.") })
	if u.signedIn {
		t.Fatal("signed in with a wrong password")
	}
	// The enrolment used this step's code and replays are refused: the
	// next step's code is accepted (one step of clock drift is allowed).
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	pass = findPasswordEntry(u.win.Content())
	test.Type(pass, "batik-tulis-2026")
	var codeEntry *keyEntry
	for _, e := range allKeyEntries(u.win.Content()) {
		if e.PlaceHolder == tr("login.code") {
			codeEntry = e
		}
	}
	test.Type(codeEntry, code)
	codeEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	waitFor(t, 10*time.Second, "sign-in", func() bool { return u.signedIn })
}

func allKeyEntries(o fyne.CanvasObject) []*keyEntry {
	var out []*keyEntry
	switch v := o.(type) {
	case *keyEntry:
		return []*keyEntry{v}
	case *fyne.Container:
		for _, c := range v.Objects {
			out = append(out, allKeyEntries(c)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			out = append(out, allKeyEntries(c)...)
		}
	}
	return out
}

func findKeyEntry(o fyne.CanvasObject) *keyEntry {
	if es := allKeyEntries(o); len(es) > 0 {
		return es[len(es)-1]
	}
	return nil
}

func findPasswordEntry(o fyne.CanvasObject) *keyEntry {
	for _, e := range allKeyEntries(o) {
		if e.Password {
			return e
		}
	}
	return nil
}

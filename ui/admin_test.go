package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/security"
)

// gatedCheck is the real integrity check of a real file, held until the
// test opens the gate (the check of a million transfers takes seconds).
type gatedCheck struct {
	gate chan struct{}
	path string
}

func (c gatedCheck) CheckDatabase(ctx context.Context) error {
	<-c.gate
	return sqlite.VerifyFile(ctx, c.path)
}

// damagedCopy writes a copy of a real Lunas database with its b-tree pages
// overwritten, so integrity_check fails.
func damagedCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.db")
	st := openStore(t, nil)
	seedShop(t, st)
	if err := st.Backup(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096 * 2; i < len(data)-4096; i += 4096 { // keep page 1 (the header and schema)
		copy(data[i+100:i+300], make([]byte, 200))
		data[i] = 0xff
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.VerifyFile(context.Background(), path); !errors.Is(err, domain.ErrDamaged) {
		t.Fatalf("the damaged copy checks as %v", err)
	}
	return path
}

func TestDatabaseCheckBannerHoldsUntilPassed(t *testing.T) {
	env := newTestEnv(t, false)
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := env.store.Backup(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	svc := env.services()
	chk := gatedCheck{gate: make(chan struct{}), path: path}
	svc.Health = chk
	a := test.NewTempApp(t)
	SetLanguage(LangEnglish)
	u := New(a, svc, Options{})
	t.Cleanup(u.Close)
	u.Start() // no sign-in service: the main window at once
	waitIdle(u)
	if u.DatabaseState() != "checking" || !markupHas(u, "Checking the database") {
		t.Fatalf("while checking: state %q, banner shown %v", u.DatabaseState(), markupHas(u, "Checking the database"))
	}
	u.Navigate(ScreenTransfers) // the screens work meanwhile
	waitIdle(u)
	if !markupHas(u, "RF-") {
		t.Fatal("transfers do not show while the database is being checked")
	}
	close(chk.gate)
	waitFor(t, 10*time.Second, "the check to pass", func() bool { return u.DatabaseState() == "ok" })
	if markupHas(u, "Checking the database") {
		t.Fatal("the banner stays after the check passed")
	}
}

func TestDamagedDatabaseBlocksTheWindow(t *testing.T) {
	for _, lang := range []string{LangEnglish, LangIndonesian} {
		t.Run(lang, func(t *testing.T) {
			env := newTestEnv(t, false)
			svc := env.services()
			chk := gatedCheck{gate: make(chan struct{}), path: damagedCopy(t)}
			close(chk.gate)
			svc.Health = chk
			a := test.NewTempApp(t)
			SetLanguage(lang)
			t.Cleanup(func() { SetLanguage(LangEnglish) })
			u := New(a, svc, Options{})
			t.Cleanup(u.Close)
			u.Start()
			waitFor(t, 10*time.Second, "the check", func() bool { return u.DatabaseState() == "damaged" })
			if !markupHas(u, tr("db.damaged.title")) || !markupHas(u, tr("action.quit")) {
				t.Fatal("no blocking message for a damaged file")
			}
			if u.signedIn || markupHas(u, tr("nav.transfers")) {
				t.Fatal("the main window is still usable on a damaged file")
			}
			u.ShowMain(domain.Actor{Name: "owner", Role: domain.RoleOwner}) // e.g. a sign-in finishing late
			if u.signedIn || !markupHas(u, tr("db.damaged.title")) {
				t.Fatal("the main window opened over a damaged file")
			}
		})
	}
}

// secAdmin adapts the security service the way app does.
type secAdmin struct {
	s  *security.Service
	db *sqlite.DB
}

func (a secAdmin) Backup(ctx context.Context, _ domain.Actor, path string) error {
	return a.db.Backup(ctx, path)
}
func (a secAdmin) ImportWatchlist(context.Context, domain.Actor, string) (int, error) {
	return 0, errNotAvailable
}
func (a secAdmin) ListUsers(ctx context.Context, actor domain.Actor) ([]domain.User, error) {
	return a.s.ListUsers(ctx, actor)
}
func (a secAdmin) AddUser(ctx context.Context, actor domain.Actor, name string, role domain.Role, password string) (Enrolment, error) {
	e, err := a.s.AddUser(ctx, actor, name, role, password)
	return Enrolment{Secret: e.Secret, RecoveryCodes: e.RecoveryCodes}, err
}
func (a secAdmin) SetRole(ctx context.Context, actor domain.Actor, id int64, role domain.Role) error {
	return a.s.SetRole(ctx, actor, id, role)
}
func (a secAdmin) SetDisabled(ctx context.Context, actor domain.Actor, id int64, off bool) error {
	return a.s.SetDisabled(ctx, actor, id, off)
}
func (a secAdmin) ErasePayee(ctx context.Context, actor domain.Actor, id int64) error {
	err := a.s.ErasePayee(ctx, actor, id)
	if errors.Is(err, security.ErrOpenObligations) {
		return errors.Join(ErrOpenObligations, err)
	}
	return err
}

// securedShop is a real shop database behind a real vault and security
// service, with the owner sari (vault open) and the seeded payees.
func securedShop(t *testing.T) (*sqlite.DB, *security.Service, domain.Actor, seeded) {
	t.Helper()
	db, sec, owner, seed, _ := securedShopWithSecret(t)
	return db, sec, owner, seed
}

// securedShopWithSecret is securedShop with the owner's TOTP secret.
func securedShopWithSecret(t *testing.T) (*sqlite.DB, *security.Service, domain.Actor, seeded, string) {
	t.Helper()
	fast := security.Params{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}
	vault := security.NewVault(security.VaultOptions{Params: fast})
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "shop.db"), sqlite.Options{Cipher: vault, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sec := security.New(db, vault, security.Options{PasswordParams: fast})
	enr, err := sec.CreateOwner(context.Background(), "sari", "batik-tulis-2026")
	if err != nil {
		t.Fatal(err)
	}
	us, err := sec.ListUsers(context.Background(), domain.Actor{Name: "sari", Role: domain.RoleOwner})
	if err != nil || len(us) != 1 {
		t.Fatalf("users %v, %v", us, err)
	}
	owner := domain.Actor{Name: "sari", Role: domain.RoleOwner, UserID: us[0].ID}
	return db, sec, owner, seedShop(t, db), enr.Secret
}

func userByName(t *testing.T, sec *security.Service, owner domain.Actor, name string) domain.User {
	t.Helper()
	us, err := sec.ListUsers(context.Background(), owner)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("no user %s", name)
	return domain.User{}
}

func auditHas(t *testing.T, db *sqlite.DB, action string) bool {
	t.Helper()
	var found bool
	if err := db.Read(context.Background(), func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(0, 0)
		for _, e := range es {
			found = found || e.Action == action
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return found
}

// confirmYes taps the affirmative button of the dialog on top.
func confirmYes(t *testing.T, u *UI) {
	t.Helper()
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog")
	}
	b := findButton(top, "Yes")
	if b == nil {
		t.Fatal("no Yes button in the dialog")
	}
	test.Tap(b)
}

func findSelects(o fyne.CanvasObject) []*widget.Select {
	var out []*widget.Select
	switch v := o.(type) {
	case *widget.Select:
		return []*widget.Select{v}
	case *fyne.Container:
		for _, c := range v.Objects {
			out = append(out, findSelects(c)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			out = append(out, findSelects(c)...)
		}
	}
	return out
}

func TestSettingsChangeRoleAndDisableUser(t *testing.T) {
	db, sec, owner, _ := securedShop(t)
	if _, err := sec.AddUser(context.Background(), owner, "budi", domain.RoleStaff, "kasir-toko-2026"); err != nil {
		t.Fatal(err)
	}
	adm := secAdmin{sec, db}
	a := test.NewTempApp(t)
	SetLanguage(LangEnglish)
	u := New(a, Services{Store: db, Location: time.UTC, Admin: adm, Users: adm}, Options{StartScreen: ScreenSettings})
	t.Cleanup(u.Close)
	u.win.Resize(fyne.NewSize(1180, 1400))
	u.ShowMain(owner)
	u.screens[ScreenSettings].(*settingsScreen).acc.OpenAll()
	waitFor(t, 10*time.Second, "the users", func() bool { return markupHas(u, "budi") })
	budi := userByName(t, sec, owner, "budi")

	// budi becomes a viewer after confirmation.
	var budiRole *widget.Select
	for _, s := range findSelects(u.win.Content()) {
		if s.Selected == tr("role.staff") {
			budiRole = s
		}
	}
	if budiRole == nil {
		t.Fatal("no role picker for budi")
	}
	budiRole.SetSelected(tr("role.viewer"))
	confirmYes(t, u)
	waitFor(t, 10*time.Second, "the role change", func() bool {
		return userByName(t, sec, owner, "budi").Role == domain.RoleViewer
	})
	if !auditHas(t, db, "user.role") {
		t.Error("role change not audited")
	}

	// Disabling budi, after confirmation.
	waitFor(t, 10*time.Second, "the list again", func() bool { return findButton(u.win.Content(), tr("users.disable")) != nil })
	off := disableButtonFor(t, u, budi.Name)
	test.Tap(off)
	confirmYes(t, u)
	waitFor(t, 10*time.Second, "budi disabled", func() bool { return userByName(t, sec, owner, "budi").Disabled })
	if !auditHas(t, db, "user.disable") {
		t.Error("disabling not audited")
	}

	// The last owner cannot demote herself: the service refuses, the list
	// snaps back and says why.
	waitFor(t, 10*time.Second, "the list again", func() bool { return markupHas(u, tr("users.disabled")) })
	var mine *widget.Select
	for _, s := range findSelects(u.win.Content()) {
		if s.Selected == tr("role.owner") {
			mine = s
		}
	}
	if mine == nil {
		t.Fatal("no role picker for the owner")
	}
	mine.SetSelected(tr("role.staff"))
	confirmYes(t, u)
	waitFor(t, 10*time.Second, "the refusal", func() bool { return markupHas(u, "last owner") })
	if userByName(t, sec, owner, "sari").Role != domain.RoleOwner {
		t.Fatal("the last owner was demoted")
	}

	// Staff get no controls (the service does not even list users for them)
	// and are refused below the UI anyway.
	staff := domain.Actor{Name: "budi", Role: domain.RoleStaff, UserID: budi.ID}
	u.ShowMain(staff)
	u.screens[ScreenSettings].(*settingsScreen).acc.OpenAll()
	waitFor(t, 10*time.Second, "the users or a refusal", func() bool {
		return markupHas(u, "sari") || markupHas(u, tr("err.permission"))
	})
	if len(findSelects(u.win.Content())) > 2 { // language and theme only
		t.Error("staff get role pickers")
	}
	if err := adm.SetRole(context.Background(), staff, budi.ID, domain.RoleOwner); !errors.Is(err, domain.ErrPermission) {
		t.Errorf("staff promoted themselves: %v", err)
	}
}

// disableButtonFor finds the Disable button on the row of user name.
func disableButtonFor(t *testing.T, u *UI, name string) *widget.Button {
	t.Helper()
	var walk func(o fyne.CanvasObject) *widget.Button
	walk = func(o fyne.CanvasObject) *widget.Button {
		c, ok := o.(*fyne.Container)
		if !ok {
			if w, ok := o.(fyne.Widget); ok {
				for _, ch := range test.WidgetRenderer(w).Objects() {
					if b := walk(ch); b != nil {
						return b
					}
				}
			}
			return nil
		}
		hasName := false
		for _, ch := range c.Objects {
			if l, ok := ch.(*widget.Label); ok && l.Text == name {
				hasName = true
			}
		}
		if hasName {
			if b := findButton(c, tr("users.disable")); b != nil {
				return b
			}
		}
		for _, ch := range c.Objects {
			if b := walk(ch); b != nil {
				return b
			}
		}
		return nil
	}
	b := walk(u.win.Content())
	if b == nil {
		t.Fatalf("no disable button for %s", name)
	}
	return b
}

func TestPayeeEraseThroughSecurityService(t *testing.T) {
	db, sec, owner, seed := securedShop(t)
	adm := secAdmin{sec, db}
	// A maker who was paid in full long ago: nothing binds her any more.
	done := domain.Payee{Name: "Bu Wati (Lasem)", Channel: "BRI", AccountNumber: "002201234567", AccountHolder: "WATI", Verification: domain.VerifyOK}
	if err := db.Write(context.Background(), func(tx domain.Tx) error { return tx.CreatePayee(&done) }); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	SetLanguage(LangEnglish)
	u := New(a, Services{Store: db, Location: time.UTC, Personal: adm, Payees: payeeSaver{db}}, Options{StartScreen: ScreenPayees})
	t.Cleanup(u.Close)
	u.ShowMain(owner)
	waitIdle(u)
	s := u.screens[ScreenPayees].(*payeesScreen)

	// A payee still owed money: refused, in words.
	busy := seed.payees[0]
	s.edit(&busy)
	test.Tap(findButton(u.win.Canvas().Overlays().Top(), tr("payee.erase")))
	confirmYes(t, u)
	waitFor(t, 10*time.Second, "the refusal", func() bool { return markupHas(u, "still owed money") })
	u.win.Canvas().Overlays().Top().Hide()
	u.win.Canvas().Overlays().Remove(u.win.Canvas().Overlays().Top())

	s.edit(&done)
	test.Tap(findButton(u.win.Canvas().Overlays().Top(), tr("payee.erase")))
	confirmYes(t, u)
	var got domain.Payee
	waitFor(t, 10*time.Second, "the erasure", func() bool {
		_ = db.Read(context.Background(), func(tx domain.ReadTx) error {
			var err error
			got, err = tx.GetPayee(done.ID)
			return err
		})
		return got.Erased
	})
	if got.AccountNumber != "" || got.Email != "" || got.Name == done.Name {
		t.Fatalf("after erase: %+v", got)
	}
	if !auditHas(t, db, "payee.erase") {
		t.Error("erasure not audited")
	}

	// Staff cannot: the button is off and the service says no.
	staff := domain.Actor{Name: "budi", Role: domain.RoleStaff}
	u.ShowMain(staff)
	waitIdle(u)
	other := seed.payees[1]
	u.screens[ScreenPayees].(*payeesScreen).edit(&other)
	if b := findButton(u.win.Canvas().Overlays().Top(), tr("payee.erase")); b == nil || !b.Disabled() {
		t.Error("staff can press erase")
	}
	if err := adm.ErasePayee(context.Background(), staff, other.ID); !errors.Is(err, domain.ErrPermission) {
		t.Errorf("staff erased: %v", err)
	}
}

// payeeSaver makes the payee form editable (as app's SavePayee does).
type payeeSaver struct{ db *sqlite.DB }

func (p payeeSaver) SavePayee(ctx context.Context, actor domain.Actor, py *domain.Payee) error {
	if err := actor.Can(domain.PermManagePayees); err != nil {
		return err
	}
	return p.db.Write(ctx, func(tx domain.Tx) error { return tx.UpdatePayee(py) })
}

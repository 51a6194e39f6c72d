package app

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/zalando/go-keyring"

	"lunas/domain"
	"lunas/domain/postgres/pgtest"
	"lunas/domain/risk"
	"lunas/domain/sqlite"
	"lunas/security"
)

// testPassword is the owner's password in tests. testParams keep Argon2id
// cheap: the vault and password hashes store their parameters, so the
// commands unlock these files with the same code as a real shop.
const testPassword = "batik-sari-2026!"

var testParams = security.Params{Time: 1, MemoryKiB: 256, Threads: 1}

// memKeychain is an in-memory OS keychain.
type memKeychain struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *memKeychain) Get(s, u string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[s+"/"+u]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *memKeychain) Set(s, u, p string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[s+"/"+u] = p
	return nil
}

func (k *memKeychain) Delete(s, u string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, s+"/"+u)
	return nil
}

// useKeychain makes the commands see kc (a fresh empty one when nil)
// instead of this machine's keychain, for the rest of the test.
func useKeychain(t *testing.T, kc *memKeychain) *memKeychain {
	t.Helper()
	if kc == nil {
		kc = &memKeychain{}
	}
	old := cliKeychain
	cliKeychain = kc
	t.Cleanup(func() { cliKeychain = old })
	return kc
}

// testShop is a real shop database: vault, owner "sari" with two-factor,
// opened and unlocked as the desktop leaves it after the first run.
type testShop struct {
	t      *testing.T
	Path   string
	DB     shopDB
	Sec    *security.Service
	Owner  domain.Actor
	Secret string // the owner's TOTP secret
}

// newTestShop creates the shop at dir/lunas.db. kc, when set, is the
// keychain of its vault (for "remember on this computer").
func newTestShop(t *testing.T, kc security.Keychain) *testShop {
	t.Helper()
	return newTestShopAt(t, kc, filepath.Join(t.TempDir(), "lunas.db"))
}

// newPGTestShop is newTestShop on a fresh database of the PostgreSQL test
// server; Path is its URL.
func newPGTestShop(t *testing.T, kc security.Keychain) *testShop {
	t.Helper()
	return newTestShopAt(t, kc, pgtest.NewDatabase(t))
}

func newTestShopAt(t *testing.T, kc security.Keychain, path string) *testShop {
	t.Helper()
	s := &testShop{t: t, Path: path}
	if kc == nil {
		kc = &memKeychain{}
	}
	vault := security.NewVault(security.VaultOptions{Params: testParams, Keychain: kc})
	db, err := openStore(context.Background(), &env{DBPath: path}, sqlite.Options{Cipher: vault, SyncNormal: true})
	if err != nil {
		t.Fatal(err)
	}
	s.DB = db
	s.Sec = security.New(db, vault, security.Options{PasswordParams: testParams})
	enr, err := s.Sec.CreateOwner(context.Background(), "sari", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	s.Owner = domain.Actor{UserID: enr.UserID, Name: enr.Name, Role: domain.RoleOwner}
	s.Secret = enr.Secret
	t.Cleanup(func() { s.DB.Close() })
	return s
}

// addUser adds a user with testPassword and returns them.
func (s *testShop) addUser(name string, role domain.Role) domain.Actor {
	s.t.Helper()
	enr, err := s.Sec.AddUser(context.Background(), s.Owner, name, role, testPassword)
	if err != nil {
		s.t.Fatal(err)
	}
	return domain.Actor{UserID: enr.UserID, Name: name, Role: role}
}

// secret stores a gateway key in the vault, as the desktop's settings do.
func (s *testShop) secret(name, value string) {
	s.t.Helper()
	if err := s.Sec.SetSecret(context.Background(), s.Owner, name, value); err != nil {
		s.t.Fatal(err)
	}
}

// setting stores a plain setting.
func (s *testShop) setting(k, v string) {
	s.t.Helper()
	if err := s.DB.Write(context.Background(), func(tx domain.Tx) error { return tx.SetSetting(k, v) }); err != nil {
		s.t.Fatal(err)
	}
}

// autoSend turns off what makes a new shop's first payouts wait for the
// owner (the engine's limits and the first-payout AML hold), for tests that
// follow money end to end.
func (s *testShop) autoSend() {
	s.t.Helper()
	cfg := risk.DefaultConfig()
	cfg.HoldFirstPayout = false
	if err := s.Sec.SetRiskConfig(context.Background(), s.Owner, cfg); err != nil {
		s.t.Fatal(err)
	}
	s.setting(settingLimitPerTransfer, "0")
	s.setting(settingLimitPayeeDaily, "0")
}

// code is the owner's authenticator code now.
func (s *testShop) code() string {
	s.t.Helper()
	c, err := totp.GenerateCode(s.Secret, time.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// auditHas reports whether the audit log has an entry with action by actor.
func auditHas(t *testing.T, st domain.Store, actor, action string) bool {
	t.Helper()
	found := false
	err := st.Read(context.Background(), func(tx domain.ReadTx) error {
		es, err := tx.ListAudit(0, 0)
		for _, e := range es {
			if e.Actor == actor && e.Action == action {
				found = true
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestUnlockShop: how the headless commands open a real shop.
func TestUnlockShop(t *testing.T) {
	ctx := context.Background()
	t.Setenv("LUNAS_PASSWORD", "")
	t.Setenv("LUNAS_USER", "")
	kc := useKeychain(t, nil)
	s := newTestShop(t, kc)
	s.addUser("akuntan", domain.RoleViewer)
	s.DB.Close()
	e := &env{DBPath: s.Path}
	cases := []struct {
		name, user, pw string
		remember       bool
		signIn         bool
		want           error
		wantActor      string
	}{
		{name: "no password, nothing remembered", want: domain.ErrLocked},
		{name: "owner password unlocks (serve)", pw: testPassword},
		{name: "owner signs in", pw: testPassword, signIn: true, wantActor: "sari"},
		{name: "wrong password", pw: "salah-sekali-123", want: security.ErrWrongPassword},
		{name: "a viewer cannot open the vault", user: "akuntan", pw: testPassword, want: security.ErrWrongPassword},
		{name: "remembered key, serve needs no password", remember: true},
		{name: "remembered key, a person still signs in", remember: true, signIn: true},
		{name: "remembered key, viewer signs in", remember: true, user: "akuntan", pw: testPassword, signIn: true, wantActor: "akuntan"},
		{name: "remembered key, viewer wrong password", remember: true, user: "akuntan", pw: "bukan-ini-12345", signIn: true, want: security.ErrBadCredentials},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kc.m = nil
			if c.remember {
				t.Setenv("LUNAS_PASSWORD", testPassword)
				t.Setenv("LUNAS_USER", "")
				sh, err := unlockShop(ctx, e, false)
				if err != nil {
					t.Fatal(err)
				}
				if err := sh.Sec.RememberVault(ctx, s.Owner, true); err != nil {
					t.Fatal(err)
				}
				sh.Close()
			}
			t.Setenv("LUNAS_USER", c.user)
			t.Setenv("LUNAS_PASSWORD", c.pw)
			sh, err := unlockShop(ctx, e, c.signIn)
			if c.want != nil || c.signIn && c.pw == "" {
				want := c.want
				if want == nil {
					want = errNeedSignIn
				}
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer sh.Close()
			if sh.Sec.Vault().Locked() {
				t.Fatal("vault still locked")
			}
			if sh.Actor.Name != c.wantActor {
				t.Fatalf("actor = %+v, want %q", sh.Actor, c.wantActor)
			}
		})
	}

	// A database nobody has set up yet.
	empty := filepath.Join(t.TempDir(), "baru.db")
	db, err := sqlite.Open(ctx, empty, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	t.Setenv("LUNAS_PASSWORD", testPassword)
	if _, err := unlockShop(ctx, &env{DBPath: empty}, false); !errors.Is(err, errNoUsers) {
		t.Fatalf("empty database: %v", err)
	}
}

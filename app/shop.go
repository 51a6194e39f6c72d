package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/sqlite"
	"lunas/security"
)

// The headless commands open a real shop's database through its vault, the
// same way the desktop does; there is no plaintext key file. The vault opens
// with the key the owner chose to remember on this computer (OS keychain),
// else with LUNAS_PASSWORD, the password of LUNAS_USER (default: the first
// owner), who must be an owner. Commands that act for a person (export,
// import, reconcile) also sign that person in with LUNAS_USER and
// LUNAS_PASSWORD and run with their role.

// Errors a person at the terminal can act on (Indonesian / English).
var (
	errNoUsers = errors.New("belum ada pengguna di database ini: buat toko dengan `lunas init` atau aplikasi desktop (atau coba `lunas demo`) / " +
		"no users in this database yet: create the shop with `lunas init` or the desktop app (or try `lunas demo`)")
	errVaultClosed = fmt.Errorf("brankas terkunci: setel LUNAS_PASSWORD ke kata sandi pemilik (LUNAS_USER), atau pilih \"ingat di komputer ini\" di aplikasi desktop / "+
		"the vault is locked: set LUNAS_PASSWORD to an owner's password (LUNAS_USER), or choose \"remember on this computer\" in the desktop app: %w", domain.ErrLocked)
	errNeedSignIn = errors.New("perintah ini bertindak atas nama pengguna: setel LUNAS_USER (bawaan: pemilik) dan LUNAS_PASSWORD / " +
		"this command acts for a user: set LUNAS_USER (default: the owner) and LUNAS_PASSWORD")
)

// cliKeychain is where a remembered vault key is looked up; nil is the OS
// keychain. Tests put an in-memory keychain here.
var cliKeychain security.Keychain

// shop is a real shop's database opened through its vault.
type shop struct {
	DB    shopDB
	Sec   *security.Service
	Actor domain.Actor // the signed-in person; zero for serve
}

// Close closes the database.
func (s *shop) Close() { s.DB.Close() }

// unlockShop opens the existing database at e.DBPath with its vault unlocked
// (keychain, else LUNAS_PASSWORD). With signIn it also signs LUNAS_USER in
// with LUNAS_PASSWORD and returns that person as Actor.
func unlockShop(ctx context.Context, e *env, signIn bool) (*shop, error) {
	if err := existingDB(e); err != nil {
		return nil, err
	}
	vault := security.NewVault(security.VaultOptions{Params: shopVaultParams, Keychain: cliKeychain})
	db, err := openStore(ctx, e, sqlite.Options{Cipher: vault})
	if err != nil {
		return nil, err
	}
	sh := &shop{DB: db, Sec: security.New(db, vault, security.Options{PasswordParams: shopPasswordParams})}
	if err := sh.unlock(ctx, signIn); err != nil {
		db.Close()
		return nil, err
	}
	warnTamper(ctx, e, sh)
	return sh, nil
}

// warnTamper tells whoever runs a command (serve's log, a script's stderr)
// that the shop's tamper alarm is up: the desktop shows it in red, and a
// shop run only headless must not miss it. The command goes on: the alarm
// is for a person to look into (`lunas audit verify`).
func warnTamper(ctx context.Context, e *env, sh *shop) {
	alarm, at, err := sh.Sec.AuditAlarm(ctx)
	if err != nil || alarm == "" {
		return
	}
	fmt.Fprintf(e.Stderr, "lunas: PERINGATAN / WARNING: alarm perubahan log audit sejak %s / audit log tamper alarm since %s: %s\n"+
		"  periksa dengan / check with: lunas audit verify\n", at.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339), alarm)
}

func (s *shop) unlock(ctx context.Context, signIn bool) error {
	has, err := s.Sec.HasUsers(ctx)
	if err != nil {
		return err
	}
	if !has {
		return errNoUsers
	}
	name := os.Getenv("LUNAS_USER")
	if name == "" {
		if name, err = s.Sec.FirstOwner(ctx); err != nil {
			return fmt.Errorf("no enabled owner: %w", err)
		}
	}
	pw := os.Getenv("LUNAS_PASSWORD")
	ok, err := s.Sec.Vault().UnlockFromKeychain(ctx)
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	if !ok {
		if pw == "" {
			return errVaultClosed
		}
		if err := s.Sec.UnlockVault(ctx, name, pw); err != nil {
			if errors.Is(err, security.ErrWrongPassword) {
				return fmt.Errorf("LUNAS_PASSWORD tidak membuka brankas: harus kata sandi seorang pemilik (LUNAS_USER=%s) / LUNAS_PASSWORD does not open the vault: it must be the password of an owner (LUNAS_USER=%s): %w", name, name, err)
			}
			return err
		}
	}
	if !signIn {
		return nil
	}
	if pw == "" {
		return errNeedSignIn
	}
	a, err := s.Sec.PasswordSignIn(ctx, name, pw)
	if err != nil {
		return err
	}
	s.Actor = a
	return nil
}

// shopEngine builds the engine of a real shop with every configured channel,
// the security service's risk checker and code verifier, and the user count
// that refuses self-approval. o supplies intervals, limits and the mailer;
// its gateway fields are filled from cs.
func shopEngine(ctx context.Context, sh *shop, cs *channelSet, o engineOptions) (*engine.Engine, error) {
	o.XenditKey, o.XenditURL = cs.XenditKey, cs.XenditURL
	o.Extra, o.Payments, o.Route, o.DefaultChannel = cs.Payouts, cs.Payments, cs.Route, cs.Default
	o.Risk, o.Codes, o.UserCount = sh.Sec.Checker(), sh.Sec, sh.Sec.ActiveUsers
	eng, err := buildEngine(ctx, sh.DB, o)
	if err != nil {
		return nil, err
	}
	sh.Sec.SetRejecter(eng) // rejecting a flag rejects its transfer
	return eng, nil
}

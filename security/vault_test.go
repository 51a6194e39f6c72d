package security

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zalando/go-keyring"

	"lunas/domain"
	"lunas/domain/sqlite"
)

func TestVaultSealOpenBindsField(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.owner()
	ref := domain.FieldRef{Table: "payees", Column: "account_number", Row: 7}
	ct, err := f.vault.Seal("1234567890", ref)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("1234567890")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	if got, err := f.vault.Open(ct, ref); err != nil || got != "1234567890" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	for _, other := range []domain.FieldRef{
		{Table: "payees", Column: "account_number", Row: 8},
		{Table: "payees", Column: "email", Row: 7},
		{Table: "secrets", Column: "account_number", Row: 7},
	} {
		if _, err := f.vault.Open(ct, other); !errors.Is(err, ErrCiphertext) {
			t.Errorf("Open with %+v: err = %v, want ErrCiphertext", other, err)
		}
	}
	ct[len(ct)-1] ^= 1
	if _, err := f.vault.Open(ct, ref); !errors.Is(err, ErrCiphertext) {
		t.Errorf("tampered ciphertext: err = %v", err)
	}
	f.vault.Lock()
	if _, err := f.vault.Seal("x", ref); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("Seal while locked: %v", err)
	}
	if _, err := f.vault.Open(ct, ref); !errors.Is(err, domain.ErrLocked) {
		t.Errorf("Open while locked: %v", err)
	}
	if err := f.vault.Unlock(f.ctx, 1, ownerPW); err != nil {
		t.Fatal(err)
	}
	p := f.payee("Siti", "55554444", "")
	f.vault.Lock()
	err = f.db.Read(f.ctx, func(tx domain.ReadTx) error { _, err := tx.GetPayee(p.ID); return err })
	if !errors.Is(err, domain.ErrLocked) {
		t.Errorf("payee read while locked: %v, want ErrLocked", err)
	}
}

// storedAccount reads the stored ciphertext of a payee's account number.
func storedAccount(t *testing.T, f *fixture, id int64) []byte {
	t.Helper()
	var b []byte
	err := f.db.WriteTx(f.ctx, func(tx *sqlite.Tx) error {
		stx, ctx := tx.SQL()
		return stx.QueryRowContext(ctx, "SELECT account_number FROM payees WHERE id = ?", id).Scan(&b)
	})
	if err != nil || len(b) == 0 {
		t.Fatalf("stored account: %v", err)
	}
	return b
}

func TestVaultPasswordChangeRewrapsWithoutReencrypting(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	p := f.payee("Siti Aminah", "9876543210", "SITI AMINAH")
	before := storedAccount(t, f, p.ID)
	const newPW = "new-batik-password-99"
	if err := f.svc.ChangePassword(f.ctx, owner, "wrong-old-password", newPW); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong old password: %v", err)
	}
	if err := f.svc.ChangePassword(f.ctx, owner, ownerPW, newPW); err != nil {
		t.Fatal(err)
	}
	if after := storedAccount(t, f, p.ID); !bytes.Equal(before, after) {
		t.Fatal("a password change re-encrypted the data; it must only re-wrap the key")
	}
	f.vault.Lock()
	if err := f.vault.Unlock(f.ctx, owner.UserID, ownerPW); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("old password still unlocks: %v", err)
	}
	if err := f.vault.Unlock(f.ctx, owner.UserID, newPW); err != nil {
		t.Fatal(err)
	}
	var got domain.Payee
	if err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { got, err = tx.GetPayee(p.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if got.AccountNumber != "9876543210" {
		t.Fatalf("account after re-wrap = %q", got.AccountNumber)
	}
}

func TestVaultSecondOwnerSlot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, _ := f.owner()
	second, _ := f.user(owner, "budi", domain.RoleOwner)
	f.vault.Lock()
	if err := f.vault.Unlock(f.ctx, second.UserID, "budi-password-1"); err != nil {
		t.Fatalf("second owner cannot unlock: %v", err)
	}
	staff, _ := f.user(owner, "ani", domain.RoleStaff)
	f.vault.Lock()
	if err := f.vault.Unlock(f.ctx, staff.UserID, "ani-password-1"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("staff unlocked the vault: %v", err)
	}
	// Promoted to owner: the slot is made at the next sign-in.
	if err := f.vault.Unlock(f.ctx, owner.UserID, ownerPW); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetRole(f.ctx, owner, staff.UserID, domain.RoleOwner); err != nil {
		t.Fatal(err)
	}
	var secret string
	f.db.Read(f.ctx, func(tx domain.ReadTx) error {
		st, _ := rtx(tx)
		full, err := st.GetUser(staff.UserID)
		secret = full.TOTPSecret
		return err
	})
	if _, err := f.svc.Login(f.ctx, "ani", "ani-password-1", f.code(secret)); err != nil {
		t.Fatal(err)
	}
	f.vault.Lock()
	if err := f.vault.Unlock(f.ctx, staff.UserID, "ani-password-1"); err != nil {
		t.Fatalf("promoted owner cannot unlock: %v", err)
	}
	// Demoted: the slot goes.
	if err := f.svc.SetRole(f.ctx, owner, second.UserID, domain.RoleStaff); err != nil {
		t.Fatal(err)
	}
	f.vault.Lock()
	if err := f.vault.Unlock(f.ctx, second.UserID, "budi-password-1"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("demoted owner still unlocks: %v", err)
	}
}

func TestVaultRememberInKeychain(t *testing.T) {
	keyring.MockInit()
	f := newFixture(t)
	owner, _ := f.owner()
	p := f.payee("Siti Aminah", "1112223334", "")
	if err := f.svc.RememberVault(f.ctx, owner, true); err != nil {
		t.Fatal(err)
	}
	// A restart: a new, locked vault over the same file.
	f.db.Close()
	f.vault = NewVault(VaultOptions{Params: testParams})
	f.open()
	ok, err := f.vault.UnlockFromKeychain(f.ctx)
	if err != nil || !ok {
		t.Fatalf("UnlockFromKeychain = %v, %v", ok, err)
	}
	var got domain.Payee
	if err := f.db.Read(f.ctx, func(tx domain.ReadTx) (err error) { got, err = tx.GetPayee(p.ID); return err }); err != nil || got.AccountNumber != "1112223334" {
		t.Fatalf("payee after keychain unlock = %+v, %v", got, err)
	}
	if err := f.svc.RememberVault(f.ctx, owner, false); err != nil {
		t.Fatal(err)
	}
	f.vault.Lock()
	if ok, _ := f.vault.UnlockFromKeychain(f.ctx); ok {
		t.Fatal("forgotten key still unlocks")
	}
}

func TestVaultKeychainUnavailableFallsBack(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	t.Cleanup(keyring.MockInit)
	f := newFixture(t)
	owner, _ := f.owner()
	if err := f.svc.RememberVault(f.ctx, owner, true); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("Remember without keychain: %v", err)
	}
	f.vault.Lock()
	ok, err := f.vault.UnlockFromKeychain(f.ctx)
	if ok || err != nil {
		t.Fatalf("UnlockFromKeychain without keychain = %v, %v; want false, nil (ask for the password)", ok, err)
	}
	if err := f.svc.UnlockVault(f.ctx, "sari", ownerPW); err != nil {
		t.Fatalf("password unlock after keychain failure: %v", err)
	}
	if f.vault.Locked() {
		t.Fatal("still locked")
	}
}

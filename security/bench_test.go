package security

import (
	"context"
	"path/filepath"
	"testing"

	"lunas/domain"
	"lunas/domain/sqlite"
)

func benchVault(b *testing.B, p Params) (*Vault, *sqlite.DB, int64) {
	b.Helper()
	v := NewVault(VaultOptions{Params: p})
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{Cipher: v, SyncNormal: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	v.Bind(db)
	err = db.Write(context.Background(), func(tx domain.Tx) error { return v.Create(tx, 1, ownerPW) })
	if err != nil {
		b.Fatal(err)
	}
	return v, db, 1
}

// BenchmarkVaultSeal encrypts one bank account number.
func BenchmarkVaultSeal(b *testing.B) {
	v, _, _ := benchVault(b, testParams)
	ref := domain.FieldRef{Table: "payees", Column: "account_number", Row: 42}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Seal("0029876543210", ref); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVaultOpen decrypts one bank account number.
func BenchmarkVaultOpen(b *testing.B) {
	v, _, _ := benchVault(b, testParams)
	ref := domain.FieldRef{Table: "payees", Column: "account_number", Row: 42}
	ct, _ := v.Seal("0029876543210", ref)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Open(ct, ref); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnlock is the owner's unlock with the shipped Argon2id
// parameters (DefaultVaultParams): the target is 0.3 to 1 s per op.
func BenchmarkUnlock(b *testing.B) {
	v, _, id := benchVault(b, DefaultVaultParams)
	ctx := context.Background()
	for b.Loop() {
		v.Lock()
		if err := v.Unlock(ctx, id, ownerPW); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPasswordCheck is one sign-in password check (DefaultPasswordParams).
func BenchmarkPasswordCheck(b *testing.B) {
	h := HashPassword(ownerPW, DefaultPasswordParams)
	for b.Loop() {
		if ok, _ := CheckPassword(ownerPW, h); !ok {
			b.Fatal("mismatch")
		}
	}
}

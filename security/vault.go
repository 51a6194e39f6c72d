// Package security makes Lunas's data and actions safe: the vault that
// encrypts sensitive columns, users with passwords and TOTP two-factor codes,
// encrypted secret settings, the risk checker and flag review, audit helpers
// and verification, and personal-data export and erasure. Every service
// method checks the actor's permission here, below the UI.
package security

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/zalando/go-keyring"
	"golang.org/x/crypto/argon2"

	"lunas/domain"
)

// Params are Argon2id cost parameters. They are stored with every wrapped
// key and password hash, so they can be raised later without breaking
// existing data.
type Params struct {
	Time      uint32 `json:"t"`
	MemoryKiB uint32 `json:"m"`
	Threads   uint8  `json:"p"`
}

// DefaultVaultParams make unlocking take about half a second on the
// reference machine (2 cores; see docs/BENCHMARKS.md "## Security").
var DefaultVaultParams = Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}

// Errors of the vault.
var (
	// ErrWrongPassword reports a password that does not unwrap the key.
	ErrWrongPassword = errors.New("kata sandi salah / wrong password")
	// ErrVaultExists reports an attempt to create a second vault.
	ErrVaultExists = errors.New("vault already exists")
	// ErrNoVault reports a database without a vault yet (first run).
	ErrNoVault = errors.New("vault not created yet")
	// ErrKeychainUnavailable reports that this computer offers no usable OS
	// keychain; Lunas then asks for the owner's password after each start.
	ErrKeychainUnavailable = errors.New("keychain not available on this computer")
	// ErrCiphertext reports a value that does not decrypt for its place:
	// corrupted, or copied from another row, column or table.
	ErrCiphertext = errors.New("encrypted value does not decrypt for this field")
)

const (
	keyLen        = 32
	cipherVersion = 1
	keychainSvc   = "Lunas"
	wrapAAD       = "lunas vault key v1 slot "
)

// slot is the data key wrapped by one owner's password key.
type slot struct {
	Salt    []byte `json:"salt"`
	Params  Params `json:"params"`
	Wrapped []byte `json:"wrapped"` // nonce || AES-256-GCM(data key)
}

// header is what the database stores about the vault: never the key itself.
type header struct {
	Version int              `json:"v"`
	ID      string           `json:"id"`    // random; names the keychain entry
	Check   string           `json:"check"` // HMAC(data key, "check"): tells a stale keychain key from the right one
	Slots   map[string]*slot `json:"slots"` // by owner user id
}

// Keychain is the OS credential store (go-keyring by default).
type Keychain interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

type osKeychain struct{}

func (osKeychain) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (osKeychain) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeychain) Delete(s, u string) error        { return keyring.Delete(s, u) }

// vaultTx is what the vault needs from a store transaction (domain/sqlite.Tx).
type vaultTx interface {
	VaultHeader() ([]byte, error)
	PutVaultHeader([]byte) error
}

// Vault holds the data key that encrypts sensitive columns. It implements
// domain.FieldCipher and returns errors matching domain.ErrLocked while
// locked. It is safe for concurrent use.
type Vault struct {
	mu       sync.RWMutex
	aead     cipher.AEAD // nil while locked
	rawKey   []byte      // the data key while unlocked (needed to wrap new slots and for the keychain)
	macKey   []byte      // fingerprint key derived from the data key
	auditKey []byte      // audit anchor key derived from the data key (separate from macKey)
	chainKey []byte      // audit chain key derived from the data key (keyed entry hashes)
	hdr      *header
	store    domain.Store
	keychain Keychain
	params   Params
}

var _ domain.FieldCipher = (*Vault)(nil)

// VaultOptions configure NewVault. Zero values pick the defaults.
type VaultOptions struct {
	Params   Params   // Argon2id cost for new slots (default DefaultVaultParams)
	Keychain Keychain // default: the OS keychain through go-keyring
}

// NewVault returns a locked vault. Bind a store before creating or unlocking:
// the store needs the vault as its cipher, so the two are made in that order.
func NewVault(opts VaultOptions) *Vault {
	if opts.Params == (Params{}) {
		opts.Params = DefaultVaultParams
	}
	if opts.Keychain == nil {
		opts.Keychain = osKeychain{}
	}
	return &Vault{keychain: opts.Keychain, params: opts.Params}
}

// Bind sets the store that keeps the vault header.
func (v *Vault) Bind(store domain.Store) {
	v.mu.Lock()
	v.store = store
	v.mu.Unlock()
}

func asVaultTx(tx any) (vaultTx, error) {
	vt, ok := tx.(vaultTx)
	if !ok {
		return nil, fmt.Errorf("store %T cannot keep the vault header", tx)
	}
	return vt, nil
}

// loadHeader reads the header from the store, ErrNoVault if none.
func (v *Vault) loadHeader(ctx context.Context) (*header, error) {
	if v.store == nil {
		return nil, errors.New("vault: no store bound")
	}
	var raw []byte
	err := v.store.Read(ctx, func(tx domain.ReadTx) error {
		vt, err := asVaultTx(tx)
		if err != nil {
			return err
		}
		raw, err = vt.VaultHeader()
		return err
	})
	if errors.Is(err, domain.ErrNotFound) {
		return nil, ErrNoVault
	}
	if err != nil {
		return nil, err
	}
	return parseHeader(raw)
}

// parseHeader reads a vault header as stored (possibly tampered with).
func parseHeader(raw []byte) (*header, error) {
	var h header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("vault header: %w", err)
	}
	if h.Slots == nil {
		h.Slots = map[string]*slot{}
	}
	return &h, nil
}

func saveHeaderTx(tx domain.Tx, h *header) error {
	vt, err := asVaultTx(tx)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return vt.PutVaultHeader(raw)
}

// Exists reports whether the vault has been created in the bound store.
func (v *Vault) Exists(ctx context.Context) (bool, error) {
	_, err := v.loadHeader(ctx)
	if errors.Is(err, ErrNoVault) {
		return false, nil
	}
	return err == nil, err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("security: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return b
}

func kek(password string, s *slot) []byte {
	return argon2.IDKey([]byte(password), s.Salt, s.Params.Time, s.Params.MemoryKiB, s.Params.Threads, keyLen)
}

func gcm(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // key length is fixed
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

func slotKey(userID int64) string { return strconv.FormatInt(userID, 10) }

func (v *Vault) wrap(password string, dataKey []byte, slotID string) *slot {
	s := &slot{Salt: randomBytes(16), Params: v.params}
	a := gcm(kek(password, s))
	nonce := randomBytes(a.NonceSize())
	s.Wrapped = a.Seal(nonce, nonce, dataKey, []byte(wrapAAD+slotID))
	return s
}

func unwrap(password string, s *slot, slotID string) ([]byte, error) {
	if s == nil || !s.Params.sane() || len(s.Salt) < 8 || len(s.Salt) > 64 {
		return nil, fmt.Errorf("%w: vault slot parameters out of range (tampered file?)", ErrWrongPassword)
	}
	a := gcm(kek(password, s))
	if len(s.Wrapped) < a.NonceSize() {
		return nil, ErrWrongPassword
	}
	key, err := a.Open(nil, s.Wrapped[:a.NonceSize()], s.Wrapped[a.NonceSize():], []byte(wrapAAD+slotID))
	if err != nil {
		return nil, ErrWrongPassword
	}
	return key, nil
}

func checkValue(dataKey []byte) string {
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte("lunas vault check"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// setKey installs the data key; callers hold v.mu.
func (v *Vault) setKey(dataKey []byte, h *header) {
	v.aead = gcm(dataKey)
	v.rawKey = dataKey
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte("lunas fingerprint key"))
	v.macKey = m.Sum(nil)
	m = hmac.New(sha256.New, dataKey)
	m.Write([]byte("lunas audit anchor key"))
	v.auditKey = m.Sum(nil)
	m = hmac.New(sha256.New, dataKey)
	m.Write([]byte("lunas audit chain key"))
	v.chainKey = m.Sum(nil)
	v.hdr = h
}

// Create makes a new random data key, wraps it with the first owner's
// password in a slot for ownerID, stores the header in tx and leaves the
// vault unlocked. It runs inside the caller's write transaction so that the
// vault and the owner appear together or not at all.
func (v *Vault) Create(tx domain.Tx, ownerID int64, password string) error {
	vt, err := asVaultTx(tx)
	if err != nil {
		return err
	}
	if _, err := vt.VaultHeader(); err == nil {
		return ErrVaultExists
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	dataKey := randomBytes(keyLen)
	h := &header{Version: 1, ID: hex.EncodeToString(randomBytes(8)), Check: checkValue(dataKey),
		Slots: map[string]*slot{slotKey(ownerID): v.wrap(password, dataKey, slotKey(ownerID))}}
	if err := saveHeaderTx(tx, h); err != nil {
		return err
	}
	v.mu.Lock()
	v.setKey(dataKey, h)
	v.mu.Unlock()
	return nil
}

// Unlock derives the key from an owner's password and unwraps the data key.
// It returns ErrWrongPassword for a wrong password or a user without a slot.
func (v *Vault) Unlock(ctx context.Context, ownerID int64, password string) error {
	h, err := v.loadHeader(ctx)
	if err != nil {
		return err
	}
	return v.unlockWith(ctx, h, ownerID, password)
}

func (v *Vault) unlockWith(ctx context.Context, h *header, ownerID int64, password string) error {
	s, ok := h.Slots[slotKey(ownerID)]
	if !ok {
		argon2.IDKey([]byte(password), make([]byte, 16), v.params.Time, v.params.MemoryKiB, v.params.Threads, keyLen) // same cost either way
		return ErrWrongPassword
	}
	dataKey, err := unwrap(password, s, slotKey(ownerID))
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(checkValue(dataKey)), []byte(h.Check)) != 1 {
		return ErrWrongPassword
	}
	v.mu.Lock()
	v.setKey(dataKey, h)
	v.mu.Unlock()
	return v.guardAudit(ctx)
}

// HasSlot reports whether the owner with userID can unlock the vault.
func (v *Vault) HasSlot(ctx context.Context, userID int64) (bool, error) {
	h, err := v.loadHeader(ctx)
	if err != nil {
		return false, err
	}
	_, ok := h.Slots[slotKey(userID)]
	return ok, nil
}

// currentKey returns a copy of the data key and the header, or ErrLocked.
func (v *Vault) currentKey() ([]byte, *header, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.aead == nil {
		return nil, nil, fmt.Errorf("vault: %w", domain.ErrLocked)
	}
	return append([]byte(nil), v.rawKey...), v.hdr, nil
}

// SetSlot wraps the (unlocked) data key with password for userID inside tx,
// adding a new owner's slot or re-wrapping after a password change. Data is
// not re-encrypted: only the small wrapped key changes.
func (v *Vault) SetSlot(tx domain.Tx, userID int64, password string) error {
	key, _, err := v.currentKey()
	if err != nil {
		return err
	}
	h, err := headerTx(tx)
	if err != nil {
		return err
	}
	h.Slots[slotKey(userID)] = v.wrap(password, key, slotKey(userID))
	if err := saveHeaderTx(tx, h); err != nil {
		return err
	}
	v.mu.Lock()
	v.hdr = h
	v.mu.Unlock()
	return nil
}

// headerTx reads the header inside tx.
func headerTx(tx any) (*header, error) {
	vt, err := asVaultTx(tx)
	if err != nil {
		return nil, err
	}
	raw, err := vt.VaultHeader()
	if err != nil {
		return nil, err
	}
	var h header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("vault header: %w", err)
	}
	if h.Slots == nil {
		h.Slots = map[string]*slot{}
	}
	return &h, nil
}

// hasSlotTx reports inside tx whether userID has a slot.
func hasSlotTx(tx any, userID int64) (bool, error) {
	h, err := headerTx(tx)
	if err != nil {
		return false, err
	}
	_, ok := h.Slots[slotKey(userID)]
	return ok, nil
}

// RemoveSlot drops userID's slot (an owner demoted or disabled). The last
// slot cannot be removed.
func (v *Vault) RemoveSlot(tx domain.Tx, userID int64) error {
	h, err := headerTx(tx)
	if err != nil {
		return err
	}
	if _, ok := h.Slots[slotKey(userID)]; !ok {
		return nil
	}
	if len(h.Slots) == 1 {
		return domain.Invalid("owner", "the last owner who can unlock the vault cannot be removed")
	}
	delete(h.Slots, slotKey(userID))
	return saveHeaderTx(tx, h)
}

// Lock forgets the key. Encrypted fields return ErrLocked until Unlock.
func (v *Vault) Lock() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range v.rawKey {
		v.rawKey[i] = 0
	}
	v.aead, v.macKey, v.rawKey, v.auditKey, v.chainKey = nil, nil, nil, nil, nil
}

// Locked reports whether the key is unavailable.
func (v *Vault) Locked() bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.aead == nil
}

func aad(ref domain.FieldRef) []byte {
	return []byte("lunas field v1\x00" + ref.Table + "\x00" + ref.Column + "\x00" + strconv.FormatInt(ref.Row, 10))
}

// Seal implements domain.FieldCipher: version byte, random nonce, AES-256-GCM
// ciphertext with the field reference as associated data.
func (v *Vault) Seal(plaintext string, ref domain.FieldRef) ([]byte, error) {
	v.mu.RLock()
	a := v.aead
	v.mu.RUnlock()
	if a == nil {
		return nil, fmt.Errorf("vault: %w", domain.ErrLocked)
	}
	out := make([]byte, 1, 1+a.NonceSize()+len(plaintext)+a.Overhead())
	out[0] = cipherVersion
	nonce := randomBytes(a.NonceSize())
	out = append(out, nonce...)
	return a.Seal(out, nonce, []byte(plaintext), aad(ref)), nil
}

// Open implements domain.FieldCipher. A ciphertext moved to another field
// gives ErrCiphertext.
func (v *Vault) Open(ciphertext []byte, ref domain.FieldRef) (string, error) {
	v.mu.RLock()
	a := v.aead
	v.mu.RUnlock()
	if a == nil {
		return "", fmt.Errorf("vault: %w", domain.ErrLocked)
	}
	if len(ciphertext) < 1+a.NonceSize()+a.Overhead() || ciphertext[0] != cipherVersion {
		return "", ErrCiphertext
	}
	n := a.NonceSize()
	p, err := a.Open(nil, ciphertext[1:1+n], ciphertext[1+n:], aad(ref))
	if err != nil {
		return "", ErrCiphertext
	}
	return string(p), nil
}

// Fingerprint returns a keyed hash of s (for example a bank account) that
// lets equal values be recognised without storing them.
func (v *Vault) Fingerprint(s string) (string, error) {
	v.mu.RLock()
	k := v.macKey
	v.mu.RUnlock()
	if k == nil {
		return "", fmt.Errorf("vault: %w", domain.ErrLocked)
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:16]), nil
}

// AuditMAC implements domain.AuditKeyer: an HMAC-SHA256, with a key derived
// from the data key for this purpose only, over an audit anchor message.
func (v *Vault) AuditMAC(msg []byte) (string, error) {
	v.mu.RLock()
	k := v.auditKey
	v.mu.RUnlock()
	if k == nil {
		return "", fmt.Errorf("vault: %w", domain.ErrLocked)
	}
	m := hmac.New(sha256.New, k)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// AuditChainKey implements domain.AuditKeyer: the key of the keyed audit
// entry hashes, derived from the data key for this purpose only.
func (v *Vault) AuditChainKey() ([]byte, error) {
	v.mu.RLock()
	k := v.chainKey
	v.mu.RUnlock()
	if k == nil {
		return nil, fmt.Errorf("vault: %w", domain.ErrLocked)
	}
	return k, nil
}

var _ domain.AuditKeyer = (*Vault)(nil)

// Remember stores the data key in the OS keychain so Lunas unlocks by itself
// after a restart on this computer, or forgets it (on=false). Without a
// usable keychain it returns ErrKeychainUnavailable and nothing changes: the
// owner types the password after each start.
func (v *Vault) Remember(on bool) error {
	if !on {
		v.mu.RLock()
		h := v.hdr
		v.mu.RUnlock()
		if h == nil {
			return nil
		}
		err := v.keychain.Delete(keychainSvc, "vault:"+h.ID)
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("%w: %v", ErrKeychainUnavailable, err)
		}
		return nil
	}
	key, h, err := v.currentKey()
	if err != nil {
		return err
	}
	if err := v.keychain.Set(keychainSvc, "vault:"+h.ID, base64.StdEncoding.EncodeToString(key)); err != nil {
		return fmt.Errorf("%w: %v", ErrKeychainUnavailable, err)
	}
	return nil
}

// UnlockFromKeychain unlocks with a key remembered on this computer. It
// returns false (and no error) when nothing usable is remembered or the
// keychain is unavailable, so the caller falls back to asking for the password.
func (v *Vault) UnlockFromKeychain(ctx context.Context) (bool, error) {
	h, err := v.loadHeader(ctx)
	if err != nil {
		return false, err
	}
	s, err := v.keychain.Get(keychainSvc, "vault:"+h.ID)
	if err != nil {
		return false, nil // not found, no keychain, or access refused: ask for the password
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) != keyLen || subtle.ConstantTimeCompare([]byte(checkValue(key)), []byte(h.Check)) != 1 {
		return false, nil // stale or foreign entry
	}
	v.mu.Lock()
	v.setKey(key, h)
	v.mu.Unlock()
	return true, v.guardAudit(ctx)
}

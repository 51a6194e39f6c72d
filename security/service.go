package security

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"lunas/domain"
	"lunas/domain/risk"
)

// secReader is what the services read from a store transaction beyond
// domain.ReadTx; domain/sqlite.Tx implements it (domain/sqlite/security.go).
type secReader interface {
	domain.ReadTx
	GetUser(id int64) (domain.User, error)
	GetUserCredentials(name string) (domain.User, error)
	ListUsers() ([]domain.User, error)
	CountUsers() (int, error)
	RecoveryCodesLeft(userID int64) (int, error)
	Secret(name string) (string, error)
	SecretNames() ([]string, error)
	GetFlag(id int64) (domain.Flag, error)
	ListFlags(status domain.FlagStatus, refID string, pg domain.Page) ([]domain.Flag, error)
	Watchlist() ([]risk.WatchEntry, error)
	PayeeRecentTransfers(payeeID int64, since time.Time, exceptRefID string) ([]risk.Recent, error)
	PayeeSucceededPayouts(payeeID int64) (int, error)
	AccountPaidBefore(payeeID int64, fp string) (bool, error)
	OrderPayoutTotal(orderID int64, exceptRefID string) (domain.Rupiah, error)
	PayeeOpenWork(payeeID int64) (int, error)
}

// secWriter adds the writes.
type secWriter interface {
	domain.Tx
	secReader
	CreateUser(u *domain.User) error
	UpdateUser(u *domain.User) error
	SetUserAuthState(id int64, failures int, lockedUntil time.Time, lastStep int64) error
	ClaimTOTPStep(id, step int64) (bool, error)
	ReplaceRecoveryCodes(userID int64, hashes []string) error
	UseRecoveryCode(userID int64, hash string) (bool, error)
	SetSecret(name, value, by string) error
	DeleteSecret(name string) error
	CreateFlag(f *domain.Flag) error
	ResolveFlag(id int64, to domain.FlagStatus, note, by string) error
	ReplaceWatchlist(list []risk.WatchEntry) error
	RecordAccountUse(refID string, payeeID int64, fp string) error
	PseudonymiseFlags(payeeID int64, names []string, repl string) error
	ErasePayeeCopies(payeeID int64, names []string, email, alias string) error
	SecureDelete() error
}

// errStore reports a store that lacks the security tables.
var errStore = errors.New("store does not support the security tables")

func rtx(tx domain.ReadTx) (secReader, error) {
	s, ok := tx.(secReader)
	if !ok {
		return nil, fmt.Errorf("%w (%T)", errStore, tx)
	}
	return s, nil
}

func wtx(tx domain.Tx) (secWriter, error) {
	s, ok := tx.(secWriter)
	if !ok {
		return nil, fmt.Errorf("%w (%T)", errStore, tx)
	}
	return s, nil
}

// Options configure the security services. Zero values pick the defaults.
type Options struct {
	Now            func() time.Time
	PasswordParams Params        // Argon2id cost of password hashes (default DefaultPasswordParams)
	Issuer         string        // shown in authenticator apps (default "Lunas")
	MaxFailures    int           // failures before lockout (default 5)
	LockoutBase    time.Duration // first lockout; doubles with each further failure (default 30s)
	LockoutMax     time.Duration // longest lockout (default 1h)
	Location       *time.Location
}

// Service is the security and compliance service the UI and app call. Every
// method that acts for a person takes their domain.Actor and checks the
// permission table before doing anything.
type Service struct {
	store    domain.Store
	vault    *Vault
	opts     Options
	rejecter TransferRejecter

	dummyOnce sync.Once
	dummy     string

	approvalsMu sync.Mutex
	approvals   map[int64]approvalUse // by user: the approval each one's last code was claimed for
}

// New returns the service over store (which must use vault as its cipher).
func New(store domain.Store, vault *Vault, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PasswordParams == (Params{}) {
		opts.PasswordParams = DefaultPasswordParams
	}
	if opts.Issuer == "" {
		opts.Issuer = "Lunas"
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 5
	}
	if opts.LockoutBase <= 0 {
		opts.LockoutBase = 30 * time.Second
	}
	if opts.LockoutMax <= 0 {
		opts.LockoutMax = time.Hour
	}
	if opts.Location == nil {
		if loc, err := time.LoadLocation("Asia/Jakarta"); err == nil {
			opts.Location = loc
		} else {
			opts.Location = time.FixedZone("WIB", 7*3600)
		}
	}
	vault.Bind(store)
	return &Service{store: store, vault: vault, opts: opts}
}

// Vault returns the service's vault.
func (s *Service) Vault() *Vault { return s.vault }

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// Audit appends a security event to the hash-chained audit log inside tx.
// Detail must never hold a secret.
func Audit(tx domain.Tx, actor domain.Actor, action, subject, detail string) error {
	name := actor.Name
	if name == "" {
		name = "system"
	}
	return tx.AppendAudit(&domain.AuditEntry{Actor: name, Action: action, Subject: subject, Detail: detail})
}

// audit writes one audit entry in its own transaction (for events, such as a
// failed sign-in, that must be recorded even though the action failed).
func (s *Service) audit(ctx context.Context, actor domain.Actor, action, subject, detail string) error {
	return s.store.Write(ctx, func(tx domain.Tx) error { return Audit(tx, actor, action, subject, detail) })
}

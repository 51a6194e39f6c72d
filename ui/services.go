package ui

import (
	"context"
	"image"
	"time"

	"lunas/domain"
)

// The desktop declares here the small interfaces it needs; app adapts the
// real engine, security and report services to them. A nil service hides or
// disables what depends on it, with a reason the user can read, so the
// window works while parts of the application are still missing.

// TransferActor performs the manual transfer actions. Implementations check
// the actor's permissions and the REFID rules themselves; the UI only
// explains and disables what would be refused.
type TransferActor interface {
	// Approve approves every REFID with one fresh TOTP code.
	Approve(ctx context.Context, actor domain.Actor, refIDs []string, code string) error
	// Reject refuses transfers that wait for approval, with a reason.
	Reject(ctx context.Context, actor domain.Actor, refIDs []string, reason string) error
	// CheckStatus asks the gateway about a REFID.
	CheckStatus(ctx context.Context, actor domain.Actor, refID string) error
	// Retry resends (or queries) the same REFID.
	Retry(ctx context.Context, actor domain.Actor, refID string) error
	// SendAgain prepares a child REFID after a definite failure; channel ""
	// keeps the parent's channel (otherwise it is a reroute). It returns the
	// new REFID, which waits for approval.
	SendAgain(ctx context.Context, actor domain.Actor, refID, channel string) (string, error)
	// Cancel cancels an accepted payout at the gateway before processing.
	Cancel(ctx context.Context, actor domain.Actor, refID string) error
}

// TrustRules lists and sets per-payee trust rules (domain.TrustRule);
// implementations check the owner's permission and audit below the UI.
type TrustRules interface {
	TrustRules(ctx context.Context, actor domain.Actor) ([]domain.TrustRule, error)
	SetTrustRule(ctx context.Context, actor domain.Actor, payeeID int64, maxAmount domain.Rupiah, minPayouts int) (domain.TrustRule, error)
	SwitchOffTrustRule(ctx context.Context, actor domain.Actor, payeeID int64) error
}

// EngineControl pauses and resumes automatic transfers.
type EngineControl interface {
	Paused() bool
	SetPaused(ctx context.Context, actor domain.Actor, paused bool) error
}

// EngineHolder is implemented by an EngineControl whose shop may have
// several engines of which one sends (a `lunas serve`, another desk): the
// desktop then says which computer sends transfers.
type EngineHolder interface {
	// SentElsewhere returns the computer that sends the shop's transfers
	// and since when, when it is not this desktop.
	SentElsewhere() (host string, since time.Time, ok bool)
}

// Event is something the engine reports that the screens show live.
type Event struct {
	Kind    EventKind
	RefID   string // for transfer events
	Channel string // the gateway or payout channel's code, when the event is about one
	Amount  domain.Rupiah
	Detail  string // readable, already safe to show
}

// EventKind groups engine events by what the desktop does with them.
type EventKind int

// Event kinds.
const (
	EventChanged           EventKind = iota // something changed: refresh the visible data
	EventApprovalNeeded                     // a transfer waits for the owner
	EventTransferFailed                     // a transfer failed for good or needs attention
	EventLowBalance                         // a payout channel is low on money
	EventGatewayDown                        // a gateway is unreachable
	EventGatewayUp                          // it answers again
	EventPaymentSettled                     // a buyer's payment settled
	EventTransferSucceeded                  // money arrived
)

// EventSource delivers engine events. The callback runs on the source's
// goroutine; the desktop moves to the UI goroutine itself.
type EventSource interface {
	Subscribe(fn func(Event)) (cancel func())
}

// Authenticator signs users in and out.
type Authenticator interface {
	// HasUsers reports whether an owner account exists (false on first run).
	HasUsers(ctx context.Context) (bool, error)
	// Login checks password and TOTP code and unlocks the vault.
	Login(ctx context.Context, name, password, code string) (domain.Actor, error)
	// Lock forgets the session's keys until the next login.
	Lock()
}

// Enrolment is a new owner's TOTP secret, shown once.
type Enrolment struct {
	Secret        string
	URL           string      // otpauth:// URL
	QR            image.Image // the URL as a QR code
	RecoveryCodes []string
}

// OwnerSetup creates the first owner account during the first-run wizard.
type OwnerSetup interface {
	// BeginOwner validates the password and prepares TOTP enrolment.
	BeginOwner(ctx context.Context, name, password string) (Enrolment, error)
	// FinishOwner creates the owner once a code from the authenticator checks out.
	FinishOwner(ctx context.Context, name, password string, e Enrolment, code string) (domain.Actor, error)
}

// DemoStarter fills the database with the demo shop and starts the engine
// against the in-process sandbox. It returns the demo owner's session.
type DemoStarter interface {
	StartDemo(ctx context.Context) (DemoInfo, error)
}

// DemoInfo is what the demo shop tells its user.
type DemoInfo struct {
	Actor    domain.Actor
	Password string // the demo owner's password, shown so that Bu Sari can log in again
	// TOTPSecret lets the demo show the current code next to the approval
	// box: the demo's money is not real, and an owner trying Lunas has no
	// authenticator set up for it yet.
	TOTPSecret string
	CodeNow    func() string
}

// GatewayTester checks gateway keys from the wizard and settings. It wraps
// ErrKeyRefused, ErrUnreachable or ErrTestMode (connected, with a key that
// moves no real money) so the desktop says what the gateway answered.
type GatewayTester interface {
	TestConnection(ctx context.Context, gateway string, keys map[string]string) error
}

// AccountValidator is "Cek rekening": it asks a gateway for the holder name.
type AccountValidator interface {
	ValidateAccount(ctx context.Context, channel, account string) (domain.AccountInfo, error)
}

// PayeeEditor saves payees (with the permission check and encryption below the UI).
type PayeeEditor interface {
	SavePayee(ctx context.Context, actor domain.Actor, p *domain.Payee) error
}

// ProductEditor saves products.
type ProductEditor interface {
	SaveProduct(ctx context.Context, actor domain.Actor, p *domain.Product) error
}

// OrderCreator records an order and creates its payment link.
type OrderCreator interface {
	CreateOrder(ctx context.Context, actor domain.Actor, o *domain.Order, gateway string) (domain.Payment, error)
}

// ExportRequest is the report a person asked for.
type ExportRequest struct {
	// Sheets are the sheets to write, by code ("transfers", "orders",
	// "payments", "ledger", "flags", "audit", "summary"); a CSV file holds
	// the first. Nil is every sheet.
	Sheets []string
	Lang   string // LangIndonesian or LangEnglish: sheet and column names
	Filter domain.TransferFilter
}

// Exporter writes a report to path (.xlsx or .csv). progress reports rows
// written so far out of total; cancelling ctx stops it and leaves no
// partial file.
type Exporter interface {
	Export(ctx context.Context, actor domain.Actor, req ExportRequest, path string, progress func(done, total int)) error
}

// Reconciler compares Lunas's records with the gateway's for a period.
type Reconciler interface {
	Reconcile(ctx context.Context, actor domain.Actor, from, to time.Time) (ReconcileResult, error)
}

// ReconcileResult is the readable outcome of a reconciliation.
type ReconcileResult struct {
	Matched    int
	Mismatches []string // one plain sentence per difference
	// Behind is one sentence per record the gateway is a step ahead on,
	// which Lunas records at its next check: listed, not a difference.
	Behind []string
}

// AuditVerifier checks the audit log's hash chain.
type AuditVerifier interface {
	VerifyAudit(ctx context.Context, actor domain.Actor) (checked int, err error)
}

// TamperAlarm is optionally implemented by the AuditVerifier: the audit
// log's tamper alarm ("" when none), raised when Lunas found its log or the
// log's signed anchor changed outside Lunas. The window shows it to
// everyone who signs in until the owner deals with it.
type TamperAlarm interface {
	AuditAlarm(ctx context.Context) (what string, at time.Time, err error)
}

// Flag is one AML or fraud rule hit waiting for a person.
type Flag struct {
	ID       int64
	RefID    string
	PayeeID  int64
	Rule     string
	Reason   string // Indonesian
	ReasonEN string // English ("" = use Reason)
	At       time.Time
}

// FlagQueue lists open flags and clears them.
type FlagQueue interface {
	OpenFlags(ctx context.Context, p domain.Page) ([]Flag, error)
	ClearFlag(ctx context.Context, actor domain.Actor, id int64, note string) error
}

// BalanceSource reports payout channel balances for the dashboard.
type BalanceSource interface {
	Balances(ctx context.Context) (map[string]domain.Rupiah, error)
}

// SettingsStore reads and saves shop settings with the permission check
// below the UI. Amount settings take what people type ("Rp1.000.000").
type SettingsStore interface {
	Setting(ctx context.Context, actor domain.Actor, key string) (string, error)
	SaveSetting(ctx context.Context, actor domain.Actor, key, value string) error
}

// Services is everything the desktop is given. Store is required; every
// other field may be nil.
type Services struct {
	Store    domain.Store
	Now      func() time.Time
	Location *time.Location // the shop's time zone; nil means time.Local

	Transfers  TransferActor
	Review     TransferReview
	Engine     EngineControl
	Events     EventSource
	Auth       Authenticator
	Owner      OwnerSetup
	Demo       DemoStarter
	Gateways   GatewayTester
	Accounts   AccountValidator
	Payees     PayeeEditor
	Products   ProductEditor
	Orders     OrderCreator
	Exporter   Exporter
	Reconciler Reconciler
	Audit      AuditVerifier
	Flags      FlagQueue
	Balances   BalanceSource
	Settings   SettingsStore
	Importer   Importer
	Trust      TrustRules
	Admin      Admin
	Users      UserAdmin
	Personal   PersonalData
	Health     DatabaseChecker
	Restorer   Restorer
	// Channels lists the payout channels configured, for "reroute".
	Channels []string
	// Choices lists the values a setting may take (setting key -> values);
	// Settings offers such a setting as a list to pick from and refuses
	// any other value. App fills it (the H2H reply presets).
	Choices map[string][]string
	// LogPath is the application's log file ("" when there is none);
	// Settings opens its folder.
	LogPath string
}

// ImportPreview is the column-mapping step of a spreadsheet import.
type ImportPreview struct {
	Headers  []string          // the file's column headers
	Fields   []string          // every field of the kind, in display order
	Proposed map[string]string // field -> header
	Missing  []string          // required fields no header matched
	Rows     int
}

// ImportResult is what an import did, in lines for people.
type ImportResult struct {
	Created, Unchanged int
	Problems           []string // one line per invalid row
}

// Importer reads payees, products or orders from an xlsx or csv file.
type Importer interface {
	PreviewImport(ctx context.Context, kind, path string) (ImportPreview, error)
	Import(ctx context.Context, actor domain.Actor, kind, path string, mapping map[string]string) (ImportResult, error)
}

// Admin is the owner's housekeeping: backups, users, the AML watchlist.
type Admin interface {
	Backup(ctx context.Context, actor domain.Actor, path string) error
	ImportWatchlist(ctx context.Context, actor domain.Actor, path string) (int, error)
	ListUsers(ctx context.Context, actor domain.Actor) ([]domain.User, error)
	AddUser(ctx context.Context, actor domain.Actor, name string, role domain.Role, password string) (Enrolment, error)
}

// UserAdmin changes who may do what (owner only, audited below the UI; the
// last owner can be neither demoted nor disabled).
type UserAdmin interface {
	SetRole(ctx context.Context, actor domain.Actor, userID int64, role domain.Role) error
	SetDisabled(ctx context.Context, actor domain.Actor, userID int64, disabled bool) error
}

// PersonalData erases a payee's personal data (name, account, email) when
// nothing is owed to them any more; money records stay traceable.
type PersonalData interface {
	ErasePayee(ctx context.Context, actor domain.Actor, payeeID int64) error
}

// DatabaseChecker runs the full integrity check of the shop's database. The
// desktop opens the file without it (a million transfers take tens of
// seconds) and calls CheckDatabase once the window is up; until it returns a
// banner says so, and an error matching domain.ErrDamaged blocks the window
// with the way out (restore a backup). The service must not start automatic
// transfers before the check has passed.
type DatabaseChecker interface {
	CheckDatabase(ctx context.Context) error
}

// Restorer replaces the shop's database with a backup file. VerifyBackup
// checks the file first (nothing changes); Restore replaces the database
// only after the person confirmed, and restarts the services on it.
type Restorer interface {
	VerifyBackup(ctx context.Context, path string) error
	Restore(ctx context.Context, actor domain.Actor, path string) error
}

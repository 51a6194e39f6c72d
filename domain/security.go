package domain

import "time"

// User is a person who signs in to Lunas.
type User struct {
	ID            int64
	Name          string // sign-in name, unique regardless of case
	Role          Role
	PasswordHash  string // Argon2id in PHC form; never the password
	TOTPSecret    string // base32; plaintext in memory only, encrypted at rest
	TOTPConfirmed bool   // the user proved the authenticator works
	TOTPLastStep  int64  // last accepted RFC 6238 time step: older or equal steps are replays
	Failures      int    // consecutive failed sign-ins or codes
	LockedUntil   time.Time
	Disabled      bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Actor returns the user as the actor of an action.
func (u User) Actor() Actor { return Actor{UserID: u.ID, Name: u.Name, Role: u.Role} }

// FlagStatus is where a risk flag is in its review.
type FlagStatus string

// Flag statuses.
const (
	FlagOpen     FlagStatus = "open"     // waiting for the owner
	FlagCleared  FlagStatus = "cleared"  // the owner looked and accepted the transfer
	FlagRejected FlagStatus = "rejected" // the owner refused the transfer
)

// Flag is one AML/fraud rule hit on a transfer, kept for review and export.
type Flag struct {
	ID         int64
	RefID      string
	PayeeID    int64
	Rule       string // risk.RuleID
	Block      bool   // hard block: the transfer must not be sent as is
	ReasonID   string // Indonesian
	ReasonEN   string // English
	Evidence   string // "k=v; k=v", never a full account number
	Status     FlagStatus
	Note       string // the owner's note when resolving
	ResolvedBy string
	CreatedAt  time.Time
	ResolvedAt time.Time
}

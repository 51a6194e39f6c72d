package domain

import (
	"strconv"
	"time"
)

// AuditAnchor remembers the head of the audit chain outside the chain, so
// that removing the newest entries or rewriting the whole chain is noticed.
// The head part is updated by every append and catches a careless
// truncation without any key; the signed part carries an HMAC made with a
// key derived from the vault's data key, so only someone holding the shop's
// key can move it. Entries appended while the vault is locked advance the
// head but not the signed part.
type AuditAnchor struct {
	HeadSeq    int64  // the newest entry's number
	HeadHash   string // the newest entry's hash
	SignedSeq  int64  // the newest entry signed with the shop's key (0: never)
	SignedHash string // that entry's hash
	MAC        string // hex HMAC over AuditAnchorMessage(SignedSeq, SignedHash)
	At         time.Time
}

// AuditAnchorSigner signs an audit head with a key only the unlocked vault
// has. A FieldCipher that also implements it (security.Vault) makes the store
// sign the anchor on every append; it returns an error matching ErrLocked
// while locked.
type AuditAnchorSigner interface {
	SignAuditHead(seq int64, hash string) (string, error)
}

// AuditAnchorReader is implemented by read transactions of stores that keep
// an audit anchor. AuditAnchor returns an error matching ErrNotFound when
// none was written.
type AuditAnchorReader interface {
	AuditAnchor() (AuditAnchor, error)
}

// AuditAnchorMessage is the byte string an anchor MAC covers; versioned and
// separated so that it can never equal another keyed hash's input.
func AuditAnchorMessage(seq int64, hash string) []byte {
	return []byte("lunas audit anchor v1\x00" + strconv.FormatInt(seq, 10) + "\x00" + hash)
}

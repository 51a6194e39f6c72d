package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// AuditAnchor remembers the head of the audit chain outside the chain, so
// that removing the newest entries or rewriting the whole chain is noticed.
// The head part is updated by every append and catches a careless
// truncation without any key; the signed part carries an HMAC made with a
// key derived from the vault's data key, so only someone holding the shop's
// key can move it. KeyedFrom, covered by the signature, is the first entry
// whose hash is keyed (HMAC with the vault's chain key): from there on no
// entry can be written or rewritten without the key. Alarm is the tamper
// alarm: set when an append or an unlock found the log or its anchor not
// as Lunas left it; while it is set the anchor is never signed again.
type AuditAnchor struct {
	HeadSeq    int64  // the newest entry's number
	HeadHash   string // the newest entry's hash
	SignedSeq  int64  // the newest entry signed with the shop's key (0: never)
	SignedHash string // that entry's hash
	MAC        string // hex HMAC over AuditAnchorMessageV2 (or v1 while KeyedFrom is 0)
	KeyedFrom  int64  // first entry chained with the key (0: none yet)
	Alarm      string // tamper alarm: what was found ("" when none)
	AlarmAt    time.Time
	At         time.Time
}

// AuditKeyer holds the keys of the audit chain; only the unlocked vault has
// them. A FieldCipher that also implements it (security.Vault) makes the
// store chain new entries with the key and sign the anchor. Both methods
// return an error matching ErrLocked while locked.
type AuditKeyer interface {
	// AuditChainKey returns the key of the keyed entry hashes.
	AuditChainKey() ([]byte, error)
	// AuditMAC returns the hex HMAC of msg under the anchor key.
	AuditMAC(msg []byte) (string, error)
}

// AuditAnchorReader is implemented by read transactions of stores that keep
// an audit anchor. AuditAnchor returns an error matching ErrNotFound when
// none was written.
type AuditAnchorReader interface {
	AuditAnchor() (AuditAnchor, error)
}

// AuditAnchorMessage is the byte string a version 1 anchor MAC covers
// (anchors signed before keyed chaining); versioned and separated so that
// it can never equal another keyed hash's input.
func AuditAnchorMessage(seq int64, hash string) []byte {
	return []byte("lunas audit anchor v1\x00" + strconv.FormatInt(seq, 10) + "\x00" + hash)
}

// AuditAnchorMessageV2 is what an anchor MAC covers once the chain is keyed:
// the signed entry and the keyed boundary, so that neither can be moved.
func AuditAnchorMessageV2(a AuditAnchor) []byte {
	return []byte("lunas audit anchor v2\x00" + strconv.FormatInt(a.SignedSeq, 10) + "\x00" + a.SignedHash +
		"\x00" + strconv.FormatInt(a.KeyedFrom, 10))
}

// AnchorMessage returns the message the anchor's MAC must cover.
func (a AuditAnchor) AnchorMessage() []byte {
	if a.KeyedFrom > 0 {
		return AuditAnchorMessageV2(a)
	}
	return AuditAnchorMessage(a.SignedSeq, a.SignedHash)
}

// ComputeKeyedHash returns the keyed hash of the entry: hex HMAC-SHA256
// under key over a version tag, prevHash and the canonical entry.
func (e *AuditEntry) ComputeKeyedHash(key []byte, prevHash string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("lunas audit chain v2\n"))
	m.Write([]byte(prevHash))
	m.Write([]byte{'\n'})
	m.Write(e.Canonical())
	return hex.EncodeToString(m.Sum(nil))
}

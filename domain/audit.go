package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// AuditEntry is one append-only, hash-chained audit record.
type AuditEntry struct {
	Seq      int64     // 1, 2, 3, ... assigned by the store
	At       time.Time // UTC, truncated to microseconds
	Actor    string    // user name, "engine" or "system"
	Action   string    // e.g. "transfer.status", "login.failed", "settings.change"
	Subject  string    // what it is about: "transfer:<refid>", "user:<name>"
	Detail   string    // readable detail, never secrets
	PrevHash string    // hex SHA-256 of the previous entry ("" for the first)
	Hash     string    // hex SHA-256 over PrevHash and the canonical entry
}

// Canonical returns the exact bytes hashed for the entry: fields in a fixed
// order, length-prefixed so that no two different entries share a form.
func (e *AuditEntry) Canonical() []byte {
	var b strings.Builder
	for _, f := range []string{
		strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Format(time.RFC3339Nano),
		e.Actor, e.Action, e.Subject, e.Detail,
	} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// ComputeHash returns hex SHA-256 over prevHash and the canonical entry.
func (e *AuditEntry) ComputeHash(prevHash string) string {
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write([]byte{'\n'})
	h.Write(e.Canonical())
	return hex.EncodeToString(h.Sum(nil))
}

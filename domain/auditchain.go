package domain

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"time"
)

// AuditRows are the few reads and writes a store gives AppendAuditChained;
// each store (domain/sqlite, domain/postgres) implements them on its write
// transaction and serialises appends (one writer at a time).
type AuditRows interface {
	// AuditTail returns the newest entry; ok false when the log is empty.
	AuditTail() (e AuditEntry, ok bool, err error)
	// AuditHashAt returns the stored hash of entry seq, ErrNotFound if none.
	AuditHashAt(seq int64) (string, error)
	AuditAnchorReader
	// PutAuditAnchor inserts or replaces the single anchor row.
	PutAuditAnchor(a AuditAnchor) error
	// InsertAudit stores a fully chained entry.
	InsertAudit(e *AuditEntry) error
	// AddAuditPending keeps an event recorded while the key is locked (no
	// number, no hash) until the next append with the key chains it.
	AddAuditPending(e *AuditEntry) error
	// TakeAuditPending returns the waiting events, oldest first, and
	// removes them.
	TakeAuditPending() ([]AuditEntry, error)
}

// ErrAuditKeyed reports an append to a keyed audit log through a store
// whose cipher has no audit key (it would write an entry no one can verify).
var ErrAuditKeyed = errors.New("the audit log is keyed: open the shop with its vault to write to it")

// PendingPrefix marks the detail of an event recorded while the key was
// locked and chained later: nothing vouches for it but the file it was in.
const PendingPrefix = "[recorded while locked, not authenticated] "

// AppendAuditChained appends e to the audit log at time now.
//
// With keyer nil (a store without the vault) the entry is chained with plain
// SHA-256 and only the anchor's head moves; a keyed log refuses such
// appends (ErrAuditKeyed). With a locked keyer the event waits in the
// pending list (e.Seq stays 0). With an unlocked keyer the anchor is
// checked first (CheckAnchorForAppend: its signature, the signed entry, the
// head, the tail's hash); if anything is off the tamper alarm is raised and
// the anchor is not signed again. Then the pending events and e are chained
// with keyed hashes and, without an alarm, the anchor is signed at e.
func AppendAuditChained(rows AuditRows, keyer AuditKeyer, e *AuditEntry, now time.Time) error {
	e.At = now
	a, err := rows.AuditAnchor()
	has := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("audit anchor: %w", err)
	}
	var key []byte
	if keyer != nil {
		key, err = keyer.AuditChainKey()
		switch {
		case errors.Is(err, ErrLocked):
			e.Seq, e.PrevHash, e.Hash = 0, "", ""
			return rows.AddAuditPending(e)
		case err != nil:
			return fmt.Errorf("audit key: %w", err)
		}
	}
	tail, ok, err := rows.AuditTail()
	if err != nil {
		return fmt.Errorf("audit tail: %w", err)
	}
	if key == nil {
		if has && (a.KeyedFrom > 0 || a.Alarm != "") {
			return ErrAuditKeyed
		}
		chain(e, tail, ok, nil)
		if err := rows.InsertAudit(e); err != nil {
			return err
		}
		a.HeadSeq, a.HeadHash, a.At = e.Seq, e.Hash, now
		return rows.PutAuditAnchor(a)
	}
	alarm := has && a.Alarm != ""
	if !alarm {
		if problem := CheckAnchorForAppend(rows, keyer, key, a, has, tail, ok); problem != "" {
			a.Alarm, a.AlarmAt, alarm = problem, now, true
		}
	}
	pending, err := rows.TakeAuditPending()
	if err != nil {
		return fmt.Errorf("audit pending: %w", err)
	}
	first := int64(0)
	for i := range pending {
		p := &pending[i]
		p.Detail = PendingPrefix + p.Detail
		chain(p, tail, ok, key)
		if err := rows.InsertAudit(p); err != nil {
			return err
		}
		if first == 0 {
			first = p.Seq
		}
		tail, ok = *p, true
	}
	chain(e, tail, ok, key)
	if err := rows.InsertAudit(e); err != nil {
		return err
	}
	if first == 0 {
		first = e.Seq
	}
	a.HeadSeq, a.HeadHash, a.At = e.Seq, e.Hash, now
	if !alarm {
		if a.KeyedFrom == 0 {
			a.KeyedFrom = first
		}
		a.SignedSeq, a.SignedHash = e.Seq, e.Hash
		if a.MAC, err = keyer.AuditMAC(AuditAnchorMessageV2(a)); err != nil {
			return fmt.Errorf("sign audit anchor: %w", err)
		}
	}
	return rows.PutAuditAnchor(a)
}

// chain numbers e after tail and sets its links and hash (keyed with key,
// plain SHA-256 without).
func chain(e *AuditEntry, tail AuditEntry, ok bool, key []byte) {
	e.Seq, e.PrevHash = 1, ""
	if ok {
		e.Seq, e.PrevHash = tail.Seq+1, tail.Hash
	}
	if key != nil {
		e.Hash = e.ComputeKeyedHash(key, e.PrevHash)
	} else {
		e.Hash = e.ComputeHash(e.PrevHash)
	}
}

// CheckAnchorForAppend is the check every keyed append makes before it
// signs: a handful of reads, not a walk of the log (an unlock walks it). It
// returns "" when the anchor and the log's end are as Lunas left them, else
// what was found, in English, for the tamper alarm.
func CheckAnchorForAppend(rows AuditRows, keyer AuditKeyer, key []byte, a AuditAnchor, has bool, tail AuditEntry, ok bool) string {
	if !has {
		if !ok {
			return "" // a new log: its first entry starts the chain
		}
		return fmt.Sprintf("the audit anchor is missing (the log ends at entry %d)", tail.Seq)
	}
	if !ok {
		if a.HeadSeq > 0 {
			return fmt.Sprintf("the audit log is empty but its anchor says it ends at entry %d: the log was wiped", a.HeadSeq)
		}
		return ""
	}
	switch {
	case a.HeadSeq > tail.Seq:
		return fmt.Sprintf("entries %d to %d were removed (the anchor says the log ends at entry %d)", tail.Seq+1, a.HeadSeq, a.HeadSeq)
	case a.HeadSeq < tail.Seq:
		return fmt.Sprintf("entries after %d were added outside Lunas (the anchor says the log ends there)", a.HeadSeq)
	case a.HeadHash != tail.Hash:
		return fmt.Sprintf("entry %d differs from the anchor's head: the log was rewritten", tail.Seq)
	}
	plain := tail.ComputeHash(tail.PrevHash) == tail.Hash
	if a.KeyedFrom == 0 && a.SignedSeq == 0 {
		if !plain {
			return fmt.Sprintf("entry %d has a keyed hash but the anchor carries no signature: the signature was removed", tail.Seq)
		}
		return "" // a log from before anchoring or keying: the first keyed entry starts here
	}
	if a.MAC == "" || a.SignedSeq == 0 {
		return "the anchor's signature was removed"
	}
	want, err := keyer.AuditMAC(a.AnchorMessage())
	if err != nil || !hmac.Equal([]byte(want), []byte(a.MAC)) {
		return "the anchor is not signed with this shop's key: the log or its anchor was rewritten"
	}
	if a.SignedSeq > tail.Seq {
		return fmt.Sprintf("the signed entry %d is beyond the end of the log (entry %d): entries were removed", a.SignedSeq, tail.Seq)
	}
	if h, err := rows.AuditHashAt(a.SignedSeq); err != nil || h != a.SignedHash {
		return fmt.Sprintf("entry %d differs from the one the signed anchor vouches for: the log was rewritten", a.SignedSeq)
	}
	if a.KeyedFrom > 0 {
		if a.SignedSeq != tail.Seq {
			return fmt.Sprintf("entries %d to %d were added after the signed entry without the key", a.SignedSeq+1, tail.Seq)
		}
		if tail.Seq >= a.KeyedFrom && tail.ComputeKeyedHash(key, tail.PrevHash) != tail.Hash {
			return fmt.Sprintf("entry %d does not match its keyed hash: it was changed without the key", tail.Seq)
		}
	}
	return ""
}

// RaiseAuditAlarm sets the tamper alarm (keeping the first one raised) and
// creates the anchor row if an attacker removed it. It never signs. A zero
// now leaves the time to the store's clock.
func RaiseAuditAlarm(rows AuditRows, what string, now time.Time) error {
	a, err := rows.AuditAnchor()
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if errors.Is(err, ErrNotFound) {
		tail, ok, err := rows.AuditTail()
		if err != nil {
			return err
		}
		if ok {
			a.HeadSeq, a.HeadHash = tail.Seq, tail.Hash
		}
		a.At = now
	}
	if a.Alarm != "" {
		return nil
	}
	a.Alarm, a.AlarmAt = what, now
	return rows.PutAuditAnchor(a)
}

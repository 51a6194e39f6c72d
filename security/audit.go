package security

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strconv"
	"time"

	"lunas/domain"
)

// AuditBreak names the first audit entry whose hash or link is wrong.
type AuditBreak struct {
	Seq    int64  // the entry number people see
	Reason string // what is wrong, in English for the log and support
}

// Error makes a break usable as an error.
func (b *AuditBreak) Error() string {
	return "audit log broken at entry " + strconv.FormatInt(b.Seq, 10) + ": " + b.Reason
}

// ChainState carries the verification across pages.
type ChainState struct {
	LastSeq  int64
	LastHash string
	Checked  int
	// KeyedFrom is the first entry whose hash is keyed (0: none); Key the
	// chain key (nil: keyed hashes cannot be checked, only their links).
	KeyedFrom int64
	Key       []byte
	// Unverified counts keyed entries whose content could not be checked
	// for want of the key.
	Unverified int
}

// VerifyEntries checks entries (in Seq order, continuing from st) and
// returns the first break: a missing or repeated number, a link to a
// previous hash that is not the previous entry's hash, or a hash that does
// not match the entry's content. Entries from st.KeyedFrom on must carry a
// keyed hash: with st.Key it is checked; without, an entry whose hash is
// the plain one is a forgery (written without the key) and any other is
// counted in st.Unverified.
func VerifyEntries(st *ChainState, entries []domain.AuditEntry) *AuditBreak {
	for i := range entries {
		e := &entries[i]
		want := st.LastSeq + 1
		switch {
		case e.Seq != want:
			return &AuditBreak{Seq: want, Reason: fmt.Sprintf("entry %d is missing (next stored entry is %d)", want, e.Seq)}
		case e.PrevHash != st.LastHash:
			return &AuditBreak{Seq: e.Seq, Reason: "link to the previous entry does not match"}
		}
		plain := e.ComputeHash(e.PrevHash) == e.Hash
		switch keyed := st.KeyedFrom > 0 && e.Seq >= st.KeyedFrom; {
		case !keyed && !plain:
			return &AuditBreak{Seq: e.Seq, Reason: "content does not match its hash (changed after it was written, " +
				"or the anchor's keyed boundary was removed)"}
		case keyed && plain:
			return &AuditBreak{Seq: e.Seq, Reason: "entry carries a plain hash where a keyed one belongs: " +
				"it was written or rewritten without the shop's key"}
		case keyed && st.Key == nil:
			st.Unverified++
		case keyed && e.ComputeKeyedHash(st.Key, e.PrevHash) != e.Hash:
			return &AuditBreak{Seq: e.Seq, Reason: "content does not match its keyed hash " +
				"(changed after it was written, or forged without the shop's key)"}
		}
		st.LastSeq, st.LastHash = e.Seq, e.Hash
		st.Checked++
	}
	return nil
}

// auditPage is how many entries one read holds in memory.
const auditPage = 2000

// NoKeyNote is what a check without the key says about what it could not
// check (a verify without the key never says a plain "ok").
const NoKeyNote = "cannot be verified without the key"

// AuditCheck is the result of checking the audit log.
type AuditCheck struct {
	Entries int         // entries whose hash and link are intact, from the first
	Break   *AuditBreak // the first problem, nil when none was found
	// Signed is true when the anchor's signature was checked with the
	// shop's key and holds: then neither removing the newest signed entries
	// nor rewriting the chain up to them can have gone unnoticed.
	Signed bool
	// Verified is true when everything was checked with the key: every
	// entry's hash and link, the anchor's signature and the head. Only then
	// may a person be told "ok".
	Verified bool
	// Alarm is the tamper alarm raised earlier ("" when none).
	Alarm   string
	AlarmAt time.Time
	// Head is the newest entry (seq and hash), for `lunas audit head`.
	HeadSeq  int64
	HeadHash string
	HeadAt   time.Time
	// Pending counts events recorded while the key was locked that wait to
	// be chained by the next entry written with the key.
	Pending int
	// Note says in plain words what could not be checked (empty when all
	// could): a locked vault, an anchor not yet signed.
	Note string
}

// VerifyAuditLog walks the whole chain in store without a key. It returns
// the number of entries checked and the first break (nil when none was
// found; that is not proof: see CheckAuditLog's Note).
func VerifyAuditLog(ctx context.Context, store domain.Store) (int, *AuditBreak, error) {
	c, err := CheckAuditLog(ctx, store, nil)
	return c.Entries, c.Break, err
}

// auditState is what the check reads besides the entries.
type auditState struct {
	anchor             domain.AuditAnchor
	hasAnchor, keepsIt bool
	users, pending     int
	countsUsers        bool
}

func readAuditState(ctx context.Context, store domain.Store) (auditState, error) {
	var s auditState
	err := store.Read(ctx, func(tx domain.ReadTx) error {
		if st, ok := tx.(interface{ CountUsers() (int, error) }); ok {
			n, err := st.CountUsers()
			if err != nil {
				return err
			}
			s.users, s.countsUsers = n, true
		}
		if st, ok := tx.(interface{ CountAuditPending() (int, error) }); ok {
			n, err := st.CountAuditPending()
			if err != nil {
				return err
			}
			s.pending = n
		}
		r, ok := tx.(domain.AuditAnchorReader)
		if !ok {
			return nil
		}
		s.keepsIt = true
		a, err := r.AuditAnchor()
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		s.anchor, s.hasAnchor = a, err == nil
		return err
	})
	return s, err
}

// CheckAuditLog walks the whole chain in store and checks it against the
// anchor. With keyer (the unlocked vault) every keyed hash and the anchor's
// signature are checked; without (locked, or no key at hand) the links, the
// plain hashes, the head and the tamper alarm are, and the Note says what
// cannot be verified without the key. A shop with users but no log, or a
// log without its anchor, is broken.
func CheckAuditLog(ctx context.Context, store domain.Store, keyer domain.AuditKeyer) (AuditCheck, error) {
	c, err := checkAuditLog(ctx, store, keyer)
	if err != nil || c.Alarm == "" {
		return c, err
	}
	// The alarm names what was found when it was raised; entries written
	// since may hide it from the walk, so it always leads.
	alarm := "tamper alarm raised " + c.AlarmAt.Format(time.RFC3339) + ": " + c.Alarm
	if c.Break == nil {
		c.Break = &AuditBreak{Seq: c.HeadSeq, Reason: alarm}
	} else {
		c.Break.Reason = alarm + "; found now: " + c.Break.Reason
	}
	c.Verified, c.Note = false, ""
	return c, nil
}

func checkAuditLog(ctx context.Context, store domain.Store, keyer domain.AuditKeyer) (AuditCheck, error) {
	var c AuditCheck
	s, err := readAuditState(ctx, store)
	if err != nil {
		return c, err
	}
	a := s.anchor
	c.Pending, c.Alarm, c.AlarmAt = s.pending, a.Alarm, a.AlarmAt
	var key []byte
	if keyer != nil {
		if key, err = keyer.AuditChainKey(); errors.Is(err, domain.ErrLocked) {
			keyer, key = nil, nil
		} else if err != nil {
			return c, err
		}
	}
	st := ChainState{KeyedFrom: a.KeyedFrom, Key: key}
	var signedHashSeen string
	var last domain.AuditEntry
	for {
		var page []domain.AuditEntry
		err := store.Read(ctx, func(tx domain.ReadTx) (err error) {
			page, err = tx.ListAudit(st.LastSeq, auditPage)
			return err
		})
		if err != nil {
			return c, err
		}
		b := VerifyEntries(&st, page)
		c.Entries = st.Checked
		for i := range page {
			if s.hasAnchor && a.SignedSeq > 0 && page[i].Seq == a.SignedSeq {
				signedHashSeen = page[i].Hash
			}
		}
		if len(page) > 0 {
			last = page[len(page)-1]
		}
		if b != nil {
			c.Break = b
			if s.keepsIt && !s.hasAnchor { // the more fundamental finding
				c.Break = &AuditBreak{Seq: b.Seq, Reason: "the audit anchor is missing: entries may have been " +
					"removed or rewritten (and " + b.Reason + ")"}
			}
			return c, nil
		}
		if len(page) < auditPage {
			break
		}
	}
	c.HeadSeq, c.HeadHash, c.HeadAt = st.LastSeq, st.LastHash, last.At
	if c.Break = checkEnds(st, s, signedHashSeen); c.Break != nil {
		return c, nil
	}
	if !s.keepsIt {
		c.Note = "this store keeps no anchor: removing the newest entries cannot be detected"
		return c, nil
	}
	if st.Checked == 0 {
		if s.countsUsers {
			c.Verified = a.Alarm == ""
			return c, nil // a new shop: nothing written yet
		}
		c.Note = NoKeyNote
		return c, nil
	}
	if keyer == nil {
		c.Note = fmt.Sprintf("%s: the links of all %d entries and the anchor's head were checked, but not the "+
			"anchor's signature", NoKeyNote, st.Checked)
		if st.Unverified > 0 {
			c.Note += fmt.Sprintf(" nor the content of the %d keyed entries", st.Unverified)
		}
		c.Note += "; open the shop with an owner's password (LUNAS_PASSWORD) and verify again"
		return c, nil
	}
	if a.SignedSeq == 0 {
		c.Note = "the anchor has not been signed yet (all entries were added while the key was locked, or the " +
			"log predates anchoring): a rewrite of the whole log cannot be ruled out"
		return c, nil
	}
	want, err := keyer.AuditMAC(a.AnchorMessage())
	if errors.Is(err, domain.ErrLocked) {
		c.Note = NoKeyNote + ": the key was locked during the check"
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if !hmac.Equal([]byte(want), []byte(a.MAC)) {
		c.Break = &AuditBreak{Seq: a.SignedSeq,
			Reason: "the anchor is not signed with this shop's key: the log or its anchor was rewritten"}
		return c, nil
	}
	c.Signed = true
	if st.LastSeq > a.SignedSeq {
		c.Note = fmt.Sprintf("entries %d to %d were added while the key was locked (before keyed chaining): only "+
			"the plain hash chain protects them", a.SignedSeq+1, st.LastSeq)
		return c, nil
	}
	c.Verified = true
	return c, nil
}

// checkEnds checks the end of an intact chain against the anchor, the
// users and the tamper alarm; everything here needs no key.
func checkEnds(st ChainState, s auditState, signedHashSeen string) *AuditBreak {
	a := s.anchor
	switch {
	case s.countsUsers && s.users > 0 && st.Checked == 0:
		return &AuditBreak{Seq: 1, Reason: fmt.Sprintf("the shop has %d users but its audit log is empty: the log was wiped", s.users)}
	case s.keepsIt && !s.hasAnchor && (st.Checked > 0 || s.countsUsers && s.users > 0):
		return &AuditBreak{Seq: st.LastSeq, Reason: "the audit anchor is missing: entries may have been removed or rewritten"}
	case !s.hasAnchor:
		return nil
	case a.HeadSeq > st.LastSeq:
		return &AuditBreak{Seq: st.LastSeq + 1, Reason: fmt.Sprintf(
			"entries %d to %d were removed (the anchor says the log ends at entry %d)", st.LastSeq+1, a.HeadSeq, a.HeadSeq)}
	case a.HeadSeq < st.LastSeq:
		return &AuditBreak{Seq: a.HeadSeq + 1, Reason: fmt.Sprintf(
			"entries after %d were added outside Lunas (the anchor says the log ends there)", a.HeadSeq)}
	case a.HeadHash != st.LastHash:
		return &AuditBreak{Seq: st.LastSeq, Reason: "the newest entry differs from the anchor: the log was rewritten"}
	case a.SignedSeq > a.HeadSeq:
		return &AuditBreak{Seq: a.HeadSeq + 1, Reason: "the signed anchor is beyond the end of the log: entries were removed"}
	case a.KeyedFrom > 0 && (a.MAC == "" || a.SignedSeq == 0):
		return &AuditBreak{Seq: st.LastSeq, Reason: "the anchor's signature was removed (the log is keyed from entry " +
			strconv.FormatInt(a.KeyedFrom, 10) + ")"}
	case a.SignedSeq > 0 && signedHashSeen != a.SignedHash:
		return &AuditBreak{Seq: a.SignedSeq,
			Reason: "entry differs from the one the signed anchor vouches for: the log was rewritten"}
	case a.KeyedFrom > 0 && a.SignedSeq != a.HeadSeq && a.Alarm == "":
		return &AuditBreak{Seq: a.SignedSeq + 1, Reason: fmt.Sprintf(
			"entries %d to %d follow the signed entry: they were added without the shop's key", a.SignedSeq+1, a.HeadSeq)}
	}
	return nil
}

// guardAudit is the check every unlock makes before anything is written
// with the key (and seals emails an older Lunas stored in plaintext): it walks the whole log with the key and, when anything is
// wrong, raises the tamper alarm instead of letting the next append sign
// over it. An error reading the log locks the vault again.
func (v *Vault) guardAudit(ctx context.Context) error {
	v.mu.RLock()
	store := v.store
	v.mu.RUnlock()
	if store == nil {
		return nil
	}
	// Rows from before sealed contacts (migration 0010) are sealed now that
	// the key is at hand.
	if s, ok := store.(interface {
		SealLegacyContacts(context.Context) (int, error)
	}); ok {
		if _, err := s.SealLegacyContacts(ctx); err != nil {
			v.Lock()
			return fmt.Errorf("sealing emails stored in plaintext: %w", err)
		}
	}
	c, err := CheckAuditLog(ctx, store, v)
	if err != nil {
		v.Lock()
		return fmt.Errorf("audit check at unlock: %w", err)
	}
	if c.Break == nil || c.Alarm != "" {
		return nil
	}
	return raiseAlarm(ctx, store, c.Break.Error())
}

// raiseAlarm records the tamper alarm in the store's anchor.
func raiseAlarm(ctx context.Context, store domain.Store, what string) error {
	return store.Write(ctx, func(tx domain.Tx) error {
		rows, ok := tx.(domain.AuditRows)
		if !ok {
			return nil
		}
		return domain.RaiseAuditAlarm(rows, what, time.Time{}) // the store's clock
	})
}

// AuditAlarm returns the tamper alarm ("" when none) and when it was
// raised; it needs no key and no permission (the desktop shows it to
// everyone at sign-in).
func (s *Service) AuditAlarm(ctx context.Context) (string, time.Time, error) {
	st, err := readAuditState(ctx, s.store)
	return st.anchor.Alarm, st.anchor.AlarmAt, err
}

// VerifyAudit is CheckAudit for callers that want only the count and the
// break: a broken chain is returned as a *AuditBreak error (errors.As gives
// the entry number) together with how many entries before it are intact.
func (s *Service) VerifyAudit(ctx context.Context, actor domain.Actor) (int, error) {
	c, err := s.CheckAudit(ctx, actor)
	if err != nil {
		return c.Entries, err
	}
	if c.Break != nil {
		return c.Entries, c.Break
	}
	return c.Entries, nil
}

// CheckAudit is CheckAuditLog for a signed-in person, with the service's
// vault as the keyer (so keyed hashes and the signature are checked
// whenever the vault is unlocked); the check itself is audited. Break is
// set, not returned as an error; Note says what could not be checked.
func (s *Service) CheckAudit(ctx context.Context, actor domain.Actor) (AuditCheck, error) {
	if err := actor.Can(domain.PermVerifyAudit); err != nil {
		return AuditCheck{}, err
	}
	var keyer domain.AuditKeyer
	if s.vault != nil {
		keyer = s.vault
	}
	c, err := CheckAuditLog(ctx, s.store, keyer)
	if err != nil {
		return c, err
	}
	result := "ok, " + strconv.Itoa(c.Entries) + " entries"
	switch {
	case c.Break != nil:
		result = c.Break.Error()
	case !c.Verified:
		result = "not verified, " + strconv.Itoa(c.Entries) + " entries linked; " + c.Note
	case c.Signed:
		result += ", keyed and signed anchor holds"
	}
	if err := s.audit(ctx, actor, "audit.verify", "audit", result); err != nil {
		return c, err
	}
	return c, nil
}

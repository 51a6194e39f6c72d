package security

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strconv"

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
}

// VerifyEntries checks entries (in Seq order, continuing from st) and
// returns the first break: a missing or repeated number, a link to a
// previous hash that is not the previous entry's hash, or a hash that does
// not match the entry's content.
func VerifyEntries(st *ChainState, entries []domain.AuditEntry) *AuditBreak {
	for i := range entries {
		e := &entries[i]
		want := st.LastSeq + 1
		switch {
		case e.Seq != want:
			return &AuditBreak{Seq: want, Reason: fmt.Sprintf("entry %d is missing (next stored entry is %d)", want, e.Seq)}
		case e.PrevHash != st.LastHash:
			return &AuditBreak{Seq: e.Seq, Reason: "link to the previous entry does not match"}
		case e.ComputeHash(e.PrevHash) != e.Hash:
			return &AuditBreak{Seq: e.Seq, Reason: "content does not match its hash (changed after it was written)"}
		}
		st.LastSeq, st.LastHash = e.Seq, e.Hash
		st.Checked++
	}
	return nil
}

// auditPage is how many entries one read holds in memory.
const auditPage = 2000

// AuditCheck is the result of checking the audit log.
type AuditCheck struct {
	Entries int         // entries whose hash and link are intact, from the first
	Break   *AuditBreak // the first problem, nil when none was found
	// Signed is true when the anchor's signature was checked with the
	// shop's key and holds: then neither removing the newest signed entries
	// nor rewriting the chain up to them can have gone unnoticed.
	Signed bool
	// Note says in plain words what could not be checked (empty when all
	// could): a locked vault, an anchor not yet signed, or entries added
	// while the vault was locked, which only the hash chain protects.
	Note string
}

// VerifyAuditLog walks the whole chain in store and compares its end with
// the anchor's unsigned head. It returns the number of entries checked and
// the first break (nil when intact). It needs no key and no user, so it
// cannot tell a careful rewrite that also edits the anchor: CheckAuditLog
// with the unlocked vault can.
func VerifyAuditLog(ctx context.Context, store domain.Store) (int, *AuditBreak, error) {
	c, err := CheckAuditLog(ctx, store, nil)
	return c.Entries, c.Break, err
}

// CheckAuditLog walks the whole chain in store and checks it against the
// anchor. With signer (the unlocked vault) it also checks the anchor's
// signature; with signer nil (locked, or no key at hand) the Note says that
// a rewrite of the whole log together with its anchor cannot be ruled out.
func CheckAuditLog(ctx context.Context, store domain.Store, signer domain.AuditAnchorSigner) (AuditCheck, error) {
	var c AuditCheck
	var anchor domain.AuditAnchor
	hasAnchor, keepsAnchor := false, false
	err := store.Read(ctx, func(tx domain.ReadTx) error {
		r, ok := tx.(domain.AuditAnchorReader)
		if !ok {
			return nil
		}
		keepsAnchor = true
		a, err := r.AuditAnchor()
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		anchor, hasAnchor = a, err == nil
		return err
	})
	if err != nil {
		return c, err
	}
	var st ChainState
	signedHashSeen := ""
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
			if hasAnchor && anchor.SignedSeq > 0 && page[i].Seq == anchor.SignedSeq {
				signedHashSeen = page[i].Hash
			}
		}
		if b != nil {
			c.Break = b
			return c, nil
		}
		if len(page) < auditPage {
			break
		}
	}
	if !keepsAnchor {
		c.Note = "this store keeps no anchor: removing the newest entries cannot be detected"
		return c, nil
	}
	c.Break = compareHead(st, hasAnchor, anchor)
	if c.Break != nil {
		return c, nil
	}
	if anchor.SignedSeq > 0 && signedHashSeen != anchor.SignedHash {
		c.Break = &AuditBreak{Seq: anchor.SignedSeq,
			Reason: "entry differs from the one the signed anchor vouches for: the log was rewritten"}
		return c, nil
	}
	if st.Checked == 0 {
		return c, nil
	}
	switch {
	case signer == nil:
		c.Note = "the key is locked: the anchor's signature was not checked, so a rewrite of the whole log " +
			"together with its anchor cannot be ruled out; unlock Lunas and verify again"
	case anchor.MAC == "" || anchor.SignedSeq == 0:
		c.Note = "the anchor has not been signed yet (all entries were added while the key was locked, or the " +
			"log predates anchoring): a rewrite of the whole log cannot be ruled out"
	default:
		want, err := signer.SignAuditHead(anchor.SignedSeq, anchor.SignedHash)
		if errors.Is(err, domain.ErrLocked) {
			c.Note = "the key is locked: the anchor's signature was not checked"
			return c, nil
		}
		if err != nil {
			return c, err
		}
		switch {
		case !hmac.Equal([]byte(want), []byte(anchor.MAC)):
			c.Break = &AuditBreak{Seq: anchor.SignedSeq,
				Reason: "the anchor is not signed with this shop's key: the log or its anchor was rewritten"}
		default:
			c.Signed = true
			if st.LastSeq > anchor.SignedSeq {
				c.Note = fmt.Sprintf("entries %d to %d were added while the key was locked: only the hash chain "+
					"protects them until the next entry made while unlocked", anchor.SignedSeq+1, st.LastSeq)
			}
		}
	}
	return c, nil
}

// compareHead checks the end of an intact chain against the anchor's head.
func compareHead(st ChainState, hasAnchor bool, a domain.AuditAnchor) *AuditBreak {
	switch {
	case !hasAnchor && st.Checked == 0:
		return nil
	case !hasAnchor:
		return &AuditBreak{Seq: st.LastSeq, Reason: "the audit anchor is missing: entries may have been removed or rewritten"}
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
	}
	return nil
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
// vault as the signer (so the signature is checked whenever the vault is
// unlocked); the check itself is audited. Break is set, not returned as an
// error; Note says what could not be checked.
func (s *Service) CheckAudit(ctx context.Context, actor domain.Actor) (AuditCheck, error) {
	if err := actor.Can(domain.PermVerifyAudit); err != nil {
		return AuditCheck{}, err
	}
	var signer domain.AuditAnchorSigner
	if s.vault != nil {
		signer = s.vault
	}
	c, err := CheckAuditLog(ctx, s.store, signer)
	if err != nil {
		return c, err
	}
	result := "ok, " + strconv.Itoa(c.Entries) + " entries"
	if c.Signed {
		result += ", signed anchor holds"
	}
	if c.Break != nil {
		result = c.Break.Error()
	} else if c.Note != "" {
		result += "; " + c.Note
	}
	if err := s.audit(ctx, actor, "audit.verify", "audit", result); err != nil {
		return c, err
	}
	return c, nil
}

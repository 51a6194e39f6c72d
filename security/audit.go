package security

import (
	"context"
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

// VerifyAuditLog walks the whole chain in store. It returns the number of
// entries checked and the first break (nil when intact). It needs no key
// and no user: the CLI runs it on the file.
func VerifyAuditLog(ctx context.Context, store domain.Store) (int, *AuditBreak, error) {
	var st ChainState
	for {
		var page []domain.AuditEntry
		err := store.Read(ctx, func(tx domain.ReadTx) (err error) {
			page, err = tx.ListAudit(st.LastSeq, auditPage)
			return err
		})
		if err != nil {
			return st.Checked, nil, err
		}
		if b := VerifyEntries(&st, page); b != nil {
			return st.Checked, b, nil
		}
		if len(page) < auditPage {
			return st.Checked, nil, nil
		}
	}
}

// VerifyAudit is VerifyAuditLog for a signed-in person; the check itself is
// audited. A broken chain is returned as a *AuditBreak error (errors.As gives
// the entry number) together with how many entries before it are intact.
func (s *Service) VerifyAudit(ctx context.Context, actor domain.Actor) (int, error) {
	if err := actor.Can(domain.PermVerifyAudit); err != nil {
		return 0, err
	}
	n, b, err := VerifyAuditLog(ctx, s.store)
	if err != nil {
		return n, err
	}
	result := "ok, " + strconv.Itoa(n) + " entries"
	if b != nil {
		result = b.Error()
	}
	if err := s.audit(ctx, actor, "audit.verify", "audit", result); err != nil {
		return n, err
	}
	if b != nil {
		return n, b
	}
	return n, nil
}

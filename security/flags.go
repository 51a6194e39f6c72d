package security

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/xlsx"
)

// TransferRejecter is the engine's reject action (engine.Engine satisfies it),
// used when the owner rejects a flagged transfer.
type TransferRejecter interface {
	Reject(ctx context.Context, actor domain.Actor, refID, reason string) error
}

// SetRejecter wires the engine's reject action; without it, rejecting a flag
// only records the decision.
func (s *Service) SetRejecter(r TransferRejecter) { s.rejecter = r }

// ListFlags returns flags for the review queue: status "" for all, refID "" for all.
func (s *Service) ListFlags(ctx context.Context, actor domain.Actor, status domain.FlagStatus, refID string, pg domain.Page) ([]domain.Flag, error) {
	if err := actor.Can(domain.PermView); err != nil {
		return nil, err
	}
	var out []domain.Flag
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		out, err = st.ListFlags(status, refID, pg)
		return err
	})
	return out, err
}

// ResolveFlag records the owner's decision on a flag with a note. Clearing
// says "looked, fine" (the transfer still needs the engine's approval with a
// code); rejecting also rejects the transfer through the engine, and closes
// the transfer's other open flags.
func (s *Service) ResolveFlag(ctx context.Context, actor domain.Actor, flagID int64, decision domain.FlagStatus, note string) error {
	if err := actor.Can(domain.PermApprove); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return domain.Invalid("note", "tuliskan catatan / write a note")
	}
	if decision != domain.FlagCleared && decision != domain.FlagRejected {
		return domain.Invalid("decision", "pilih bersihkan atau tolak / choose clear or reject")
	}
	var refID string
	err := s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		f, err := st.GetFlag(flagID)
		if err != nil {
			return err
		}
		refID = f.RefID
		if decision == domain.FlagCleared && f.Block {
			return domain.Invalid("decision", "aturan ini memblokir transfer; hanya bisa ditolak / this rule blocks the transfer; it can only be rejected")
		}
		ids := []int64{f.ID}
		if decision == domain.FlagRejected {
			others, err := st.ListFlags(domain.FlagOpen, f.RefID, domain.Page{})
			if err != nil {
				return err
			}
			for _, o := range others {
				if o.ID != f.ID {
					ids = append(ids, o.ID)
				}
			}
		}
		for _, id := range ids {
			if err := st.ResolveFlag(id, decision, note, actor.Name); err != nil {
				return err
			}
			if err := Audit(tx, actor, "flag."+string(decision), "transfer:"+f.RefID,
				"flag "+strconv.FormatInt(id, 10)+" rule "+f.Rule+": "+note); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || decision != domain.FlagRejected || s.rejecter == nil {
		return err
	}
	err = s.rejecter.Reject(ctx, actor, refID, "risk flag: "+note)
	if errors.Is(err, domain.ErrInvalidTransition) {
		return nil // already moved on (rejected, or never held): the flag decision stands
	}
	return err
}

// ExportFlags writes flags as CSV (UTF-8, header row) for the compliance file.
// Formula-like cells (= + - @, also after leading spaces or control
// characters) are prefixed with ' so spreadsheets do not run them.
func (s *Service) ExportFlags(ctx context.Context, actor domain.Actor, status domain.FlagStatus, w io.Writer) error {
	if err := actor.Can(domain.PermExport); err != nil {
		return err
	}
	flags, err := s.ListFlags(ctx, actor, status, "", domain.Page{})
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "refid", "payee_id", "rule", "block", "status", "reason_id", "reason_en", "evidence",
		"note", "resolved_by", "created_at", "resolved_at"})
	for _, f := range flags {
		res := ""
		if !f.ResolvedAt.IsZero() {
			res = f.ResolvedAt.In(s.opts.Location).Format(time.RFC3339)
		}
		_ = cw.Write(safeCells(strconv.FormatInt(f.ID, 10), f.RefID, strconv.FormatInt(f.PayeeID, 10), f.Rule,
			strconv.FormatBool(f.Block), string(f.Status), f.ReasonID, f.ReasonEN, f.Evidence, f.Note, f.ResolvedBy,
			f.CreatedAt.In(s.opts.Location).Format(time.RFC3339), res))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return s.audit(ctx, actor, "export.flags", "flags", "status="+string(status)+" rows="+strconv.Itoa(len(flags)))
}

// safeCells neutralises formula-like cells exactly as the spreadsheet
// exports do (xlsx.Neutralize: also behind leading spaces, control and
// invisible characters, and full-width forms).
func safeCells(c ...string) []string {
	for i, v := range c {
		c[i] = xlsx.Neutralize(v)
	}
	return c
}

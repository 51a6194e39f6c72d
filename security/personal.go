package security

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
	"lunas/domain/risk"
	"lunas/domain/xlsx"
)

// ErrOpenObligations reports a payee who is still owed money or has a
// transfer under way: their data is needed and cannot be erased yet.
var ErrOpenObligations = fmt.Errorf("penerima masih punya kewajiban atau transfer berjalan / the payee still has open obligations or transfers: %w", domain.ErrUnsafe)

// PersonalData is everything Lunas holds about one payee.
type PersonalData struct {
	Payee     PayeeRecord      `json:"payee"`
	Transfers []TransferRecord `json:"transfers"`
	Flags     []FlagRecord     `json:"flags"`
	Exported  time.Time        `json:"exported_at"`
}

// PayeeRecord is a payee's own data, unmasked (exports need PermExportPersonal).
type PayeeRecord struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Channel       string `json:"channel"`
	AccountNumber string `json:"account_number"`
	AccountHolder string `json:"account_holder"`
	Verification  string `json:"verification"`
	Email         string `json:"email"`
	Erased        bool   `json:"erased"`
	CreatedAt     string `json:"created_at"`
}

// TransferRecord is one payout to the payee.
type TransferRecord struct {
	RefID     string `json:"refid"`
	Amount    int64  `json:"amount_rupiah"`
	Status    string `json:"status"`
	Channel   string `json:"channel"`
	CreatedAt string `json:"created_at"`
}

// FlagRecord is one risk flag about the payee.
type FlagRecord struct {
	RefID    string `json:"refid"`
	Rule     string `json:"rule"`
	Status   string `json:"status"`
	ReasonID string `json:"reason_id"`
	ReasonEN string `json:"reason_en"`
}

// ExportPayee writes one payee's data as "json" or "csv" (a data-subject
// request). It needs PermExportPersonal and is audited.
func (s *Service) ExportPayee(ctx context.Context, actor domain.Actor, payeeID int64, format string, w io.Writer) error {
	if err := actor.Can(domain.PermExportPersonal); err != nil {
		return err
	}
	if format != "json" && format != "csv" {
		return domain.Invalid("format", "format json atau csv / format must be json or csv")
	}
	var d PersonalData
	err := s.store.Read(ctx, func(tx domain.ReadTx) error {
		st, err := rtx(tx)
		if err != nil {
			return err
		}
		p, err := st.GetPayee(payeeID)
		if err != nil {
			return err
		}
		ts := func(t time.Time) string { return t.In(s.opts.Location).Format(time.RFC3339) }
		d.Payee = PayeeRecord{ID: p.ID, Name: p.Name, Channel: p.Channel, AccountNumber: p.AccountNumber,
			AccountHolder: p.AccountHolder, Verification: string(p.Verification), Email: p.Email, Erased: p.Erased, CreatedAt: ts(p.CreatedAt)}
		xs, err := st.ListTransfers(domain.TransferFilter{PayeeID: payeeID})
		if err != nil {
			return err
		}
		for _, x := range xs {
			d.Transfers = append(d.Transfers, TransferRecord{RefID: x.RefID, Amount: int64(x.Amount), Status: string(x.Status),
				Channel: x.Channel, CreatedAt: ts(x.CreatedAt)})
		}
		fs, err := st.ListFlags("", "", domain.Page{})
		if err != nil {
			return err
		}
		for _, f := range fs {
			if f.PayeeID == payeeID {
				d.Flags = append(d.Flags, FlagRecord{RefID: f.RefID, Rule: f.Rule, Status: string(f.Status), ReasonID: f.ReasonID, ReasonEN: f.ReasonEN})
			}
		}
		d.Exported = s.now()
		return nil
	})
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(d)
	} else {
		err = writePersonalCSV(w, d)
	}
	if err != nil {
		return err
	}
	return s.audit(ctx, actor, "export.personal", "payee:"+strconv.FormatInt(payeeID, 10), "format="+format)
}

func writePersonalCSV(w io.Writer, d PersonalData) error {
	cw := csv.NewWriter(w)
	row := func(c ...string) { _ = cw.Write(safeCells(c...)) }
	row("record", "field", "value")
	p := d.Payee
	for _, kv := range [][2]string{{"id", strconv.FormatInt(p.ID, 10)}, {"name", p.Name}, {"channel", p.Channel},
		{"account_number", p.AccountNumber}, {"account_holder", p.AccountHolder}, {"verification", p.Verification},
		{"email", p.Email}, {"erased", strconv.FormatBool(p.Erased)}, {"created_at", p.CreatedAt}} {
		row("payee", kv[0], kv[1])
	}
	for _, t := range d.Transfers {
		row("transfer", t.RefID, fmt.Sprintf("%d %s %s %s", t.Amount, t.Status, t.Channel, t.CreatedAt))
	}
	for _, f := range d.Flags {
		row("flag", f.RefID, f.Rule+" "+f.Status+": "+f.ReasonEN)
	}
	cw.Flush()
	return cw.Error()
}

// ErasePayee pseudonymises a payee who has no open obligations and no
// transfer under way: name, account number, holder name and email are
// removed; the row, its id, its transfers and the ledger stay, so every
// rupiah remains traceable. Risk flags are kept as AML records with the
// names in their text replaced by the pseudonym; the copies elsewhere go
// too: mail to or about the payee in the outbox, payout rule names
// (pseudonymised), the sealed destinations of their transfers and the
// account fingerprints. Deleted content is zeroed
// (secure_delete) and the WAL checkpointed, so the old values leave the file.
func (s *Service) ErasePayee(ctx context.Context, actor domain.Actor, payeeID int64) error {
	if err := actor.Can(domain.PermErasePersonal); err != nil {
		return err
	}
	err := s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		if err := st.SecureDelete(); err != nil {
			return err
		}
		n, err := st.PayeeOpenWork(payeeID)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrOpenObligations
		}
		p, err := st.GetPayee(payeeID)
		if err != nil {
			return err
		}
		alias := "Terhapus #" + strconv.FormatInt(p.ID, 10)
		if err := st.PseudonymiseFlags(p.ID, []string{p.Name, p.AccountHolder}, alias); err != nil {
			return err
		}
		if err := st.ErasePayeeCopies(p.ID, []string{p.Name, p.AccountHolder}, p.Email, alias); err != nil {
			return err
		}
		p.Name = alias
		p.AccountNumber, p.AccountHolder, p.Email = "", "", ""
		p.Verification, p.Erased = domain.VerifyNone, true
		if err := st.UpdatePayee(&p); err != nil {
			return err
		}
		return Audit(tx, actor, "payee.erase", "payee:"+strconv.FormatInt(p.ID, 10), "personal data pseudonymised")
	})
	if err != nil {
		return err
	}
	// Old page images of the row sit in the WAL until a checkpoint.
	if c, ok := s.store.(interface{ CheckpointTruncate(context.Context) error }); ok {
		return c.CheckpointTruncate(ctx)
	}
	return nil
}

// ImportWatchlist replaces the AML watchlist with the entries of an .xlsx or
// .csv file (the published DTTOT list or the same columns). It returns the
// number of entries imported.
func (s *Service) ImportWatchlist(ctx context.Context, actor domain.Actor, filename string, r io.Reader) (int, error) {
	if err := actor.Can(domain.PermImportWatchlist); err != nil {
		return 0, err
	}
	data, err := xlsx.ReadLimited(r, xlsx.MaxFileBytes) // refused, never cut, when larger
	if err != nil {
		return 0, err
	}
	list, err := ParseWatchlistFile(filename, data)
	if err != nil {
		return 0, err
	}
	err = s.store.Write(ctx, func(tx domain.Tx) error {
		st, err := wtx(tx)
		if err != nil {
			return err
		}
		if err := st.ReplaceWatchlist(list); err != nil {
			return err
		}
		return Audit(tx, actor, "watchlist.import", "watchlist", fmt.Sprintf("%s: %d entries", filepath.Base(filename), len(list)))
	})
	return len(list), err
}

// ParseWatchlistFile reads watchlist entries from an .xlsx (first sheet with
// a name column) or a .csv file's bytes.
func ParseWatchlistFile(filename string, data []byte) (list []risk.WatchEntry, err error) {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".csv", ".txt":
		return risk.ParseWatchlistCSV(bytes.NewReader(data))
	case ".xlsx", ".xlsm":
	default:
		return nil, domain.Invalid("file", "pilih berkas .xlsx atau .csv / choose an .xlsx or .csv file")
	}
	defer func() { // a hostile workbook must not take the app down
		if r := recover(); r != nil {
			list, err = nil, fmt.Errorf("watchlist workbook unreadable: %v", r)
		}
	}()
	if err := xlsx.CheckUnzipSize(data); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), xlsx.ExcelizeOptions())
	if err != nil {
		return nil, fmt.Errorf("watchlist workbook: %s: %w", xlsx.Clip(err.Error()), domain.ErrInvalid)
	}
	defer f.Close()
	var firstErr error
	for _, sheet := range f.GetSheetList() {
		rows, err := xlsx.SheetRows(f, sheet) // bounded: a value in column XFD is not 16,384 cells a row
		if err != nil {
			return nil, fmt.Errorf("watchlist sheet %s: %w", xlsx.Clip(sheet), err)
		}
		list, err := risk.ParseWatchlistRows(rows)
		if err == nil {
			return list, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = risk.ErrWatchlistFormat
	}
	return nil, firstErr
}

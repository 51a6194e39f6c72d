package security

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"lunas/domain"
)

// ExportRecord describes one finished spreadsheet or CSV export for the
// audit log: who (the actor passed alongside), what was asked for, whether
// account numbers were written in full, and how many rows left the shop.
type ExportRecord struct {
	Kind     string              // what was exported: "report", "reconciliation", "flags", "payee" ...
	Path     string              // the file written; only its base name is recorded
	Format   string              // "xlsx" or "csv"
	Filter   domain.ReportFilter // exactly what was exported
	Rows     map[string]int64    // data rows per sheet (xlsx.Result.SheetRows)
	Unmasked bool                // full account numbers were written
	Via      string              // "desktop", "command line", ...
}

// Detail is the audit entry's detail line: filter, masking and row counts,
// never row content.
func (r ExportRecord) Detail() string {
	var total int64
	sheets := make([]string, 0, len(r.Rows))
	for s, n := range r.Rows {
		total += n
		sheets = append(sheets, fmt.Sprintf("%s %d", s, n))
	}
	sort.Strings(sheets)
	var b strings.Builder
	fmt.Fprintf(&b, "kind=%s format=%s rows=%d", orNone(r.Kind), orNone(r.Format), total)
	if len(sheets) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(sheets, ", "))
	}
	fmt.Fprintf(&b, " unmasked=%v filter:", r.Unmasked)
	f := r.Filter
	fmt.Fprintf(&b, " from=%s to=%s", day(f.From), day(f.To))
	if len(f.Statuses) > 0 {
		fmt.Fprintf(&b, " statuses=%s", strings.Join(f.Statuses, "|"))
	}
	if f.PayeeID != 0 {
		fmt.Fprintf(&b, " payee=%d", f.PayeeID)
	}
	if f.Gateway != "" {
		fmt.Fprintf(&b, " gateway=%s", f.Gateway)
	}
	if r.Via != "" {
		fmt.Fprintf(&b, "; via %s", r.Via)
	}
	return clip(b.String(), 500)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// AuditExport records r as an "export.<kind>" audit entry in tx, with the
// file's base name as subject (a full path can name the person's folders).
func AuditExport(tx domain.Tx, actor domain.Actor, r ExportRecord) error {
	action := "export"
	if r.Kind != "" {
		action += "." + r.Kind
	}
	subject := "file"
	if r.Path != "" {
		subject = "file:" + filepath.Base(r.Path)
	}
	return Audit(tx, actor, action, subject, r.Detail())
}

// RecordExport is AuditExport in its own write transaction on store. The
// app calls it after every workbook or CSV export has been written (export
// functions run inside a read transaction, so they cannot write the entry).
func RecordExport(ctx context.Context, store domain.Store, actor domain.Actor, r ExportRecord) error {
	return store.Write(ctx, func(tx domain.Tx) error { return AuditExport(tx, actor, r) })
}

// RecordExport is the package's RecordExport on the service's store.
func (s *Service) RecordExport(ctx context.Context, actor domain.Actor, r ExportRecord) error {
	return RecordExport(ctx, s.store, actor, r)
}

// Package xlsx writes Lunas's spreadsheet reports (xlsx with excelize's
// StreamWriter, and CSV) and reads payee, product and order spreadsheets.
// Rows are streamed from a small iterator interface so that a million rows
// fit in little memory.
//
// For a screen:
//   - Export: ExportStore(ctx, store, path, Options{Actor, Filter, Lang,
//     Unmask, Progress}); cancel ctx to stop (no file is left). Progress is
//     called on the exporting goroutine: hop to the UI goroutine yourself.
//   - Import: t := ReadFile(path); p := Inspect(t, kind) gives the headers,
//     the proposed Mapping and the required fields still unmapped; let the
//     person adjust the mapping, then Import(ctx, store, t, ImportOptions{
//     Mapping, ValidOnly}); ImportResult.Errors lists RowErrors (row, column,
//     value, message) to show.
//   - Reconciliation: reconcile.Run, then ExportReconciliation to save it.
package xlsx

import "lunas/domain"

// Filter is exactly what a person chose on screen (see domain.ReportFilter).
type Filter = domain.ReportFilter

// OrderRow is one order with its computed amounts.
type OrderRow = domain.OrderReportRow

// TransferRow is one transfer with its payee's name, bank and account.
type TransferRow = domain.TransferReportRow

// FlagRow is a held transfer or a flagged payment.
type FlagRow = domain.FlagReportRow

// Rows streams report rows for a filter. Each method calls fn once per row in
// a stable order (creation time, then id) and stops at the first error fn
// returns, passing it back. Implementations must not load all rows at once.
// A read transaction of the store (*sqlite.Tx) satisfies it; it is cancelled
// through the transaction's context.
type Rows interface {
	EachOrder(f Filter, fn func(OrderRow) error) error
	EachPayment(f Filter, fn func(domain.Payment) error) error
	EachTransfer(f Filter, fn func(TransferRow) error) error
	EachPosting(f Filter, fn func(domain.Posting) error) error
	EachFlag(f Filter, fn func(FlagRow) error) error
	EachAudit(f Filter, fn func(domain.AuditEntry) error) error
}

// Counter is optionally implemented by a Rows source that can count the rows
// of an export cheaply, so progress can show a percentage.
type Counter interface {
	CountRows(f Filter) (int64, error)
}

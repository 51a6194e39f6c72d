package xlsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"lunas/domain"
)

// Format is the file format of an export.
type Format string

// Export formats.
const (
	FormatXLSX Format = "xlsx"
	FormatCSV  Format = "csv"
)

// FormatOf returns the format for a file name by its extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		return FormatXLSX, nil
	case ".csv":
		return FormatCSV, nil
	}
	return "", fmt.Errorf("%s: the file name must end in .xlsx or .csv: %w", filepath.Base(path), domain.ErrInvalid)
}

// Progress tells how far an export is. Total is 0 when the source cannot count.
type Progress struct {
	Sheet Sheet
	Done  int64 // data rows written so far, all sheets
	Total int64
}

// Options controls an export.
type Options struct {
	Actor    domain.Actor   // who exports: needs PermExport; Unmask needs PermExportPersonal; the Audit sheet is for the owner
	Filter   Filter         // exactly what is exported
	Lang     Lang           // sheet and column names ("" is Indonesian)
	Location *time.Location // the shop's time zone (nil: Asia/Jakarta)
	Unmask   bool           // show full account numbers (owner's choice)
	Format   Format         // "" picks by the file extension
	// CSVSheet is the one sheet a CSV file holds ("" is transfers).
	CSVSheet Sheet
	// Sheets, if set, are the only sheets an xlsx workbook holds (in
	// workbook order); nil is every sheet the actor may see. The summary
	// still counts orders, payments and transfers when it is chosen alone.
	Sheets []Sheet
	// Progress, if set, is called from the exporting goroutine every few
	// thousand rows and at the end of each sheet.
	Progress func(Progress)
}

// Result describes a finished export.
type Result struct {
	Path string
	Rows map[Sheet]int64 // data rows per sheet
}

// SheetRows returns the data rows per sheet keyed by the sheet's stable
// name, for the audit record of the export (security.ExportRecord.Rows).
func (r Result) SheetRows() map[string]int64 {
	out := make(map[string]int64, len(r.Rows))
	for s, n := range r.Rows {
		out[string(s)] = n
	}
	return out
}

// ErrNoJakarta reports a system without time zone data.
var ErrNoJakarta = errors.New("time zone Asia/Jakarta is not available on this system")

// ShopLocation returns Asia/Jakarta, the default shop time zone.
func ShopLocation() (*time.Location, error) {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoJakarta, err)
	}
	return loc, nil
}

// progressEvery is how many rows pass between progress calls and cancellation checks.
const progressEvery = 4096

// Export writes the report for opts.Filter to path (xlsx or CSV). It writes to
// a temporary file in the same folder and renames it only on success, so a
// cancelled or failed export leaves no file behind (and an older file at path
// is kept). Cancelling ctx stops it within a few thousand rows.
func Export(ctx context.Context, src Rows, path string, opts Options) (Result, error) {
	if err := opts.Actor.Can(domain.PermExport); err != nil {
		return Result{}, err
	}
	if opts.Unmask {
		if err := opts.Actor.Can(domain.PermExportPersonal); err != nil {
			return Result{}, err
		}
	}
	format := opts.Format
	if format == "" {
		var err error
		if format, err = FormatOf(path); err != nil {
			return Result{}, err
		}
	}
	if opts.Location == nil {
		loc, err := ShopLocation()
		if err != nil {
			return Result{}, err
		}
		opts.Location = loc
	}
	if opts.CSVSheet == "" {
		opts.CSVSheet = SheetTransfers
	}
	if opts.Lang == "" {
		opts.Lang = LangID
	}
	sheets := AllSheets
	if opts.Actor.Role != domain.RoleOwner {
		sheets = sheets[:len(sheets)-1] // the audit sheet is for the owner
	}
	if format == FormatCSV && opts.CSVSheet == SheetAudit && opts.Actor.Role != domain.RoleOwner {
		return Result{}, &domain.PermissionError{Actor: opts.Actor.Name, Role: opts.Actor.Role, Perm: domain.PermVerifyAudit}
	}
	all := sheets // what the summary may count
	if format == FormatXLSX && len(opts.Sheets) > 0 {
		var err error
		if sheets, err = chosenSheets(opts, sheets); err != nil {
			return Result{}, err
		}
	}

	e := &exporter{ctx: ctx, src: src, opts: opts, res: Result{Path: path, Rows: map[Sheet]int64{}}, sum: newSummary(opts.Location)}
	if c, ok := src.(Counter); ok && opts.Progress != nil {
		if n, err := c.CountRows(opts.Filter); err == nil {
			e.total = n
		}
	}
	err := atomicWrite(ctx, path, func(out io.Writer) error {
		switch format {
		case FormatXLSX:
			xw, err := newXLSXWriter(opts.Location, opts.Lang, sheets)
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			defer xw.f.Close() // removes excelize's own temporary files
			e.w = xw
			if err := e.runChosen(sheets, all); err != nil {
				return err
			}
			if err := writeWorkbook(xw.f, out); err != nil {
				return fmt.Errorf("export: writing %s: %w", filepath.Base(path), err)
			}
			return nil
		case FormatCSV:
			e.w = newCSVWriter(out, opts.CSVSheet, opts.Location, opts.Lang)
			want := []Sheet{opts.CSVSheet}
			if opts.CSVSheet == SheetSummary {
				want = sheets // the summary needs every sheet's totals
			}
			return e.run(want)
		}
		return fmt.Errorf("export: format %q: %w", format, domain.ErrInvalid)
	})
	if err != nil {
		return Result{}, err
	}
	return e.res, nil
}

// atomicWrite calls fn with a temporary file in path's folder and renames it
// to path only if fn succeeds and ctx is not cancelled; otherwise the
// temporary file is removed and any older file at path is kept. Writes fail
// as soon as ctx is cancelled.
func atomicWrite(ctx context.Context, path string, fn func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fn(&ctxWriter{ctx: ctx, w: tmp}); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	ok = true
	return nil
}

// ctxWriter stops writing the file as soon as the export is cancelled.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// exporter walks the sheets and feeds rows to a tableWriter.
type exporter struct {
	ctx   context.Context
	src   Rows
	opts  Options
	w     tableWriter
	res   Result
	sum   *summary
	done  int64
	total int64
	vals  []any
}

func (e *exporter) run(sheets []Sheet) error {
	for _, s := range sheets {
		if s == SheetSummary {
			continue // written last, from the totals of the others
		}
		if err := e.sheet(s); err != nil {
			return err
		}
	}
	for _, s := range sheets {
		if s == SheetSummary {
			return e.writeSummary()
		}
	}
	return nil
}

// chosenSheets keeps opts.Sheets in workbook order, refusing a sheet the
// actor may not see or that does not exist.
func chosenSheets(opts Options, allowed []Sheet) ([]Sheet, error) {
	want := map[Sheet]bool{}
	for _, s := range opts.Sheets {
		want[s] = true
	}
	var out []Sheet
	for _, s := range AllSheets {
		if !want[s] {
			continue
		}
		delete(want, s)
		ok := false
		for _, a := range allowed {
			ok = ok || a == s
		}
		if !ok {
			return nil, &domain.PermissionError{Actor: opts.Actor.Name, Role: opts.Actor.Role, Perm: domain.PermVerifyAudit}
		}
		out = append(out, s)
	}
	for s := range want {
		return nil, fmt.Errorf("export: no sheet %q: %w", s, domain.ErrInvalid)
	}
	return out, nil
}

// runChosen writes the chosen sheets; when the summary is among them, the
// sheets it counts that were not chosen are read but not written.
func (e *exporter) runChosen(chosen, all []Sheet) error {
	write := map[Sheet]bool{}
	for _, s := range chosen {
		write[s] = true
	}
	if !write[SheetSummary] || len(chosen) == len(all) {
		return e.run(chosen)
	}
	for _, s := range all {
		if s == SheetSummary || write[s] {
			continue
		}
		if s != SheetOrders && s != SheetPayments && s != SheetTransfers {
			continue // the summary does not count it
		}
		w := e.w
		e.w = discardWriter{}
		err := e.sheet(s)
		e.w = w
		delete(e.res.Rows, s)
		if err != nil {
			return err
		}
	}
	return e.run(chosen)
}

// discardWriter reads a sheet for the summary without writing it.
type discardWriter struct{}

func (discardWriter) begin(Sheet, string, []column) error { return nil }
func (discardWriter) row([]any) error                     { return nil }
func (discardWriter) end() error                          { return nil }

// tick counts a row, checks for cancellation and reports progress.
func (e *exporter) tick(s Sheet) error {
	e.done++
	e.res.Rows[s]++
	if e.done%progressEvery == 0 {
		if err := e.ctx.Err(); err != nil {
			return err
		}
		if e.opts.Progress != nil {
			e.opts.Progress(Progress{Sheet: s, Done: e.done, Total: e.total})
		}
	}
	return nil
}

func (e *exporter) begin(s Sheet) error {
	if err := e.ctx.Err(); err != nil {
		return err
	}
	cols := sheetColumns[s]
	e.vals = make([]any, len(cols))
	e.res.Rows[s] = 0
	return e.w.begin(s, s.Title(e.opts.Lang), cols)
}

func (e *exporter) end(s Sheet) error {
	if err := e.w.end(); err != nil {
		return fmt.Errorf("export %s: %w", s, err)
	}
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Sheet: s, Done: e.done, Total: e.total})
	}
	return nil
}

func (e *exporter) account(acct string) string {
	if e.opts.Unmask || acct == "" {
		return acct
	}
	return domain.MaskAccount(acct)
}

func (e *exporter) sheet(s Sheet) error {
	if err := e.begin(s); err != nil {
		return err
	}
	v := e.vals
	var err error
	f := e.opts.Filter
	switch s {
	case SheetOrders:
		err = e.src.EachOrder(f, func(o OrderRow) error {
			v[0], v[1], v[2], v[3], v[4], v[5] = o.ExternalID, o.CreatedAt, o.BuyerName, o.BuyerEmail, string(o.Status), o.Items
			v[6], v[7], v[8], v[9], v[10], v[11] = o.Subtotal, o.Shipping, o.Fees, o.Discount, o.Total, o.Source
			e.sum.order(o)
			if err := e.w.row(v); err != nil {
				return err
			}
			return e.tick(s)
		})
	case SheetPayments:
		err = e.src.EachPayment(f, func(p domain.Payment) error {
			v[0], v[1], v[2], v[3], v[4] = p.ExternalID, p.OrderID, p.Gateway, p.GatewayRef, p.CreatedAt
			v[5], v[6], v[7], v[8], v[9] = p.SettledAt, p.Amount, p.PaidAmount, string(p.Status), p.FlagReason
			e.sum.payment(p)
			if err := e.w.row(v); err != nil {
				return err
			}
			return e.tick(s)
		})
	case SheetTransfers:
		err = e.src.EachTransfer(f, func(t TransferRow) error {
			v[0], v[1], v[2], v[3], v[4], v[5] = t.RefID, t.ParentRefID, t.CreatedAt, t.UpdatedAt, t.PayeeName, t.PayeeBank
			v[6], v[7], v[8], v[9], v[10], v[11] = e.account(t.AccountNumber), t.Channel, t.Amount, string(t.Status), t.GatewayRef, t.FailureCode
			v[12], v[13], v[14], v[15], v[16] = t.FailureReason, t.HoldReason, int64(t.Attempts), t.CreatedBy, t.ApprovedBy
			e.sum.transfer(&t)
			if err := e.w.row(v); err != nil {
				return err
			}
			return e.tick(s)
		})
	case SheetLedger:
		err = e.src.EachPosting(f, func(p domain.Posting) error {
			for _, l := range p.Lines {
				var debit, credit domain.Rupiah
				if l.Amount >= 0 {
					debit = l.Amount
				} else {
					credit = -l.Amount
				}
				v[0], v[1], v[2], v[3], v[4], v[5] = p.CreatedAt, p.Ref, p.Memo, string(l.Account), debit, credit
				if err := e.w.row(v); err != nil {
					return err
				}
				if err := e.tick(s); err != nil {
					return err
				}
			}
			return nil
		})
	case SheetFlags:
		err = e.src.EachFlag(f, func(fl FlagRow) error {
			v[0], v[1], v[2], v[3], v[4], v[5] = fl.At, fl.Kind, fl.Subject, fl.Status, fl.Amount, fl.Reason
			if err := e.w.row(v); err != nil {
				return err
			}
			return e.tick(s)
		})
	case SheetAudit:
		err = e.src.EachAudit(f, func(a domain.AuditEntry) error {
			v[0], v[1], v[2], v[3], v[4], v[5], v[6] = a.Seq, a.At, a.Actor, a.Action, a.Subject, a.Detail, a.Hash
			if err := e.w.row(v); err != nil {
				return err
			}
			return e.tick(s)
		})
	default:
		err = fmt.Errorf("unknown sheet %q", s)
	}
	if err != nil {
		if ctxErr := e.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("export %s: %w", s, err)
	}
	return e.end(s)
}

// summary keeps the small totals the Summary sheet shows: per day, per payee
// and per status. Its size grows with days, payees and statuses, not rows.
type summary struct {
	loc             *time.Location
	paidPerDay      map[time.Time]*tally
	sentPerDay      map[time.Time]*tally
	perPayee        map[string]*tally
	orderStatus     map[string]*tally
	paymentStatus   map[string]*tally
	transferStatus  map[string]*tally
	lastDayStart    time.Time
	lastDayEnd      time.Time
	payeeNamesByID  map[int64]string
	payeeNameCounts map[string]int
	err             error // the first sum that overflowed
}

type tally struct {
	n   int64
	sum domain.Rupiah
}

func newSummary(loc *time.Location) *summary {
	return &summary{loc: loc, paidPerDay: map[time.Time]*tally{}, sentPerDay: map[time.Time]*tally{},
		perPayee: map[string]*tally{}, orderStatus: map[string]*tally{}, paymentStatus: map[string]*tally{},
		transferStatus: map[string]*tally{}, payeeNamesByID: map[int64]string{}, payeeNameCounts: map[string]int{}}
}

// add counts amt into m[k]. A sum that would overflow is an error the
// export ends with (kept in *errp, the first one): never a wrong total.
func add[K comparable](errp *error, what string, m map[K]*tally, k K, amt domain.Rupiah) {
	t := m[k]
	if t == nil {
		t = &tally{}
		m[k] = t
	}
	t.n++
	s, err := t.sum.Add(amt)
	if err != nil {
		if *errp == nil {
			*errp = fmt.Errorf("%s %v: the total is too large to add up: %w", what, k, err)
		}
		return
	}
	t.sum = s
}

// day returns midnight of t's day in the shop's zone.
func (s *summary) day(t time.Time) time.Time {
	if !t.Before(s.lastDayStart) && t.Before(s.lastDayEnd) {
		return s.lastDayStart
	}
	lt := t.In(s.loc)
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, s.loc)
	s.lastDayStart, s.lastDayEnd = start, start.AddDate(0, 0, 1)
	return start
}

func (s *summary) order(o OrderRow) { add(&s.err, "orders", s.orderStatus, string(o.Status), o.Total) }

func (s *summary) payment(p domain.Payment) {
	add(&s.err, "payments", s.paymentStatus, string(p.Status), p.Amount)
	if p.Status == domain.PaymentSettled {
		at := p.SettledAt
		if at.IsZero() {
			at = p.CreatedAt
		}
		add(&s.err, "paid on", s.paidPerDay, s.day(at), p.PaidAmount)
	}
}

func (s *summary) transfer(t *TransferRow) {
	add(&s.err, "transfers", s.transferStatus, string(t.Status), t.Amount)
	if t.Status != domain.TransferSucceeded {
		return
	}
	add(&s.err, "transferred on", s.sentPerDay, s.day(t.UpdatedAt), t.Amount)
	name, ok := s.payeeNamesByID[t.PayeeID]
	if !ok {
		// Two payees may share a name: keep them apart.
		name = t.PayeeName
		if name == "" {
			name = fmt.Sprintf("#%d", t.PayeeID)
		}
		s.payeeNameCounts[name]++
		if c := s.payeeNameCounts[name]; c > 1 {
			name = fmt.Sprintf("%s (#%d)", name, t.PayeeID)
		}
		s.payeeNamesByID[t.PayeeID] = name
	}
	add(&s.err, "transferred to", s.perPayee, name, t.Amount)
}

func (e *exporter) writeSummary() error {
	s := SheetSummary
	if err := e.begin(s); err != nil {
		return err
	}
	if e.sum.err != nil {
		return fmt.Errorf("export summary: %w", e.sum.err)
	}
	lang := e.opts.Lang
	v := e.vals
	days := func(sec [2]string, m map[time.Time]*tally) error {
		keys := make([]time.Time, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].Before(keys[j]) })
		for _, k := range keys {
			v[0], v[1], v[2], v[3], v[4] = pick(sec, lang), k, "", m[k].n, m[k].sum
			if err := e.w.row(v); err != nil {
				return err
			}
			e.res.Rows[s]++
		}
		return nil
	}
	names := func(sec [2]string, m map[string]*tally) error {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v[0], v[1], v[2], v[3], v[4] = pick(sec, lang), time.Time{}, k, m[k].n, m[k].sum
			if err := e.w.row(v); err != nil {
				return err
			}
			e.res.Rows[s]++
		}
		return nil
	}
	sm := e.sum
	for _, step := range []func() error{
		func() error { return days(secPaidPerDay, sm.paidPerDay) },
		func() error { return days(secTransferredPerDay, sm.sentPerDay) },
		func() error { return names(secPerPayee, sm.perPayee) },
		func() error { return names(secOrderStatus, sm.orderStatus) },
		func() error { return names(secPaymentStatus, sm.paymentStatus) },
		func() error { return names(secTransferStatus, sm.transferStatus) },
	} {
		if err := step(); err != nil {
			return fmt.Errorf("export summary: %w", err)
		}
	}
	return e.end(s)
}

// ErrNoReportRows reports a store whose read transactions cannot stream report rows.
var ErrNoReportRows = errors.New("this store cannot stream report rows")

// ExportStore runs Export inside one read transaction of st (a consistent
// snapshot), for callers such as the desktop UI that hold only the store.
func ExportStore(ctx context.Context, st domain.Store, path string, opts Options) (Result, error) {
	var res Result
	err := st.Read(ctx, func(rt domain.ReadTx) error {
		rows, ok := rt.(Rows)
		if !ok {
			return ErrNoReportRows
		}
		var err error
		res, err = Export(ctx, rows, path, opts)
		return err
	})
	return res, err
}

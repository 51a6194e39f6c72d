package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"lunas/domain"
	"lunas/domain/reconcile"
	"lunas/domain/xlsx"
	"lunas/security"
)

// period reads --from and --to as dates (YYYY-MM-DD) in the shop's zone.
// --to is inclusive: the whole day is part of the period.
func period(from, to string, loc *time.Location) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = time.ParseInLocation("2006-01-02", from, loc); err != nil {
			return f, t, fmt.Errorf("--from %q: write the date as YYYY-MM-DD: %w", from, errUsage)
		}
	}
	if to != "" {
		if t, err = time.ParseInLocation("2006-01-02", to, loc); err != nil {
			return f, t, fmt.Errorf("--to %q: write the date as YYYY-MM-DD: %w", to, errUsage)
		}
		t = t.AddDate(0, 0, 1)
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return f, t, fmt.Errorf("--from must not be after --to: %w", errUsage)
	}
	return f, t, nil
}

func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// runExport: lunas export --from DATE --to DATE [--status S,...] [--payee ID]
// [--gateway G] [--lang id|en] [--unmask] [--sheet S] --out FILE.xlsx|.csv
func runExport(e *env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	from := fs.String("from", "", "first day, YYYY-MM-DD")
	to := fs.String("to", "", "last day (inclusive), YYYY-MM-DD")
	status := fs.String("status", "", "statuses to keep, comma separated")
	payee := fs.Int64("payee", 0, "payee id")
	gateway := fs.String("gateway", "", "payment gateway or payout channel")
	lang := fs.String("lang", "id", "sheet and column names: id or en")
	unmask := fs.Bool("unmask", false, "show full account numbers")
	sheet := fs.String("sheet", "transfers", "the sheet a CSV file holds")
	out := fs.String("out", "", "FILE.xlsx or FILE.csv")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		return errUsage
	}
	loc, err := xlsx.ShopLocation()
	if err != nil {
		return err
	}
	f, t, err := period(*from, *to, loc)
	if err != nil {
		return err
	}
	l, err := xlsx.ParseLang(*lang)
	if err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	csvSheet, err := xlsx.ParseSheet(*sheet)
	if err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	filter := xlsx.Filter{From: f, To: t, PayeeID: *payee, Gateway: *gateway}
	if *status != "" {
		filter.Statuses = strings.Split(*status, ",")
	}
	ctx, stop := interruptible()
	defer stop()
	sh, err := unlockShop(ctx, e, true)
	if err != nil {
		return err
	}
	defer sh.Close()
	actor := sh.Actor
	if err := actor.Can(domain.PermExport); err != nil {
		return err
	}
	if *unmask {
		if err := actor.Can(domain.PermExportPersonal); err != nil {
			return err
		}
	}
	db := sh.DB
	var res xlsx.Result
	err = db.Read(ctx, func(rt domain.ReadTx) error {
		rows, ok := rt.(xlsx.Rows)
		if !ok {
			return errors.New("this store cannot stream reports")
		}
		res, err = xlsx.Export(ctx, rows, *out, xlsx.Options{Actor: actor, Filter: filter, Lang: l, Location: loc,
			Unmask: *unmask, CSVSheet: csvSheet, Progress: func(p xlsx.Progress) {
				if p.Total > 0 {
					fmt.Fprintf(e.Stderr, "\r%s: %d/%d rows", p.Sheet, p.Done, p.Total)
				}
			}})
		return err
	})
	fmt.Fprintln(e.Stderr)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("export cancelled; no file was written")
		}
		return err
	}
	var total int64
	for _, n := range res.Rows {
		total += n
	}
	format, _ := xlsx.FormatOf(res.Path)
	if err := sh.Sec.RecordExport(ctx, actor, security.ExportRecord{Kind: "report", Path: res.Path, Format: string(format),
		Filter: filter, Rows: res.SheetRows(), Unmasked: *unmask, Via: "command line"}); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "wrote %s (%d rows)\n", res.Path, total)
	return nil
}

// runImport: lunas import payees|products|orders FILE [--valid-only] [--map field=Header,...]
func runImport(e *env, args []string) error {
	if len(args) < 2 {
		return errUsage
	}
	kind, err := xlsx.ParseKind(args[0])
	if err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	path := args[1]
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	validOnly := fs.Bool("valid-only", false, "import the valid rows and list the skipped ones")
	mapping := fs.String("map", "", "column mapping: field=Header,field=Header")
	if err := fs.Parse(args[2:]); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	format, err := xlsx.FormatOf(path)
	if err != nil {
		return err
	}
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	tab, err := xlsx.ReadTable(fh, format)
	fh.Close()
	if err != nil {
		return err
	}
	prev := xlsx.Inspect(tab, kind)
	m := prev.Proposed
	extra, err := xlsx.ParseMapping(*mapping)
	if err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	for k, v := range extra {
		m[k] = v
	}
	fmt.Fprintf(e.Stdout, "%d data rows; columns:", prev.Rows)
	for _, f := range prev.Fields {
		if h, ok := m[f]; ok {
			fmt.Fprintf(e.Stdout, " %s=%q", f, h)
		}
	}
	fmt.Fprintln(e.Stdout)
	ctx, stop := interruptible()
	defer stop()
	sh, err := unlockShop(ctx, e, true)
	if err != nil {
		return err
	}
	defer sh.Close()
	if err := sh.Actor.Can(importPermission(kind)); err != nil {
		return err
	}
	res, err := xlsx.Import(ctx, sh.DB, tab, xlsx.ImportOptions{Actor: sh.Actor, Kind: kind, Mapping: m,
		ValidOnly: *validOnly, Source: filepath.Base(path)})
	for _, re := range res.Errors {
		fmt.Fprintln(e.Stdout, "  ", re.Error())
	}
	if err != nil {
		if errors.Is(err, xlsx.ErrFileInvalid) {
			return fmt.Errorf("%d invalid rows; nothing imported (fix them, or use --valid-only)", len(res.Errors))
		}
		return err
	}
	fmt.Fprintf(e.Stdout, "imported %d, already present %d, skipped %d\n", res.Created, res.Unchanged, len(res.Skipped))
	return nil
}

// runReconcile: lunas reconcile --from DATE --to DATE [--out FILE.xlsx]
// [--opening CHANNEL=AMOUNT;...] [--sandbox URL] [--xendit-url URL]. It
// checks every channel whose keys are in the vault: Xendit and Midtrans
// payments and Xendit payouts by id, Iris by its statements and by REFID,
// each H2H supplier by a status check per REFID.
func runReconcile(e *env, args []string) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	from := fs.String("from", "", "first day, YYYY-MM-DD")
	to := fs.String("to", "", "last day (inclusive), YYYY-MM-DD")
	out := fs.String("out", "", "write the result to FILE.xlsx")
	opening := fs.String("opening", "", "money at a channel the books do not know (its balance before Lunas, when no opening balance is recorded; a top-up): xendit=1000000;iris=500000")
	xurl := fs.String("xendit-url", os.Getenv("LUNAS_XENDIT_URL"), "Xendit API base URL (default: the stored setting, else production)")
	sbURL := fs.String("sandbox", os.Getenv("LUNAS_SANDBOX_URL"), "send every gateway (Xendit, Midtrans, Iris) to this sandbox URL")
	lang := fs.String("lang", "id", "id or en")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *from == "" || *to == "" {
		return errUsage
	}
	loc, err := xlsx.ShopLocation()
	if err != nil {
		return err
	}
	f, t, err := period(*from, *to, loc)
	if err != nil {
		return err
	}
	l, err := xlsx.ParseLang(*lang)
	if err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	open, err := parseOpening(*opening)
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	sh, err := unlockShop(ctx, e, true)
	if err != nil {
		return err
	}
	defer sh.Close()
	if err := sh.Actor.Can(domain.PermView); err != nil {
		return err
	}
	cs, err := shopChannels(ctx, sh, gatewayURLs{Sandbox: *sbURL, Xendit: *xurl}, nil)
	if err != nil {
		return err
	}
	for _, w := range cs.Warnings {
		fmt.Fprintln(e.Stderr, "note:", w)
	}
	rep, err := reconcile.Run(ctx, sh.DB, cs.reconcileGateways(20*time.Second), f, t, reconcile.Options{Opening: open})
	if err != nil {
		return err
	}
	// One plain sentence per difference, in the chosen language.
	for _, it := range rep.Items {
		if it.Kind != reconcile.Matched {
			fmt.Fprintln(e.Stdout, it.Sentence(string(l)))
		}
	}
	// Every kind is counted, including amounts the gateway did not state and
	// records of gateways that are not configured: nothing vanishes from the totals.
	fmt.Fprintln(e.Stdout, rep.SummaryIn(string(l)))
	if *out != "" {
		if err := xlsx.ExportReconciliation(ctx, rep, *out, xlsx.Options{Actor: sh.Actor, Lang: l, Location: loc}); err != nil {
			return err
		}
		if err := sh.Sec.RecordExport(ctx, sh.Actor, security.ExportRecord{Kind: "reconciliation", Path: *out, Format: "xlsx",
			Filter: domain.ReportFilter{From: f, To: t}, Via: "command line"}); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "wrote %s\n", *out)
	}
	return nil
}

// importPermission is what importing kind needs (as xlsx.Import checks it),
// checked before the file is touched.
func importPermission(kind xlsx.Kind) domain.Permission {
	if kind == xlsx.KindOrders {
		return domain.PermManageOrders
	}
	return domain.PermManagePayees
}

// parseOpening reads --opening CHANNEL=AMOUNT;... (channel balances before
// the ledger began).
func parseOpening(s string) (map[string]domain.Rupiah, error) {
	open := map[string]domain.Rupiah{}
	if s == "" {
		return open, nil
	}
	for _, kv := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(kv, "=")
		amt, err := domain.ParseRupiah(v)
		if !ok || err != nil || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--opening %q: write channel=amount, separated by ';': %w", xlsx.Clip(kv), errUsage)
		}
		open[strings.TrimSpace(k)] = amt
	}
	return open, nil
}

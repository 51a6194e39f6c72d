package xlsx

import (
	"context"
	"io"

	"lunas/domain"
	"lunas/domain/reconcile"
)

// Sheets of a reconciliation workbook.
const (
	SheetReconcile       Sheet = "reconciliation"
	SheetReconcileCounts Sheet = "reconciliation_counts"
)

func init() {
	sheetNames[SheetReconcile] = [2]string{"Reconciliation", "Rekonsiliasi"}
	sheetNames[SheetReconcileCounts] = [2]string{"Counts", "Jumlah"}
	sheetColumns[SheetReconcile] = []column{
		{"Result", "Hasil", 20, kText},
		{"Area", "Area", 10, kText},
		{"Gateway", "Gateway", 10, kText},
		{"Reference", "Referensi", 24, kText},
		{"Date", "Tanggal", 17, kTime},
		{"Lunas status", "Status Lunas", 14, kText},
		{"Gateway status", "Status gateway", 14, kText},
		{"Lunas amount", "Nilai Lunas", 16, kMoney},
		{"Gateway amount", "Nilai gateway", 16, kMoney},
		{"Difference", "Selisih", 16, kMoney},
		{"Note", "Catatan", 50, kText},
	}
	sheetColumns[SheetReconcileCounts] = []column{
		{"Result", "Hasil", 20, kText},
		{"Count", "Jumlah", 10, kInt},
	}
}

// ExportReconciliation writes a reconciliation report to an xlsx file (one
// row per compared record, then counts per result), with the same safety
// as Export: numbers as rupiah, dates in the shop's zone, neutralised text,
// and no partial file on failure or cancellation.
func ExportReconciliation(ctx context.Context, rep reconcile.Report, path string, opts Options) error {
	if err := opts.Actor.Can(domain.PermExport); err != nil {
		return err
	}
	if opts.Location == nil {
		loc, err := ShopLocation()
		if err != nil {
			return err
		}
		opts.Location = loc
	}
	if opts.Lang == "" {
		opts.Lang = LangID
	}
	sheets := []Sheet{SheetReconcile, SheetReconcileCounts}
	lang := string(opts.Lang) // "id" or "en", as domain.LangIndonesian and domain.LangEnglish
	return atomicWrite(ctx, path, func(out io.Writer) error {
		xw, err := newXLSXWriter(opts.Location, opts.Lang, sheets)
		if err != nil {
			return err
		}
		defer xw.f.Close()
		if err := xw.begin(SheetReconcile, SheetReconcile.Title(opts.Lang), sheetColumns[SheetReconcile]); err != nil {
			return err
		}
		v := make([]any, len(sheetColumns[SheetReconcile]))
		for i, it := range rep.Items {
			if i%progressEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			// Words, never codes: the result, the statuses and the reason
			// are in the reader's language (reconcile/words.go).
			v[0], v[1], v[2], v[3], v[4] = reconcile.KindWords(it.Kind, lang), reconcile.AreaWords(it.Area, lang), it.Gateway, it.Subject, it.At
			v[5], v[6], v[7], v[8], v[9], v[10] = it.LocalWords(lang), it.RemoteWords(lang), it.LocalAmount, it.RemoteAmount, it.RemoteAmount-it.LocalAmount, it.Sentence(lang)
			if err := xw.row(v); err != nil {
				return err
			}
		}
		if err := xw.end(); err != nil {
			return err
		}
		if err := xw.begin(SheetReconcileCounts, SheetReconcileCounts.Title(opts.Lang), sheetColumns[SheetReconcileCounts]); err != nil {
			return err
		}
		for _, k := range reconcile.Kinds {
			if err := xw.row([]any{reconcile.KindWords(k, lang), int64(rep.Counts[k])}); err != nil {
				return err
			}
		}
		if err := xw.end(); err != nil {
			return err
		}
		return writeWorkbook(xw.f, out)
	})
}

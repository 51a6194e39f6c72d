// Command xlsxexport measures the report export against a bare excelize
// StreamWriter loop writing the same rows and columns.
//
//	go run ./bench/xlsxexport -rows 1000000
//
// runs each variant in its own child process (so that each one's peak RSS,
// VmHWM from /proc/self/status, is its own) one after the other in the same
// run, and prints both times, both peaks and the time ratio. The rows come
// from a generator, so the figures measure the writer, not the database.
//
//	go run ./bench/xlsxexport -variant seed -db /tmp/b.db -rows 1000000
//	go run ./bench/xlsxexport -variant store -db /tmp/b.db
//
// seed a SQLite database and export it through the store's streaming
// queries, to check the whole path's memory.
package main

import (
	"bufio"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/domain/xlsx"
)

func main() {
	variant := flag.String("variant", "both", "lunas, bare, both; or store (export from a SQLite file made by -variant seed)")
	rows := flag.Int("rows", 1_000_000, "transfers to write")
	dir := flag.String("dir", os.TempDir(), "folder for the output files")
	dbPath := flag.String("db", "", "SQLite file for -variant seed and store")
	flag.BoolVar(&keep, "keep", false, "keep the output files (to open them in a spreadsheet)")
	flag.Parse()
	var err error
	switch *variant {
	case "seed":
		err = seed(*dbPath, *rows)
	case "store":
		err = fromStore(*dbPath, *dir)
	default:
		err = run(*variant, *rows, *dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlsxexport:", err)
		os.Exit(1)
	}
}

func run(variant string, rows int, dir string) error {
	switch variant {
	case "both":
		return both(rows, dir)
	case "lunas", "bare":
		start := time.Now()
		out := filepath.Join(dir, "bench-"+variant+".xlsx")
		var err error
		if variant == "lunas" {
			err = lunas(rows, out)
		} else {
			err = bare(rows, out)
		}
		if err != nil {
			return err
		}
		el := time.Since(start)
		fi, err := os.Stat(out)
		if err != nil {
			return err
		}
		if !keep {
			os.Remove(out)
		}
		fmt.Printf("%s seconds=%.2f vmhwm_kb=%d file_bytes=%d\n", variant, el.Seconds(), vmHWM(), fi.Size())
		return nil
	}
	return fmt.Errorf("unknown variant %q", variant)
}

func both(rows int, dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	res := map[string]map[string]float64{}
	for _, v := range []string{"bare", "lunas"} {
		cmd := exec.Command(exe, "-variant", v, "-rows", strconv.Itoa(rows), "-dir", dir)
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s: %w", v, err)
		}
		fmt.Print(string(b))
		res[v] = map[string]float64{}
		for _, kv := range strings.Fields(string(b))[1:] {
			k, val, _ := strings.Cut(kv, "=")
			res[v][k], _ = strconv.ParseFloat(val, 64)
		}
	}
	fmt.Printf("rows=%d ratio=%.3f (lunas/bare time), lunas peak RSS %.0f MB, bare peak RSS %.0f MB, GOMAXPROCS=%d %s\n",
		rows, res["lunas"]["seconds"]/res["bare"]["seconds"], res["lunas"]["vmhwm_kb"]/1024, res["bare"]["vmhwm_kb"]/1024,
		runtime.GOMAXPROCS(0), runtime.Version())
	return nil
}

// vmHWM returns the process's peak resident set size in kB.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

// keep leaves the written files in -dir.
var keep bool

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var statuses = []domain.TransferStatus{domain.TransferSucceeded, domain.TransferSucceeded, domain.TransferSucceeded,
	domain.TransferFailed, domain.TransferAwaitingApproval, domain.TransferAccepted}

// gen returns the i-th generated transfer; both variants write exactly these.
func gen(i int) xlsx.TransferRow {
	at := base.Add(time.Duration(i) * 30 * time.Second)
	st := statuses[i%len(statuses)]
	r := xlsx.TransferRow{
		Transfer: domain.Transfer{ID: int64(i + 1), RefID: "LNS-" + strconv.Itoa(1_000_000+i), PayeeID: int64(i%40 + 1),
			Channel: "xendit", Amount: domain.Rupiah(10_000 + (i%997)*1_000), Status: st, GatewayRef: "disb-" + strconv.Itoa(i),
			Attempts: 1, CreatedBy: "engine", CreatedAt: at, UpdatedAt: at.Add(time.Minute)},
		PayeeName: payeeNames[i%len(payeeNames)], PayeeBank: "BCA", AccountNumber: "00" + strconv.Itoa(10_000_000+i%40),
	}
	if st == domain.TransferFailed {
		r.FailureCode, r.FailureReason = "INVALID_DESTINATION", "rekening tidak ditemukan"
	}
	if st == domain.TransferAwaitingApproval {
		r.HoldReason = "melebihi batas harian"
	}
	return r
}

var payeeNames = []string{"Bu Ani Batik", "Pak Budi Tenun", "Ibu Citra", "Dewi Songket", "Eko Canting", "=Fajar"}

// genRows is an xlsx.Rows with only transfers.
type genRows struct{ n int }

func (g genRows) EachOrder(xlsx.Filter, func(xlsx.OrderRow) error) error     { return nil }
func (g genRows) EachPayment(xlsx.Filter, func(domain.Payment) error) error  { return nil }
func (g genRows) EachPosting(xlsx.Filter, func(domain.Posting) error) error  { return nil }
func (g genRows) EachFlag(xlsx.Filter, func(xlsx.FlagRow) error) error       { return nil }
func (g genRows) EachAudit(xlsx.Filter, func(domain.AuditEntry) error) error { return nil }
func (g genRows) EachTransfer(_ xlsx.Filter, fn func(xlsx.TransferRow) error) error {
	for i := 0; i < g.n; i++ {
		if err := fn(gen(i)); err != nil {
			return err
		}
	}
	return nil
}

func lunas(rows int, out string) error {
	_, err := xlsx.Export(context.Background(), genRows{rows}, out,
		xlsx.Options{Actor: domain.Actor{Name: "bench", Role: domain.RoleOwner}, Lang: xlsx.LangID})
	return err
}

// bare is the plain excelize loop: same 17 columns, same values and number
// formats, one sheet, no masking, neutralising, summary or progress.
func bare(rows int, out string) error {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	money, dt := xlsx.RupiahFormat, xlsx.DateTimeFormat
	ms, err := f.NewStyle(&excelize.Style{CustomNumFmt: &money})
	if err != nil {
		return err
	}
	ds, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dt})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	hdr := []any{}
	for _, h := range xlsx.Columns(xlsx.SheetTransfers, xlsx.LangID) {
		hdr = append(hdr, h)
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for i := 0; i < rows; i++ {
		t := gen(i)
		cell := "A" + strconv.Itoa(i+2)
		if err := sw.SetRow(cell, []any{
			t.RefID, opt(t.ParentRefID),
			excelize.Cell{StyleID: ds, Value: t.CreatedAt.In(loc)}, excelize.Cell{StyleID: ds, Value: t.UpdatedAt.In(loc)},
			t.PayeeName, t.PayeeBank, t.AccountNumber, t.Channel,
			excelize.Cell{StyleID: ms, Value: int64(t.Amount)}, string(t.Status), opt(t.GatewayRef), opt(t.FailureCode),
			opt(t.FailureReason), opt(t.HoldReason), int64(t.Attempts), opt(t.CreatedBy), opt(t.ApprovedBy),
		}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(out)
}

// benchCipher is a fixed-key AES-GCM field cipher for the benchmark database.
type benchCipher struct{ a cipher.AEAD }

func newBenchCipher() *benchCipher {
	b, _ := aes.NewCipher(make([]byte, 32))
	a, _ := cipher.NewGCM(b)
	return &benchCipher{a}
}

func (c *benchCipher) Seal(p string, r domain.FieldRef) ([]byte, error) {
	n := make([]byte, c.a.NonceSize())
	if _, err := rand.Read(n); err != nil {
		return nil, err
	}
	return c.a.Seal(n, n, []byte(p), []byte(r.Table+r.Column)), nil
}

func (c *benchCipher) Open(b []byte, r domain.FieldRef) (string, error) {
	n := c.a.NonceSize()
	if len(b) < n {
		return "", errors.New("short ciphertext")
	}
	p, err := c.a.Open(nil, b[:n], b[n:], []byte(r.Table+r.Column))
	return string(p), err
}

func openBenchDB(path string) (*sqlite.DB, error) {
	return sqlite.Open(context.Background(), path, sqlite.Options{Cipher: newBenchCipher(), SyncNormal: true})
}

// seed fills a database with the generated transfers (40 payees).
func seed(path string, rows int) error {
	db, err := openBenchDB(path)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	return db.Write(ctx, func(tx domain.Tx) error {
		for i := 0; i < 40; i++ {
			p := domain.Payee{Name: payeeNames[i%len(payeeNames)], Channel: "BCA", AccountNumber: "00" + strconv.Itoa(10_000_000+i)}
			if err := tx.CreatePayee(&p); err != nil {
				return err
			}
		}
		for i := 0; i < rows; i++ {
			t := gen(i).Transfer
			t.ID = 0
			if err := tx.CreateTransfer(&t); err != nil {
				return err
			}
		}
		return nil
	})
}

// fromStore exports every transfer of the database through the store's
// streaming queries and reports time and peak RSS.
func fromStore(path, dir string) error {
	db, err := openBenchDB(path)
	if err != nil {
		return err
	}
	defer db.Close()
	out := filepath.Join(dir, "bench-store.xlsx")
	start := time.Now()
	res, err := xlsx.ExportStore(context.Background(), db, out,
		xlsx.Options{Actor: domain.Actor{Name: "bench", Role: domain.RoleOwner}})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	if !keep {
		os.Remove(out)
	}
	fmt.Printf("store rows=%d seconds=%.2f vmhwm_kb=%d file_bytes=%d\n", res.Rows[xlsx.SheetTransfers], el.Seconds(), vmHWM(), fi.Size())
	return nil
}

package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"lunas/domain"
	"lunas/domain/postgres"
	"lunas/domain/sqlite"
	"lunas/domain/xlsx"
	"lunas/security"
	"lunas/ui"
)

// The desktop's administration over the shop: backups, users, imports
// and exports, the database check and restore, the audit alarm.

// Backup implements ui.Admin: an online copy of the database on screen.
func (g *guiServices) Backup(ctx context.Context, actor domain.Actor, path string) error {
	if err := actor.Can(domain.PermChangeSettings); err != nil {
		return err
	}
	g.mu.Lock()
	db := g.own
	if g.rt != nil {
		db = g.rt.Store
	}
	g.mu.Unlock()
	b, ok := db.(interface {
		Backup(ctx context.Context, path string) error
	})
	if !ok {
		return errServerBackup
	}
	return b.Backup(ctx, path)
}

// ImportWatchlist implements ui.Admin through the security service.
func (g *guiServices) ImportWatchlist(ctx context.Context, actor domain.Actor, path string) (int, error) {
	if g.inDemo() {
		return 0, fmt.Errorf("the demo shop has no watchlist: %w", ui.ErrNotAvailable)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return g.sec.ImportWatchlist(ctx, actor, filepath.Base(path), f)
}

// ListUsers implements ui.Admin.
func (g *guiServices) ListUsers(ctx context.Context, actor domain.Actor) ([]domain.User, error) {
	if g.inDemo() {
		return []domain.User{{Name: actor.Name, Role: actor.Role}}, nil
	}
	return g.sec.ListUsers(ctx, actor)
}

// AddUser implements ui.Admin.
func (g *guiServices) AddUser(ctx context.Context, actor domain.Actor, name string, role domain.Role, password string) (ui.Enrolment, error) {
	if g.inDemo() {
		return ui.Enrolment{}, fmt.Errorf("the demo shop has no accounts: %w", ui.ErrNotAvailable)
	}
	e, err := g.sec.AddUser(ctx, actor, name, role, password)
	return ui.Enrolment{Secret: e.Secret, URL: e.URL, QR: e.QR, RecoveryCodes: e.RecoveryCodes}, err
}

func readImportTable(path string) (*xlsx.Table, error) {
	format, err := xlsx.FormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return xlsx.ReadTable(f, format)
}

// PreviewImport implements ui.Importer: the proposed column mapping.
func (g *guiServices) PreviewImport(ctx context.Context, kind, path string) (ui.ImportPreview, error) {
	k, err := xlsx.ParseKind(kind)
	if err != nil {
		return ui.ImportPreview{}, err
	}
	t, err := readImportTable(path)
	if err != nil {
		return ui.ImportPreview{}, err
	}
	p := xlsx.Inspect(t, k)
	out := ui.ImportPreview{Headers: p.Headers, Rows: p.Rows, Proposed: map[string]string{}}
	for _, f := range p.Fields {
		out.Fields = append(out.Fields, string(f))
	}
	for f, h := range p.Proposed {
		out.Proposed[string(f)] = h
	}
	for _, f := range p.Missing {
		out.Missing = append(out.Missing, string(f))
	}
	return out, nil
}

// Import implements ui.Importer (all or nothing: any invalid row refuses the file).
func (g *guiServices) Import(ctx context.Context, actor domain.Actor, kind, path string, mapping map[string]string) (ui.ImportResult, error) {
	k, err := xlsx.ParseKind(kind)
	if err != nil {
		return ui.ImportResult{}, err
	}
	t, err := readImportTable(path)
	if err != nil {
		return ui.ImportResult{}, err
	}
	m := xlsx.Mapping{}
	for f, h := range mapping {
		m[xlsx.Field(f)] = h
	}
	loc, _ := xlsx.ShopLocation()
	res, err := xlsx.Import(ctx, g.store, t, xlsx.ImportOptions{Actor: actor, Kind: k, Mapping: m,
		Source: filepath.Base(path), Location: loc})
	out := ui.ImportResult{Created: res.Created, Unchanged: res.Unchanged}
	for _, e := range res.Errors {
		out.Problems = append(out.Problems, e.Error())
	}
	return out, err
}

// Export implements ui.Exporter with the streaming spreadsheet writer.
func (g *guiServices) Export(ctx context.Context, actor domain.Actor, req ui.ExportRequest, path string, progress func(done, total int)) error {
	f := req.Filter
	rf := domain.ReportFilter{From: f.From, To: f.To, PayeeID: f.PayeeID, Gateway: f.Channel}
	for _, s := range f.Statuses {
		rf.Statuses = append(rf.Statuses, string(s))
	}
	var sheets []xlsx.Sheet
	for _, k := range req.Sheets {
		s, err := xlsx.ParseSheet(k)
		if err != nil {
			return fmt.Errorf("%w: %w", domain.ErrInvalid, err)
		}
		sheets = append(sheets, s)
	}
	var sheet xlsx.Sheet
	if len(sheets) > 0 {
		sheet = sheets[0]
	}
	lang, err := xlsx.ParseLang(req.Lang)
	if err != nil {
		return fmt.Errorf("%w: %w", domain.ErrInvalid, err)
	}
	loc, _ := xlsx.ShopLocation()
	var result xlsx.Result
	err = g.store.Read(ctx, func(tx domain.ReadTx) error {
		rows, ok := tx.(xlsx.Rows)
		if !ok {
			return errors.New("this store cannot stream reports")
		}
		res, err := xlsx.Export(ctx, rows, path, xlsx.Options{Actor: actor, Filter: rf, Location: loc, CSVSheet: sheet, Sheets: sheets, Lang: lang,
			Progress: func(p xlsx.Progress) { progress(int(p.Done), int(p.Total)) }})
		if err != nil {
			return err
		}
		result = res
		return nil
	})
	if err != nil {
		return err
	}
	// Every export is audited: who, what filter, masked or not, how many rows.
	format := "xlsx"
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		format = "csv"
	}
	return security.RecordExport(ctx, g.store, actor, security.ExportRecord{
		Kind: "report", Path: path, Format: format, Filter: rf, Rows: result.SheetRows(), Via: "desktop"})
}

// storeSwitch is a domain.Store that forwards to the current database, so
// the desktop can move from the owner's file to the demo shop's.
type storeSwitch struct {
	mu      sync.RWMutex
	cur     domain.Store
	damaged error // the shop's file could not be opened: every call says why
}

func (s *storeSwitch) get() domain.Store {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cur == nil {
		return damagedStore{s.damaged}
	}
	return s.cur
}

// damagedStore answers every call with the reason the file is unusable.
type damagedStore struct{ err error }

func (d damagedStore) Read(context.Context, func(domain.ReadTx) error) error { return d.err }
func (d damagedStore) Write(context.Context, func(domain.Tx) error) error    { return d.err }
func (d damagedStore) Close() error                                          { return nil }

func (s *storeSwitch) swap(st domain.Store) {
	s.mu.Lock()
	s.cur = st
	s.mu.Unlock()
}

// Read implements domain.Store.
func (s *storeSwitch) Read(ctx context.Context, fn func(domain.ReadTx) error) error {
	return s.get().Read(ctx, fn)
}

// Write implements domain.Store.
func (s *storeSwitch) Write(ctx context.Context, fn func(domain.Tx) error) error {
	return s.get().Write(ctx, fn)
}

// Close implements domain.Store; the owners of the databases close them.
func (s *storeSwitch) Close() error { return nil }

// integrityCheck is one full integrity check of the shop's file, run at most once.
type integrityCheck struct {
	once sync.Once
	done chan struct{}
	err  error // set before done is closed
}

func newIntegrityCheck() *integrityCheck { return &integrityCheck{done: make(chan struct{})} }

// finish records the outcome without running the check (a file that did not
// open, or a restored backup that was just verified).
func (c *integrityCheck) finish(err error) {
	c.once.Do(func() {
		c.err = err
		close(c.done)
	})
}

func (g *guiServices) currentCheck() *integrityCheck {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.check
}

// CheckDatabase implements ui.DatabaseChecker: the first call starts the
// full integrity check (on its own read-only connection, so screens keep
// reading), every call waits for its outcome or ctx.
func (g *guiServices) CheckDatabase(ctx context.Context) error {
	g.mu.Lock()
	chk, db := g.check, g.own
	g.mu.Unlock()
	chk.once.Do(func() {
		go func() {
			start := time.Now()
			if c, ok := db.(interface{ Check(context.Context) error }); ok {
				chk.err = c.Check(context.Background()) // a file; a server keeps its own integrity
			}
			g.log.Info("database check", "took", time.Since(start), "err", chk.err)
			close(chk.done)
		}()
	})
	select {
	case <-chk.done:
		return chk.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetRole implements ui.UserAdmin through the security service (owner only,
// audited; the last owner cannot be demoted).
func (g *guiServices) SetRole(ctx context.Context, actor domain.Actor, userID int64, role domain.Role) error {
	if g.inDemo() {
		return fmt.Errorf("the demo shop has no accounts: %w", ui.ErrNotAvailable)
	}
	return g.sec.SetRole(ctx, actor, userID, role)
}

// SetDisabled implements ui.UserAdmin through the security service (owner
// only, audited; nobody disables themselves or the last owner).
func (g *guiServices) SetDisabled(ctx context.Context, actor domain.Actor, userID int64, disabled bool) error {
	if g.inDemo() {
		return fmt.Errorf("the demo shop has no accounts: %w", ui.ErrNotAvailable)
	}
	return g.sec.SetDisabled(ctx, actor, userID, disabled)
}

// ErasePayee implements ui.PersonalData through the security service's
// erase (owner only, audited, refused while money is owed).
func (g *guiServices) ErasePayee(ctx context.Context, actor domain.Actor, payeeID int64) error {
	if g.inDemo() {
		return fmt.Errorf("the demo shop's payees are not real people: %w", ui.ErrNotAvailable)
	}
	err := g.sec.ErasePayee(ctx, actor, payeeID)
	if errors.Is(err, security.ErrOpenObligations) {
		return fmt.Errorf("%w: %w", ui.ErrOpenObligations, err)
	}
	return err
}

// VerifyBackup implements ui.Restorer: a full integrity check of the file,
// read-only and without migrating it.
func (g *guiServices) VerifyBackup(ctx context.Context, path string) error {
	if err := sqlite.VerifyFile(ctx, path); err != nil {
		return err
	}
	return isLunasDB(ctx, path)
}

// errNotLunasBackup reports a healthy SQLite file that is not a Lunas database.
var errNotLunasBackup = errors.New("not a Lunas database")

// Restore implements ui.Restorer. The backup is copied next to the shop's
// file and verified again (VACUUM INTO), the engine stops, the current file
// is set aside (renamed, never deleted), the copy takes its place and the
// services reopen on it with a locked vault: everyone signs in again.
// It needs manage_users (the owner), except when the shop's own file is
// damaged: then nobody can sign in, and whoever can run Lunas can copy a
// backup file by hand anyway.
func (g *guiServices) Restore(ctx context.Context, actor domain.Actor, path string) error {
	if g.inDemo() {
		return fmt.Errorf("the demo shop has no backups: %w", ui.ErrNotAvailable)
	}
	if postgres.IsURL(g.dbPath) {
		return fmt.Errorf("%w: %w", errServerBackup, ui.ErrNotAvailable)
	}
	chk := g.currentCheck()
	damaged := false
	select {
	case <-chk.done:
		damaged = errors.Is(chk.err, domain.ErrDamaged)
	default:
	}
	if !damaged {
		if err := actor.Can(domain.PermManageUsers); err != nil {
			return err
		}
	}
	if actor.Name == "" {
		actor = domain.Actor{Name: "restore (damaged file)", Role: domain.RoleOwner}
	}
	if err := g.VerifyBackup(ctx, path); err != nil {
		return err
	}
	tmp := g.dbPath + ".restoring"
	_ = os.Remove(tmp) // a leftover of an interrupted restore
	if err := sqlite.BackupFile(ctx, path, tmp); err != nil {
		return err
	}
	if err := isLunasDB(ctx, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	g.startMu.Lock()
	defer g.startMu.Unlock()
	g.mu.Lock()
	shop, own := g.shopEngine, g.own
	g.eng, g.shopEngine, g.xendit = nil, nil, nil
	g.mu.Unlock()
	if shop != nil {
		shop.Stop()
	}
	if g.stopWatch != nil {
		g.stopWatch()
		g.stopWatch = nil
	}
	if own != nil {
		own.Close()
	}
	aside := fmt.Sprintf("%s.before-restore-%s", g.dbPath, time.Now().UTC().Format("20060102-150405"))
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(g.dbPath+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("setting the current database aside: %w", err)
		}
	}
	if err := os.Rename(tmp, g.dbPath); err != nil {
		return fmt.Errorf("putting the backup in place: %w", err)
	}
	db, sec, err := openShop(ctx, g.dbPath)
	if err != nil {
		return fmt.Errorf("opening the restored database: %w", err)
	}
	if err := db.Write(ctx, func(tx domain.Tx) error {
		return security.Audit(tx, actor, "db.restore", "database", "restored from "+filepath.Base(path)+"; previous file kept as "+filepath.Base(aside))
	}); err != nil {
		db.Close()
		return err
	}
	verified := newIntegrityCheck()
	verified.finish(nil) // VerifyFile and BackupFile both ran integrity_check
	g.mu.Lock()
	g.own, g.sec, g.check = db, sec, verified
	g.mu.Unlock()
	g.store.mu.Lock()
	g.store.cur, g.store.damaged = db, nil
	g.store.mu.Unlock()
	g.stopWatch = g.watchOtherDesks(db)
	return nil
}

// isLunasDB refuses a healthy SQLite file that is not a Lunas database
// before the shop's file is touched: it must have Lunas's migrations table
// and transfers.
func isLunasDB(ctx context.Context, path string) error {
	q, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer q.Close()
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('schema_migrations', 'transfers')`).Scan(&n); err != nil {
		return err
	}
	if n != 2 {
		return fmt.Errorf("%s: %w", filepath.Base(path), errNotLunasBackup)
	}
	return nil
}

// AuditAlarm implements ui.TamperAlarm: the shop's tamper alarm (the demo
// shop has none).
func (g *guiServices) AuditAlarm(ctx context.Context) (string, time.Time, error) {
	if g.sec == nil || g.inDemo() {
		return "", time.Time{}, nil
	}
	return g.sec.AuditAlarm(ctx)
}

package app

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/engine"
	"lunas/domain/postgres"
	"lunas/domain/sqlite"
	"lunas/domain/xlsx"
	"lunas/gateways"
	"lunas/gateways/h2h"
	"lunas/gateways/midtrans"
	"lunas/gateways/sandbox"
	"lunas/gateways/xendit"
	"lunas/security"
	"lunas/ui"
)

// runGUI opens the desktop application. Hidden flags for the screenshot
// script and kiosk demos: --screen NAME opens that screen after sign-in,
// --demo starts the demo shop without the welcome page (also LUNAS_SCREEN,
// LUNAS_DEMO=1).
func runGUI(e *env, args []string) error {
	fs := flag.NewFlagSet("gui", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	screen := fs.String("screen", os.Getenv("LUNAS_SCREEN"), "open this screen first")
	demo := fs.Bool("demo", os.Getenv("LUNAS_DEMO") == "1", "start the demo shop directly")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	logBase := e.DBPath
	if e.usesServer() { // a shop on a server: the log stays in this computer's Lunas folder
		logBase = defaultDBPath()
	}
	alog, err := openAppLog(logBase, e.Stderr)
	if err != nil {
		return err
	}
	defer alog.Close()
	a := fyneapp.NewWithID("id.lunas.desktop")
	g, err := newGUIServices(context.Background(), e.DBPath, alog.Logger)
	if err != nil {
		return err
	}
	g.redact, g.logPath = alog.Redact, alog.Path
	defer g.Close()
	u := ui.New(a, g.Services(), ui.Options{StartScreen: *screen, AutoDemo: *demo,
		StartPaused: os.Getenv("LUNAS_DEMO_PAUSED") == "1"}) // the footprint benchmark's paused desktop
	defer u.Close()
	u.Start()
	if os.Getenv("LUNAS_TOUR") == "1" {
		// scripts/screenshots.sh: let the demo run, then show every screen,
		// printing "tour FILE" when it is ready to be captured; then quit.
		wait, err := time.ParseDuration(os.Getenv("LUNAS_TOUR_WAIT"))
		if err != nil {
			wait = 30 * time.Second
		}
		u.Tour(wait, func(file string) {
			fmt.Fprintln(e.Stdout, "tour", file)
			time.Sleep(2 * time.Second) // the script captures the screen now
		}, func(err error) {
			if err != nil {
				fmt.Fprintln(e.Stderr, "lunas: tour:", err)
			}
			fyne.Do(a.Quit)
		})
	}
	if os.Getenv("LUNAS_STARTUP_REPORT") == "1" {
		// For the start-up benchmark: the first frame is drawn when the
		// run loop has started and the window is shown.
		a.Lifecycle().SetOnStarted(func() {
			go func() {
				fyne.DoAndWait(func() {}) // one trip through the UI goroutine: the window is live
				fmt.Fprintf(e.Stderr, "lunas: usable window after %d ms\n", time.Since(processStart).Milliseconds())
				if os.Getenv("LUNAS_EXIT_AFTER_START") == "1" {
					fyne.Do(a.Quit)
				}
			}()
		})
	}
	a.Run()
	return nil
}

// processStart is as close to process start as Go code gets (package init).
var processStart = time.Now()

// guiServices adapts the engine, store and reports to what the desktop
// declares. The store and engine can be swapped once, when the user starts
// the demo shop (its own throw-away database, sandbox and engine).
type guiServices struct {
	log     *slog.Logger
	redact  *gateways.Redactor // the log file's: secrets seen are added to it
	logPath string             // the log file, for Settings' "Open log folder"
	dbPath  string
	store   *storeSwitch
	own     shopDB            // nil when the file could not be opened (damaged)
	sec     *security.Service // nil with own

	startMu sync.Mutex // one startShopEngine at a time

	mu           sync.Mutex
	rt           *runtime
	eng          *engine.Engine
	xendit       *xendit.Client
	channels     map[string]domain.PayoutChannel  // payout channels besides Xendit (demo or shop)
	payments     map[string]domain.PaymentGateway // payment gateways besides Xendit (the shop's Midtrans)
	shopChannels *channelSet                      // what the shop's engine was built with
	shopEngine   *engine.Engine                   // the shop's own engine, when running
	subs         map[int]func(ui.Event)
	nextSub      int
	demoSecret   string // TOTP secret of the demo owner
	demoStop     context.CancelFunc
	check        *integrityCheck // the shop file's full integrity check
	restart      *time.Timer     // pending rebuild after gateway settings changed
	closed       bool
	stopWatch    func() // ends watchOtherDesks
}

// guiOpenCheck is the check newGUIServices runs while opening: none, because
// a full integrity_check of a million transfers takes tens of seconds
// (docs/BENCHMARKS.md); CheckDatabase runs it once the window is up, and the
// shop's engine waits for it. The benchmark compares with CheckFull.
var guiOpenCheck = sqlite.CheckNone

func newGUIServices(ctx context.Context, dbPath string, log *slog.Logger) (*guiServices, error) {
	if !postgres.IsURL(dbPath) {
		if err := makeDBFolder(dbPath); err != nil {
			return nil, err
		}
	}
	g := &guiServices{log: log, dbPath: dbPath, check: newIntegrityCheck()}
	db, sec, err := openShop(ctx, dbPath)
	if errors.Is(err, domain.ErrDamaged) {
		// The window still opens: it shows what is wrong and the way out
		// (restore a backup) instead of a console error.
		g.check.finish(err)
		g.store = &storeSwitch{damaged: err}
		return g, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", (&env{DBPath: dbPath}).dbName(), err)
	}
	g.store, g.own, g.sec = &storeSwitch{cur: db}, db, sec
	g.stopWatch = g.watchOtherDesks(db) // gui_changes.go
	return g, nil
}

// openShop opens the shop's own database (a file, or a postgres:// URL: the
// shop on a PostgreSQL server that several desks share): sensitive columns go
// through the vault, whose key is unwrapped by the owner's password at
// sign-in.
func openShop(ctx context.Context, dbPath string) (shopDB, *security.Service, error) {
	vault := security.NewVault(security.VaultOptions{Params: shopVaultParams})
	db, err := openStore(ctx, &env{DBPath: dbPath}, sqlite.Options{Cipher: vault, OpenCheck: guiOpenCheck})
	if err != nil {
		return nil, nil, err
	}
	return db, security.New(db, vault, security.Options{PasswordParams: shopPasswordParams}), nil
}

// shopVaultParams and shopPasswordParams are the Argon2id costs of what a
// shop creates (vault slots, password hashes); zero means the security
// package's defaults. Each slot and hash stores its own cost, so tests lower
// these (TestMain) and still unlock through the same code.
var shopVaultParams, shopPasswordParams security.Params

// Services is the desktop's view of the application.
func (g *guiServices) Services() ui.Services {
	loc, err := xlsx.ShopLocation()
	if err != nil {
		loc = time.Local
	}
	return ui.Services{
		Store:      g.store,
		Location:   loc,
		Transfers:  g,
		Review:     g,
		Engine:     g,
		Events:     g,
		Demo:       g,
		Auth:       g,
		Owner:      g,
		Accounts:   g,
		Payees:     g,
		Products:   g,
		Exporter:   g,
		Balances:   g,
		Settings:   g,
		Audit:      g,
		Flags:      g,
		Reconciler: g,
		Orders:     g,
		Gateways:   g,
		Importer:   g,
		Admin:      g,
		Users:      g,
		Personal:   g,
		Health:     g,
		Restorer:   g,
		LogPath:    g.logPath,
		// Reroute targets: the channels the demo shop pays through; a real
		// shop's channels come with its gateway settings.
		Channels: []string{"xendit", "iris", "h2h:sandbox", "doku"},
		// The H2H reply style is picked from the presets h2h knows.
		Choices: map[string][]string{settingH2HPreset: h2h.PresetNames()},
	}
}

// Close stops the demo (if any) and closes the databases.
func (g *guiServices) Close() {
	g.mu.Lock()
	rt, stop := g.rt, g.demoStop
	g.mu.Unlock()
	if stop != nil {
		stop()
	}
	if rt != nil {
		rt.Stop()
	}
	g.startMu.Lock() // no engine starts or restarts from here on
	defer g.startMu.Unlock()
	g.mu.Lock()
	shop, own := g.shopEngine, g.own
	g.closed = true
	if g.restart != nil {
		g.restart.Stop()
	}
	g.mu.Unlock()
	if shop != nil {
		shop.Stop()
	}
	if g.stopWatch != nil {
		g.stopWatch()
	}
	if own != nil {
		own.Close()
	}
}

func (g *guiServices) engine() (*engine.Engine, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.eng == nil {
		return nil, fmt.Errorf("no engine running: %w", ui.ErrNotAvailable)
	}
	return g.eng, nil
}

// StartDemo implements ui.DemoStarter: the batik shop on a sandbox, buyers
// arriving every few seconds, and an owner whose authenticator code the
// desktop shows (the money is not real; see docs/DESKTOP.md).
func (g *guiServices) StartDemo(ctx context.Context) (ui.DemoInfo, error) {
	rt, shop, err := startDemo(ctx, demoOptions{Log: g.log})
	if err != nil {
		return ui.DemoInfo{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Lunas demo", AccountName: "sari"})
	if err != nil {
		rt.Stop()
		return ui.DemoInfo{}, err
	}
	if err := rt.Store.Write(ctx, func(tx domain.Tx) error {
		if err := tx.SetSetting(ui.SettingShopName, "Toko Batik Sari (demo)"); err != nil {
			return err
		}
		return tx.SetSetting(ui.SettingDemo, "1")
	}); err != nil {
		rt.Stop()
		return ui.DemoInfo{}, err
	}
	bctx, stop := context.WithCancel(context.Background())
	x := xendit.New(xendit.Config{BaseURL: rt.SandboxURL, SecretKey: rt.Sandbox.Credentials().XenditSecretKey})
	// The desktop's account checks, balances and reconciliation use the
	// engine's own channels: a second set built apart would keep a book of
	// its own (Iris: REFID -> reference_no) and answer "never sent" for
	// what the engine paid (app/reconcile.go).
	_, extra := rt.Engine.Gateways()
	delete(extra, "xendit") // the desktop holds Xendit as g.xendit
	g.mu.Lock()
	g.rt, g.eng, g.demoSecret, g.demoStop = rt, rt.Engine, key.Secret(), stop
	g.xendit, g.channels = x, extra
	g.mu.Unlock()
	g.pump(rt.Engine)
	g.store.swap(rt.Store)
	go runBuyers(bctx, rt, shop, 3*time.Second, 0, func(s string) { g.log.Debug("demo", "event", s) })
	secret := key.Secret()
	return ui.DemoInfo{
		Actor:      domain.Actor{Name: "sari", Role: domain.RoleOwner},
		TOTPSecret: secret,
		CodeNow: func() string {
			c, _ := totp.GenerateCode(secret, time.Now())
			return c
		},
	}, nil
}

// HasUsers implements ui.Authenticator.
func (g *guiServices) HasUsers(ctx context.Context) (bool, error) {
	if g.sec == nil {
		return false, g.check.err
	}
	need, err := g.sec.NeedsOwner(ctx)
	return !need, err
}

// Login implements ui.Authenticator.
func (g *guiServices) Login(ctx context.Context, name, password, code string) (domain.Actor, error) {
	if g.sec == nil {
		return domain.Actor{}, g.check.err
	}
	a, err := g.sec.Login(ctx, name, password, code)
	if err != nil {
		return a, loginError(err)
	}
	if a.Role == domain.RoleOwner {
		if err := g.startShopEngine(ctx); err != nil {
			g.log.Warn("engine not started", "err", err)
		}
	}
	return a, nil
}

// loginError gives the desktop the sentinel it words for people.
func loginError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, security.ErrBadCredentials), errors.Is(err, security.ErrWrongPassword):
		return fmt.Errorf("%w: %w", ui.ErrBadLogin, err)
	case errors.Is(err, security.ErrCodeReplayed):
		return fmt.Errorf("%w: %w", ui.ErrBadCode, err)
	case errors.Is(err, security.ErrLockedOut), errors.Is(err, security.ErrDisabled):
		return fmt.Errorf("%w: %w", ui.ErrLockedOut, err)
	}
	return err
}

// Lock implements ui.Authenticator. Locking the screen ends the session
// only: the vault stays open so that automatic transfers keep running in
// the background (the tray); "lock the vault" is a separate owner action.
func (g *guiServices) Lock() {}

// BeginOwner implements ui.OwnerSetup: the owner and the vault are created
// now; the first code from the authenticator confirms the enrolment.
func (g *guiServices) BeginOwner(ctx context.Context, name, password string) (ui.Enrolment, error) {
	e, err := g.sec.CreateOwner(ctx, name, password)
	if err != nil {
		return ui.Enrolment{}, err
	}
	return ui.Enrolment{Secret: e.Secret, URL: e.URL, QR: e.QR, RecoveryCodes: e.RecoveryCodes}, nil
}

// FinishOwner implements ui.OwnerSetup by signing in with the first code.
func (g *guiServices) FinishOwner(ctx context.Context, name, password string, _ ui.Enrolment, code string) (domain.Actor, error) {
	return g.Login(ctx, name, password, code)
}

// checkDemoCode verifies the demo owner's code. With a real shop the engine's
// CodeVerifier (the security service) does this.
func (g *guiServices) checkDemoCode(code string) error {
	g.mu.Lock()
	secret := g.demoSecret
	g.mu.Unlock()
	if secret == "" {
		return nil
	}
	if !totp.Validate(code, secret) {
		return ui.ErrBadCode
	}
	return nil
}

// Approve implements ui.TransferActor.
func (g *guiServices) Approve(ctx context.Context, actor domain.Actor, refIDs []string, code string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	if err := actor.Can(domain.PermApprove); err != nil {
		return err
	}
	if err := g.checkDemoCode(code); err != nil {
		return err
	}
	return e.Approve(ctx, actor, code, refIDs...)
}

// Reject implements ui.TransferActor.
func (g *guiServices) Reject(ctx context.Context, actor domain.Actor, refIDs []string, reason string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	for _, r := range refIDs {
		if err := e.Reject(ctx, actor, r, reason); err != nil {
			return err
		}
	}
	return nil
}

// CheckStatus implements ui.TransferActor.
func (g *guiServices) CheckStatus(ctx context.Context, actor domain.Actor, refID string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	_, err = e.CheckNow(ctx, actor, refID)
	return err
}

// Retry implements ui.TransferActor.
func (g *guiServices) Retry(ctx context.Context, actor domain.Actor, refID string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	_, err = e.Retry(ctx, actor, refID)
	return err
}

// SendAgain implements ui.TransferActor.
func (g *guiServices) SendAgain(ctx context.Context, actor domain.Actor, refID, channel string) (string, error) {
	e, err := g.engine()
	if err != nil {
		return "", err
	}
	t, err := e.SendAgain(ctx, actor, refID, channel)
	return t.RefID, err
}

// Conflicts implements ui.TransferReview.
func (g *guiServices) Conflicts(ctx context.Context) ([]ui.Conflict, error) {
	e, err := g.engine()
	if err != nil {
		return nil, err
	}
	cs, err := e.Conflicts(ctx)
	out := make([]ui.Conflict, len(cs))
	for i, c := range cs {
		out[i] = ui.Conflict{RefID: c.RefID, Stored: c.Stored, News: c.News, Detail: c.Detail, At: c.At}
	}
	return out, err
}

// Destination implements ui.TransferReview: the destination fixed when the
// transfer was created (the desktop masks the account number).
func (g *guiServices) Destination(ctx context.Context, refID string) (ui.Destination, error) {
	e, err := g.engine()
	if err != nil {
		return ui.Destination{}, err
	}
	d, err := e.Destination(ctx, refID)
	return ui.Destination{Bank: d.Bank, AccountNumber: d.AccountNumber, AccountHolder: d.AccountHolder}, err
}

// ResolveConflict implements ui.TransferReview (owner only, audited by the engine).
func (g *guiServices) ResolveConflict(ctx context.Context, actor domain.Actor, refID, note string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	return e.ResolveConflict(ctx, actor, refID, note)
}

// ConfirmPaidAfterAll implements ui.TransferReview (owner only, audited by the engine).
func (g *guiServices) ConfirmPaidAfterAll(ctx context.Context, actor domain.Actor, refID, note string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	return e.ConfirmPaidAfterAll(ctx, actor, refID, note)
}

// Cancel implements ui.TransferActor.
func (g *guiServices) Cancel(ctx context.Context, actor domain.Actor, refID string) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	_, err = e.Cancel(ctx, actor, refID)
	return err
}

// Paused implements ui.EngineControl; no engine counts as paused.
func (g *guiServices) Paused() bool {
	e, err := g.engine()
	return err != nil || e.Paused()
}

// SentElsewhere implements ui.EngineHolder: the computer whose engine sends
// this shop's transfers, when it is not this desktop's.
func (g *guiServices) SentElsewhere() (host string, since time.Time, ok bool) {
	e, err := g.engine()
	if err != nil {
		return "", time.Time{}, false
	}
	st := e.Lease()
	if !st.Enabled || st.Holding || st.Lease.Holder == "" {
		return "", time.Time{}, false
	}
	return st.Lease.Host, st.Lease.Since, true
}

// SetPaused implements ui.EngineControl.
func (g *guiServices) SetPaused(ctx context.Context, actor domain.Actor, paused bool) error {
	e, err := g.engine()
	if err != nil {
		return err
	}
	if paused {
		return e.Pause(ctx, actor)
	}
	return e.Resume(ctx, actor)
}

// Subscribe implements ui.EventSource over the engine's bus.
// A subscriber also hears an engine that starts later (the demo, or the
// shop's engine once its gateway key is saved).
func (g *guiServices) Subscribe(fn func(ui.Event)) func() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.subs == nil {
		g.subs = map[int]func(ui.Event){}
	}
	g.nextSub++
	id := g.nextSub
	g.subs[id] = fn
	return func() {
		g.mu.Lock()
		delete(g.subs, id)
		g.mu.Unlock()
	}
}

// pump forwards an engine's events to the subscribers until it stops.
func (g *guiServices) pump(e *engine.Engine) {
	ch, _ := e.Bus().Subscribe(256)
	go func() {
		for ev := range ch {
			out := uiEvent(ev)
			g.mu.Lock()
			fns := make([]func(ui.Event), 0, len(g.subs))
			for _, fn := range g.subs {
				fns = append(fns, fn)
			}
			g.mu.Unlock()
			for _, fn := range fns {
				fn(out)
			}
		}
	}()
}

// gatewaysChanged starts the shop's engine when none runs; a running one is
// rebuilt with the new gateway settings a second after the last change (a
// Save in Settings stores several keys one after the other).
func (g *guiServices) gatewaysChanged(ctx context.Context) error {
	g.mu.Lock()
	running := g.shopEngine != nil
	if running && !g.closed {
		if g.restart != nil {
			g.restart.Stop()
		}
		g.restart = time.AfterFunc(time.Second, func() {
			if err := g.restartShopEngine(context.Background()); err != nil {
				g.log.Warn("engine not restarted", "err", err)
			}
		})
	}
	g.mu.Unlock()
	if running {
		return nil
	}
	return g.startShopEngine(ctx)
}

// restartShopEngine stops the shop's engine (it finishes what it is doing;
// REFIDs and the outbox are in the store) and builds it again.
func (g *guiServices) restartShopEngine(ctx context.Context) error {
	g.startMu.Lock()
	g.mu.Lock()
	old, closed := g.shopEngine, g.closed
	if !closed && old != nil {
		g.eng, g.shopEngine = nil, nil
	}
	g.mu.Unlock()
	if closed || old == nil {
		g.startMu.Unlock()
		return nil
	}
	old.Stop()
	g.startMu.Unlock()
	return g.startShopEngine(ctx)
}

// errEngineHeld reports that automatic transfers stay off because the
// database check did not pass.
var errEngineHeld = errors.New("automatic transfers held back: the database check did not pass")

// startShopEngine runs the shop's own engine once the vault is open, some
// gateway keys are stored and the database has passed its full integrity
// check. It pays through every configured channel (Xendit, Midtrans/Iris
// with the store's REFID book, H2H suppliers), as "lunas serve" does
// (shopChannels; LUNAS_SANDBOX_URL or LUNAS_XENDIT_URL point it at a sandbox). While the check runs the
// engine is started by a goroutine that waits for it, so nothing is sent
// from a file that may be damaged.
func (g *guiServices) startShopEngine(ctx context.Context) error {
	chk := g.currentCheck()
	select {
	case <-chk.done:
		if chk.err != nil {
			return fmt.Errorf("%w: %w", errEngineHeld, chk.err)
		}
	default:
		go func() {
			if err := g.CheckDatabase(context.Background()); err != nil {
				g.log.Error("database check failed: automatic transfers stay off", "err", err)
				return
			}
			if err := g.startShopEngine(context.Background()); err != nil {
				g.log.Warn("engine not started", "err", err)
			}
		}()
		return nil
	}
	g.startMu.Lock()
	defer g.startMu.Unlock()
	g.mu.Lock()
	running := g.eng != nil || g.closed
	g.mu.Unlock()
	if running {
		return nil
	}
	sh := &shop{DB: g.own, Sec: g.sec}
	cs, err := shopChannels(ctx, sh, gatewayURLs{Sandbox: os.Getenv("LUNAS_SANDBOX_URL"), Xendit: os.Getenv("LUNAS_XENDIT_URL")}, g.log)
	if errors.Is(err, errNoGateways) {
		return nil // no gateway yet: nothing to run
	}
	if err != nil {
		return err
	}
	for _, w := range cs.Warnings {
		g.log.Warn("gateway settings", "warning", w)
	}
	// The desktop's engine sends only while no other engine (a `lunas
	// serve`, another desk) holds the shop's lease; else it stands by.
	eng, err := shopEngine(ctx, sh, cs, engineOptions{Log: g.log, Lease: engineLease("desktop", desktopLeaseTTL), Intervals: desktopIntervals})
	if err != nil {
		return err
	}
	if err := eng.Start(context.Background()); err != nil {
		return err
	}
	g.mu.Lock()
	g.eng, g.shopEngine = eng, eng
	g.channels, g.payments, g.shopChannels = cs.Payouts, cs.Payments, cs
	if cs.XenditKey != "" {
		g.xendit = xendit.New(xendit.Config{BaseURL: cs.XenditURL, SecretKey: cs.XenditKey, Logger: g.log})
	}
	g.mu.Unlock()
	g.pump(eng)
	return nil
}

// TestConnection implements ui.GatewayTester with one harmless request per
// gateway, using the keys as typed (nothing is stored): Xendit's balance;
// Midtrans's Core status of an order that does not exist (a right server
// key gets "not found", a wrong one 401) and, with an Iris key, Iris's
// balance; an H2H supplier's balance. LUNAS_SANDBOX_URL points all of them
// at a sandbox, LUNAS_XENDIT_URL only Xendit.
//
// The answer is put in words the desktop shows (ui.ErrKeyRefused,
// ui.ErrUnreachable, ui.ErrTestMode) and the detail goes to the log file,
// with the keys typed redacted.
func (g *guiServices) TestConnection(ctx context.Context, gateway string, keys map[string]string) error {
	for k, v := range keys {
		if k != "url" && k != "member_id" {
			g.redact.Add(strings.TrimSpace(v), v)
		}
	}
	err := connectionAnswer(gateway, keys, g.testConnection(ctx, gateway, keys))
	if err != nil && !errors.Is(err, ui.ErrTestMode) {
		g.log.Warn("test connection failed", "gateway", gateway, "err", err)
	} else {
		g.log.Info("test connection", "gateway", gateway, "result", fmt.Sprint(err))
	}
	return err
}

func (g *guiServices) testConnection(ctx context.Context, gateway string, keys map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	sb := strings.TrimRight(os.Getenv("LUNAS_SANDBOX_URL"), "/")
	switch gateway {
	case "xendit":
		url := envOr("LUNAS_XENDIT_URL", xendit.DefaultBaseURL)
		if sb != "" {
			url = sb
		}
		x := xendit.New(xendit.Config{BaseURL: url, SecretKey: keys["key1"], Logger: g.log, Timeout: 15 * time.Second})
		_, err := x.Balance(ctx)
		return err
	case "midtrans":
		server, iris := strings.TrimSpace(keys["key1"]), strings.TrimSpace(keys["key2"])
		if server == "" && iris == "" {
			return domain.Invalid("key", "type the Midtrans server key or an Iris key")
		}
		core, irisURL := "https://api.midtrans.com", "https://app.midtrans.com/iris"
		if strings.HasPrefix(server, "SB-") { // Midtrans's sandbox keys
			core, irisURL = "https://api.sandbox.midtrans.com", "https://app.sandbox.midtrans.com/iris"
		}
		if sb != "" {
			core, irisURL = sb+"/midtrans", sb+"/iris"
		}
		if server != "" {
			m := midtrans.New(midtrans.Config{CoreURL: core, SnapURL: core, ServerKey: server, Logger: g.log, Timeout: 15 * time.Second})
			if _, err := m.PaymentStatus(ctx, "lunas-connection-test-"+strconv.FormatInt(time.Now().UnixNano(), 36)); err != nil {
				return fmt.Errorf("midtrans: %w", err)
			}
		}
		if iris != "" {
			it := midtrans.NewIris(midtrans.IrisConfig{BaseURL: irisURL, CreatorKey: iris, Logger: g.log, Timeout: 15 * time.Second})
			if _, err := it.Balance(ctx); err != nil {
				return fmt.Errorf("iris: %w", err)
			}
		}
		return nil
	case "h2h":
		url := strings.TrimSpace(keys["url"])
		if sb != "" && url == "" {
			url = sb + sandbox.H2HPath
		}
		ch, err := h2h.New(h2h.Config{Name: "test", BaseURL: url, MemberID: strings.TrimSpace(keys["member_id"]),
			Password: keys["key1"], PIN: keys["key2"]}, h2h.Options{Logger: g.log, Timeout: 15 * time.Second})
		if errors.Is(err, h2h.ErrConfig) {
			return domain.Invalid("h2h", "type the supplier's address and member ID")
		}
		if err != nil {
			return err
		}
		_, err = ch.Balance(ctx)
		return err
	case "doku", "ipaymu":
		return testConnectionB(ctx, gateway, keys, sb, g.log) // app/channels_doku.go
	}
	return fmt.Errorf("testing %s from the desktop: %w", gateway, ui.ErrNotAvailable)
}

// uiEvent maps an engine event to what the desktop does with it.
func uiEvent(ev engine.Event) ui.Event {
	out := ui.Event{Kind: ui.EventChanged, RefID: ev.RefID, Channel: ev.Channel, Amount: ev.Amount, Detail: ev.Message}
	switch ev.Kind {
	case engine.EventNeedsApproval:
		out.Kind = ui.EventApprovalNeeded
	case engine.EventNeedsAttention:
		out.Kind = ui.EventTransferFailed
	case engine.EventLowBalance:
		out.Kind, out.Amount = ui.EventLowBalance, ev.Balance
	case engine.EventGatewayDown:
		out.Kind = ui.EventGatewayDown
	case engine.EventGatewayUp:
		out.Kind = ui.EventGatewayUp
	case engine.EventPaymentSettled:
		out.Kind = ui.EventPaymentSettled
	case engine.EventTransferStatus:
		if ev.Status == domain.TransferSucceeded {
			out.Kind = ui.EventTransferSucceeded
		}
	}
	return out
}

// paymentGateway picks where a payment link is made: the one asked for when
// configured, else Xendit, else the shop's Midtrans.
func (g *guiServices) paymentGateway(name string) (domain.PaymentGateway, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.payments[name]; p != nil {
		return p, nil
	}
	if g.xendit != nil {
		return g.xendit, nil
	}
	for _, p := range g.payments {
		return p, nil
	}
	return nil, fmt.Errorf("no payment gateway configured: %w", ui.ErrNotAvailable)
}

func (g *guiServices) payoutClient() (*xendit.Client, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.xendit == nil {
		return nil, fmt.Errorf("no gateway configured: %w", ui.ErrNotAvailable)
	}
	return g.xendit, nil
}

// ValidateAccount implements ui.AccountValidator ("Cek rekening").
// Xendit Payouts v2 has no account check, so Iris answers when configured.
func (g *guiServices) ValidateAccount(ctx context.Context, channel, account string) (domain.AccountInfo, error) {
	g.mu.Lock()
	iris := g.channels["iris"]
	g.mu.Unlock()
	if iris == nil {
		return domain.AccountInfo{}, fmt.Errorf("no gateway that checks accounts: %w", ui.ErrNotAvailable)
	}
	info, err := iris.ValidateAccount(ctx, channel, account)
	if errors.Is(err, gateways.ErrUnsupported) {
		err = fmt.Errorf("%w: %w", ui.ErrNotAvailable, err)
	}
	return info, err
}

// Balances implements ui.BalanceSource: every payout channel's balance; a
// channel that does not answer is left out (the engine raises gateway-down).
func (g *guiServices) Balances(ctx context.Context) (map[string]domain.Rupiah, error) {
	g.mu.Lock()
	x := g.xendit
	chans := make(map[string]domain.PayoutChannel, len(g.channels))
	for n, c := range g.channels {
		chans[n] = c
	}
	g.mu.Unlock()
	out := map[string]domain.Rupiah{}
	if x != nil {
		b, err := x.Balance(ctx)
		if err != nil {
			return nil, err
		}
		out["Xendit"] = b
	}
	for n, c := range chans {
		b, err := c.Balance(ctx)
		if err != nil {
			g.log.Warn("balance", "channel", n, "err", err)
			continue
		}
		out[channelLabel(n)] = b
	}
	if len(out) == 0 {
		return nil, nil // nothing configured: nothing to show, no alert
	}
	return out, nil
}

// channelLabel is how the dashboard names a channel ("iris" -> "Midtrans Iris").
func channelLabel(name string) string { return domain.ChannelName(name) }

// SavePayee implements ui.PayeeEditor, with the permission check and an
// audit entry in the same transaction.
func (g *guiServices) SavePayee(ctx context.Context, actor domain.Actor, p *domain.Payee) error {
	if err := actor.Can(domain.PermManagePayees); err != nil {
		return err
	}
	return g.store.Write(ctx, func(tx domain.Tx) error {
		action := "payee.update"
		if p.ID == 0 {
			action = "payee.create"
			if err := tx.CreatePayee(p); err != nil {
				return err
			}
		} else if err := tx.UpdatePayee(p); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{At: time.Now().UTC(), Actor: actor.Name, Action: action,
			Subject: fmt.Sprintf("payee:%d", p.ID), Detail: p.Name + " " + p.Channel + " " + domain.MaskAccount(p.AccountNumber)})
	})
}

// SaveProduct implements ui.ProductEditor.
func (g *guiServices) SaveProduct(ctx context.Context, actor domain.Actor, p *domain.Product) error {
	if err := actor.Can(domain.PermManagePayees); err != nil {
		return err
	}
	return g.store.Write(ctx, func(tx domain.Tx) error {
		if p.ID == 0 {
			return tx.CreateProduct(p)
		}
		return tx.UpdateProduct(p)
	})
}

// Setting implements ui.SettingsStore: plain settings from the store, AML
// thresholds from the risk configuration, amounts formatted for people.
func (g *guiServices) Setting(ctx context.Context, actor domain.Actor, key string) (string, error) {
	if err := actor.Can(domain.PermView); err != nil {
		return "", err
	}
	if strings.HasPrefix(key, "aml.") {
		if g.inDemo() {
			return "", nil
		}
		cfg, err := g.sec.GetRiskConfig(ctx, actor)
		if err != nil {
			return "", err
		}
		switch key {
		case "aml.single_limit":
			return cfg.SingleLimit.String(), nil
		case "aml.daily_payee_limit":
			return cfg.DailyPayeeLimit.String(), nil
		case "aml.velocity_max":
			return strconv.Itoa(cfg.VelocityMax), nil
		}
		return "", nil
	}
	var v string
	err := g.store.Read(ctx, func(tx domain.ReadTx) error {
		var err error
		v, err = tx.GetSetting(key)
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		return err
	})
	if n, perr := strconv.ParseInt(v, 10, 64); perr == nil && strings.HasPrefix(key, "limits.") {
		v = domain.Rupiah(n).String()
	}
	return v, err
}

// SaveSetting implements ui.SettingsStore. Secrets (gateway keys, the SMTP
// password) are sealed by the vault through the security service; AML
// thresholds go into the risk configuration; limits are whole rupiah.
func (g *guiServices) SaveSetting(ctx context.Context, actor domain.Actor, key, value string) error {
	perm := domain.PermChangeSettings
	if strings.HasPrefix(key, "gateway.") {
		perm = domain.PermManageKeys
	}
	if err := actor.Can(perm); err != nil {
		return err
	}
	if isSecretSetting(key) {
		g.redact.Add(value)
		if g.inDemo() {
			return fmt.Errorf("the demo shop keeps no keys: %w", ui.ErrNotAvailable)
		}
		if err := g.sec.SetSecret(ctx, actor, key, value); err != nil { // sealed by the vault
			return err
		}
		if strings.HasPrefix(key, "gateway.") {
			err := g.gatewaysChanged(ctx)
			if errors.Is(err, errEngineHeld) {
				g.log.Warn("key stored, engine not started", "err", err) // the window already shows why
				return nil
			}
			return err
		}
		return nil
	}
	if strings.HasPrefix(key, "aml.") {
		if g.inDemo() {
			return fmt.Errorf("the demo shop uses the built-in rules: %w", ui.ErrNotAvailable)
		}
		cfg, err := g.sec.GetRiskConfig(ctx, actor)
		if err != nil {
			return err
		}
		switch key {
		case "aml.single_limit", "aml.daily_payee_limit":
			r, err := domain.ParseRupiah(value)
			if err != nil {
				return err
			}
			if key == "aml.single_limit" {
				cfg.SingleLimit = r
			} else {
				cfg.DailyPayeeLimit = r
			}
		case "aml.velocity_max":
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 {
				return domain.Invalid("velocity", "a whole number, 0 or more")
			}
			cfg.VelocityMax = n
		default:
			return domain.Invalid("key", "unknown setting %s", key)
		}
		return g.sec.SetRiskConfig(ctx, actor, cfg)
	}
	if key == settingH2HPreset && value != "" && !slices.Contains(h2h.PresetNames(), value) {
		return domain.Invalid("preset", "H2H reply style must be one of %s (or empty)", strings.Join(h2h.PresetNames(), ", "))
	}
	if strings.HasPrefix(key, "limits.") {
		r, err := domain.ParseRupiah(value)
		if err != nil {
			return err
		}
		value = strconv.FormatInt(int64(r), 10) // what the engine reads
	}
	err := g.store.Write(ctx, func(tx domain.Tx) error {
		if err := tx.SetSetting(key, value); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{At: time.Now().UTC(), Actor: actor.Name, Action: "settings.change", Subject: "setting:" + key, Detail: value})
	})
	if err == nil && strings.HasPrefix(key, "gateway.") && !g.inDemo() {
		if serr := g.gatewaysChanged(ctx); serr != nil {
			g.log.Warn("setting stored, engine not started", "err", serr)
		}
	}
	return err
}

// isSecretSetting: gateway keys and PINs and the SMTP password never go
// into the plain settings table.
func isSecretSetting(key string) bool {
	if key == security.SecretSMTPPassword {
		return true
	}
	return strings.HasPrefix(key, "gateway.") && strings.Contains(key, ".key")
}

func (g *guiServices) inDemo() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rt != nil
}

// VerifyAudit implements ui.AuditVerifier over the database on screen.
func (g *guiServices) VerifyAudit(ctx context.Context, actor domain.Actor) (int, error) {
	if err := actor.Can(domain.PermVerifyAudit); err != nil {
		return 0, err
	}
	// The shop's own log is checked against its signed anchor whenever the
	// vault is open; the demo's throw-away log only by its hash chain.
	var signer domain.AuditKeyer
	if g.sec != nil && !g.inDemo() {
		if v := g.sec.Vault(); v != nil {
			signer = v
		}
	}
	c, err := security.CheckAuditLog(ctx, g.store, signer)
	if err != nil {
		return c.Entries, err
	}
	if c.Break != nil {
		return c.Entries, fmt.Errorf("audit chain broken: %v: %w", c.Break, domain.ErrDamaged)
	}
	return c.Entries, nil
}

// flagReader is the store's flag query (domain/sqlite has it).
type flagReader interface {
	ListFlags(status domain.FlagStatus, refID string, pg domain.Page) ([]domain.Flag, error)
}

// OpenFlags implements ui.FlagQueue over the database on screen.
func (g *guiServices) OpenFlags(ctx context.Context, p domain.Page) ([]ui.Flag, error) {
	var out []ui.Flag
	err := g.store.Read(ctx, func(tx domain.ReadTx) error {
		fr, ok := tx.(flagReader)
		if !ok {
			return nil
		}
		fl, err := fr.ListFlags(domain.FlagOpen, "", p)
		for _, f := range fl {
			out = append(out, ui.Flag{ID: f.ID, RefID: f.RefID, PayeeID: f.PayeeID, Rule: f.Rule, Reason: f.ReasonID, ReasonEN: f.ReasonEN, At: f.CreatedAt})
		}
		return err
	})
	return out, err
}

// ClearFlag implements ui.FlagQueue through the security service.
func (g *guiServices) ClearFlag(ctx context.Context, actor domain.Actor, id int64, note string) error {
	if g.inDemo() {
		return fmt.Errorf("the demo shop has no flags to clear: %w", ui.ErrNotAvailable)
	}
	return g.sec.ClearFlag(ctx, actor, id, note)
}

// CreateOrder implements ui.OrderCreator: the payment link is created at the
// gateway first (same external id twice gives one link), then the order and
// payment are stored together; the engine polls it from there.
func (g *guiServices) CreateOrder(ctx context.Context, actor domain.Actor, o *domain.Order, gateway string) (domain.Payment, error) {
	if err := actor.Can(domain.PermManageOrders); err != nil {
		return domain.Payment{}, err
	}
	x, err := g.paymentGateway(gateway)
	if err != nil {
		return domain.Payment{}, err
	}
	total, err := o.Total()
	if err != nil {
		return domain.Payment{}, err
	}
	if err := o.Validate(); err != nil {
		return domain.Payment{}, err
	}
	link, err := x.CreatePayment(ctx, domain.PaymentRequest{ExternalID: o.ExternalID, Amount: total, Description: o.ExternalID,
		BuyerName: o.BuyerName, BuyerEmail: o.BuyerEmail, Items: o.Items, Expiry: 24 * time.Hour})
	if err != nil {
		return domain.Payment{}, err
	}
	now := time.Now()
	pay := domain.Payment{Gateway: x.Name(), ExternalID: o.ExternalID, GatewayRef: link.GatewayRef, Amount: total,
		Status: domain.PaymentPending, URL: link.URL, CreatedAt: now, ExpiresAt: link.ExpiresAt, NextPollAt: now}
	err = g.store.Write(ctx, func(tx domain.Tx) error {
		o.CreatedAt = now
		if err := tx.CreateOrder(o); err != nil {
			return err
		}
		pay.OrderID = o.ID
		if err := tx.CreatePayment(&pay); err != nil {
			return err
		}
		return tx.AppendAudit(&domain.AuditEntry{At: now.UTC(), Actor: actor.Name, Action: "order.create",
			Subject: "order:" + o.ExternalID, Detail: "total " + total.String() + ", payment link at " + x.Name()})
	})
	return pay, err
}

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

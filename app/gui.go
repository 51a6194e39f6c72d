package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
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
		Trust:      g,
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

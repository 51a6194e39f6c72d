// Package app is Lunas's composition root: it reads configuration, opens the
// store, builds gateways and services, starts and stops background work and
// dispatches the subcommands. Only this package knows every other one.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	_ "lunas/locale" // before Fyne initialises: no "Error parsing user locale C"
)

// Version is the application version, set at build time with
// -ldflags "-X lunas/app.Version=...".
var Version = "0.1.0-dev"

// env carries what every subcommand gets: parsed global flags and output streams.
type env struct {
	DBPath string
	// DBChosen is true when the person named the database (--db or
	// LUNAS_DB) rather than taking the default file.
	DBChosen bool
	Stdin    io.Reader // nil: os.Stdin
	Stdout   io.Writer
	Stderr   io.Writer
}

// command is one subcommand. run receives the arguments after the subcommand name.
type command struct {
	usage string
	run   func(e *env, args []string) error
}

// commands is the subcommand table; each entry lives in its own cmd_*.go file.
var commands = map[string]command{
	"gui":       {"open the desktop application (the default)", runGUI},
	"version":   {"print the version", runVersion},
	"init":      {"[--owner NAME] [--shop NAME] [--timezone TZ] [--lang id|en] [--sandbox URL] [--xendit-key K ...] [--set KEY=VALUE ...]: create a shop without the desktop (password from LUNAS_PASSWORD or the terminal; prints the authenticator and recovery codes once)", runInit},
	"db":        {"db check | db backup FILE | db copy --from FILE --to postgres://...  (move a shop to PostgreSQL, verified)", runDB},
	"sandbox":   {"[--addr 127.0.0.1:PORT] [--step D] [--seed N] [--data FILE] [--now RFC3339] [--key-purge midnight|24h-midnight|never] [--buyers RATE [--orders N] [--pay-with G]]: run the sandbox gateway standalone (--data keeps its books and idempotency keys across restarts); with --buyers, buyers for the shop at --db order and pay through its own gateway settings (as LUNAS_USER with LUNAS_PASSWORD)", runSandbox},
	"serve":     {"[--sandbox URL] [--xendit-url URL] [--rate N] [--fast]: run the transfer engine headless with every gateway stored in the vault (LUNAS_PASSWORD, or the key remembered on this computer)", runServe},
	"demo":      {"[--gateway G] [--keep FILE] [--duration D]: run the demo shop headless against the in-process sandbox (--keep FILE, or --db: keep it there and print its owner's name and password)", runDemo},
	"audit":     {"audit verify [--head LINE] | audit head: check the audit log (exit 1 when broken or tampered); print its verified head to keep elsewhere", runAudit},
	"export":    {"--from DATE --to DATE [--status S,...] [--payee ID] [--gateway G] [--lang id|en] [--unmask] [--sheet S] --out FILE.xlsx|.csv (as LUNAS_USER with LUNAS_PASSWORD)", runExport},
	"import":    {"payees|products|orders FILE [--valid-only] [--map field=Header,...] (as LUNAS_USER with LUNAS_PASSWORD)", runImport},
	"settings":  {"get [KEY] | set KEY VALUE: the shop's plain settings (AML thresholds, limits, routing, gateway URLs); set is owner only and audited (as LUNAS_USER with LUNAS_PASSWORD)", runSettings},
	"reconcile": {"--from DATE --to DATE [--out FILE.xlsx] [--opening CHANNEL=AMOUNT;...] [--lang id|en] [--sandbox URL] [--xendit-url URL] (every channel in the vault; as LUNAS_USER with LUNAS_PASSWORD)", runReconcile},
}

// errUsage reports bad command-line arguments; Main prints usage and exits 2.
var errUsage = errors.New("usage")

// Main runs Lunas with the given arguments (without the program name) and
// returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lunas", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &env{Stdout: stdout, Stderr: stderr}
	fs.StringVar(&e.DBPath, "db", "", "database file, or postgres://USER:PASSWORD@HOST/DB for a shop on a PostgreSQL server (default: $LUNAS_DB, else "+defaultDBPath()+")")
	fs.Usage = func() { usage(stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	e.DBChosen = e.DBPath != ""
	if e.DBPath == "" {
		e.DBPath = os.Getenv("LUNAS_DB")
		e.DBChosen = e.DBPath != ""
	}
	if e.DBPath == "" {
		e.DBPath = defaultDBPath()
	}
	rest := fs.Args()
	name := "gui"
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name == "help" || name == "-h" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "lunas: unknown command %q\n", name)
		usage(stderr)
		return 2
	}
	if err := cmd.run(e, rest); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "usage: lunas [--db PATH|postgres://...] %s %s\n", name, cmd.usage)
			return 2
		}
		fmt.Fprintf(stderr, "lunas %s: %v\n", name, err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lunas [--db PATH|postgres://...] [command]")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].usage)
	}
}

// defaultDBPath is <user config dir>/Lunas/lunas.db, or lunas.db in the
// working directory when the system has no config dir.
func defaultDBPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "lunas.db"
	}
	return filepath.Join(dir, "Lunas", "lunas.db")
}

func runVersion(e *env, _ []string) error {
	fmt.Fprintf(e.Stdout, "lunas %s\n", Version)
	return nil
}

// errNotYet marks subcommands whose issue has not landed yet.
var errNotYet = errors.New("not available in this build yet")

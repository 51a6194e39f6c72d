package app

import (
	"net/url"
	"strings"
	"testing"
)

// The commands take a shop on a PostgreSQL server from --db or LUNAS_DB,
// and never print its password.
func TestCommandsOnPostgres(t *testing.T) {
	s := newPGTestShop(t, nil)
	u, _ := url.Parse(s.Path)
	pw, _ := u.User.Password()
	s.DB.Close()
	noSecret := func(name, out string) {
		t.Helper()
		if strings.Contains(out, pw) {
			t.Errorf("%s printed the database password: %q", name, out)
		}
	}
	useKeychain(t, nil)
	t.Setenv("LUNAS_PASSWORD", testPassword)
	code, out, errs := runLunas(t, "--db", s.Path, "db", "check")
	if code != 0 || !strings.HasPrefix(out, "ok:") || !strings.Contains(out, "ledger postings balances") {
		t.Errorf("db check = %d, %q, %q", code, out, errs)
	}
	noSecret("db check", out+errs)
	t.Setenv("LUNAS_DB", s.Path)
	if code, out, errs := runLunas(t, "audit", "verify"); code != 0 || !strings.HasPrefix(out, "ok: ") {
		t.Errorf("audit verify (LUNAS_DB) = %d, %q, %q", code, out, errs)
	}
	code, out, errs = runLunas(t, "db", "backup", t.TempDir()+"/x.db")
	if code != 1 || !strings.Contains(errs, "pg_dump") {
		t.Errorf("db backup of a server shop = %d, %q, %q", code, out, errs)
	}
	// A refused password: a clear message, no password, nothing started.
	bad := *u
	bad.User = url.UserPassword(u.User.Username(), "wrong-"+pw)
	code, out, errs = runLunas(t, "--db", bad.String(), "serve")
	if code != 1 || !strings.Contains(errs, "refused the user or password") || !strings.Contains(errs, "menolak") {
		t.Errorf("serve with a refused password = %d, %q, %q", code, out, errs)
	}
	noSecret("serve", out+errs)
	// A URL that does not parse.
	code, _, errs = runLunas(t, "--db", "postgres://lunas:"+pw+"@[::1/shop", "db", "check")
	if code != 1 || !strings.Contains(errs, "cannot be read") {
		t.Errorf("bad URL = %d, %q", code, errs)
	}
	noSecret("bad URL", errs)
}

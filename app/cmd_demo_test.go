package app

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"testing"

	"lunas/domain/postgres/pgtest"
	"lunas/domain/sqlite"
)

// TestDemoKeepPrintsOwner: `lunas demo --keep FILE` and `lunas --db X demo`
// keep the demo shop there and print the owner's name and password, which
// open it with the headless commands (LUNAS_USER/LUNAS_PASSWORD sign in);
// a second demo into the same database is refused with nothing written.
func TestDemoKeepPrintsOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo shop")
	}
	old := demoSettle
	demoSettle = 0
	t.Cleanup(func() { demoSettle = old })
	useKeychain(t, nil)
	dir := t.TempDir()
	cases := []struct {
		name string
		args func() ([]string, string)
	}{
		{"--keep FILE", func() ([]string, string) {
			f := filepath.Join(dir, "keep.db")
			return []string{"demo", "--keep", f, "--duration", "1ns"}, f
		}},
		{"--db FILE", func() ([]string, string) {
			f := filepath.Join(dir, "db.db")
			return []string{"--db", f, "demo", "--duration", "1ns"}, f
		}},
		{"--db postgres://", func() ([]string, string) {
			u := pgtest.NewDatabase(t)
			return []string{"--db", u, "demo", "--duration", "1ns"}, u
		}},
	}
	pwLine := regexp.MustCompile(`password:\s+(\S+)`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args, db := c.args()
			var out, errb bytes.Buffer
			if code := Main(args, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
			}
			m := pwLine.FindStringSubmatch(out.String())
			if m == nil || !bytes.Contains(out.Bytes(), []byte("owner:        sari")) || !bytes.Contains(out.Bytes(), []byte("otpauth://totp/")) {
				t.Fatalf("no owner credentials printed:\n%s", out.String())
			}
			t.Setenv("LUNAS_USER", "sari")
			t.Setenv("LUNAS_PASSWORD", m[1])
			sh, err := unlockShop(context.Background(), &env{DBPath: db}, true)
			if err != nil {
				t.Fatalf("the printed password does not open the kept demo: %v", err)
			}
			if sh.Actor.Name != "sari" {
				t.Fatalf("signed in as %+v", sh.Actor)
			}
			sh.Close()
			// The same database again: refused, nothing added.
			out.Reset()
			errb.Reset()
			if code := Main(args, &out, &errb); code != 1 || !bytes.Contains(errb.Bytes(), []byte("already holds a shop")) {
				t.Fatalf("second demo into %s: exit %d, %s", db, code, errb.String())
			}
			if err := emptyForDemo(context.Background(), mustOpen(t, db)); !errors.Is(err, errDemoNotEmpty) {
				t.Fatalf("kept demo looks empty: %v", err)
			}
		})
	}
}

// mustOpen opens a shop database without its vault, closed at cleanup.
func mustOpen(t *testing.T, path string) shopDB {
	t.Helper()
	db, err := openStore(context.Background(), &env{DBPath: path}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

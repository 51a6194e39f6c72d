package postgres

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/postgres/pgtest"
)

// checkMessage: a person reads both languages and never the password.
func checkMessage(t *testing.T, name string, err error, secret string, words ...string) {
	t.Helper()
	msg := err.Error()
	if secret != "" && strings.Contains(msg, secret) {
		t.Errorf("%s: message shows the password: %q", name, msg)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: message %q lacks %q", name, msg, w)
		}
	}
}

func TestBadURLs(t *testing.T) {
	server := pgtest.ServerURL(t)
	u, _ := url.Parse(server)
	wrongPW := *u
	wrongPW.User = url.UserPassword(u.User.Username(), "not-the-password")
	for _, c := range []struct {
		name   string
		url    string
		want   error
		secret string
		words  []string
	}{
		{"unparsable", "postgres://lunas:hunter2@[::1/shop", domain.ErrInvalid, "hunter2", []string{"tidak dapat dibaca", "cannot be read"}},
		{"refused password", wrongPW.String(), domain.ErrPermission, "not-the-password", []string{"menolak", "refused"}},
		{"no such database", pgtest.WithDatabase(server, "no_such_shop"), domain.ErrPermission, "", []string{"belum ada", "does not exist", "no_such_shop"}},
		{"no server", "postgres://lunas:hunter2@localhost/shop?host=/nonexistent-lunas&connect_timeout=2", domain.ErrStoreUnavailable, "hunter2",
			[]string{"tidak dapat dihubungi", "cannot be reached"}},
	} {
		db, err := Open(ctx, c.url, Options{})
		if err == nil {
			db.Close()
			t.Errorf("%s: opened", c.name)
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		checkMessage(t, c.name, err, c.secret, c.words...)
	}
}

// A server that goes away mid-run: every call says so clearly, the
// transaction that was under way keeps nothing, and the same store works
// again once the server is back.
func TestServerGoesAwayAndComesBack(t *testing.T) {
	if _, err := pgtest.FindBin(); err != nil {
		pgtest.Skip(t)
	}
	c, err := pgtest.StartCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Remove()
	defer c.Stop()
	db := openTest(t, c.URL("postgres"), Options{ConnectTimeout: 5e9})
	if err := db.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting("before", "1") }); err != nil {
		t.Fatal(err)
	}
	err = db.Write(ctx, func(tx domain.Tx) error {
		if err := tx.SetSetting("half", "1"); err != nil {
			return err
		}
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		return tx.SetSetting("other half", "1")
	})
	if !errors.Is(err, domain.ErrStoreUnavailable) {
		t.Fatalf("write while the server stopped: %v", err)
	}
	checkMessage(t, "mid-write", err, c.Password, "tidak dapat dihubungi", "cannot be reached", "nothing was half-written")
	for name, err := range map[string]error{
		"read":  db.Read(ctx, func(tx domain.ReadTx) error { return errOnly(tx.GetSetting("before")) }),
		"write": db.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting("down", "1") }),
	} {
		if !errors.Is(err, domain.ErrStoreUnavailable) {
			t.Errorf("%s while down: %v", name, err)
		}
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting("after", "1") }); err != nil {
		t.Fatalf("write after the server came back: %v", err)
	}
	db.Read(ctx, func(tx domain.ReadTx) error {
		for k, want := range map[string]bool{"before": true, "after": true, "half": false, "other half": false, "down": false} {
			_, err := tx.GetSetting(k)
			if got := err == nil; got != want {
				t.Errorf("setting %q kept = %v, want %v (%v)", k, got, want, err)
			}
		}
		return nil
	})
}

func errOnly[T any](_ T, err error) error { return err }

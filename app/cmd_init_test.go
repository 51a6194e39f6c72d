package app

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"
	"github.com/pquerna/otp/totp"

	"lunas/domain"
	"lunas/domain/postgres/pgtest"
	"lunas/gateways/sandbox"
)

// TestInitCommand: `lunas init` makes a shop the headless commands open,
// on a file and on PostgreSQL: the printed authenticator secret gives codes
// the owner signs in with, ten recovery codes are printed, keys are in the
// vault and settings stored, all audited; a database with a shop is
// refused and bad input writes nothing.
func TestInitCommand(t *testing.T) {
	useKeychain(t, nil)
	t.Setenv("LUNAS_USER", "")
	dir := t.TempDir()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			ctx := context.Background()
			db := filepath.Join(dir, store+".db")
			if store == "postgres" {
				db = pgtest.NewDatabase(t)
			}
			t.Setenv("LUNAS_PASSWORD", testPassword)
			args := []string{"--db", db, "init", "--owner", "sari", "--shop", "Toko Batik Sari", "--lang", "en",
				"--sandbox", "http://127.0.0.1:8089", "--set", "aml.velocity_max=20", "--set", "aml.hold_first_payout=off"}
			t.Setenv("LUNAS_MIDTRANS_SERVER_KEY", "SB-Mid-server-test")
			var out, errb bytes.Buffer
			if code := Main(args, &out, &errb); code != 0 {
				t.Fatalf("init: exit %d\n%s%s", code, out.String(), errb.String())
			}
			text := out.String()
			m := regexp.MustCompile(`otpauth://totp/[^\s]*secret=([A-Z2-7]+)`).FindStringSubmatch(text)
			if m == nil || !strings.Contains(text, "█") {
				t.Fatalf("no authenticator URI or QR code printed:\n%s", text)
			}
			codes := regexp.MustCompile(`(?m)^  [0-9A-Z]{5}-[0-9A-Z]{5}$`).FindAllString(text, -1)
			if len(codes) != 10 {
				t.Fatalf("%d recovery codes printed, want 10:\n%s", len(codes), text)
			}
			sh, err := unlockShop(ctx, &env{DBPath: db}, true)
			if err != nil {
				t.Fatalf("the new shop does not open: %v", err)
			}
			defer sh.Close()
			code, _ := totp.GenerateCode(m[1], time.Now())
			if _, err := sh.Sec.Login(ctx, "sari", testPassword, code); err != nil {
				t.Fatalf("sign in with the printed authenticator: %v", err)
			}
			for k, want := range map[string]string{secretXenditKey: sandbox.DefaultCredentials().XenditSecretKey, secretMidtransServer: "SB-Mid-server-test"} {
				if v, err := secretOf(ctx, sh.Sec, k); err != nil || v != want {
					t.Fatalf("vault %s = %q, %v", k, v, err)
				}
			}
			for k, want := range map[string]string{settingXenditURL: "http://127.0.0.1:8089", settingShopName: "Toko Batik Sari", "shop.timezone": "Asia/Jakarta", "ui.language": "en"} {
				if v := settingOf(ctx, sh.DB, k); v != want {
					t.Fatalf("setting %s = %q, want %q", k, v, want)
				}
			}
			cfg, _ := sh.Sec.GetRiskConfig(ctx, sh.Actor)
			if cfg.VelocityMax != 20 || cfg.HoldFirstPayout {
				t.Fatalf("AML settings not stored: %+v", cfg)
			}
			for _, a := range []string{"user.create", "vault.create", "secret.set", "settings.change", "settings.risk"} {
				if !auditHas(t, sh.DB, "sari", a) {
					t.Fatalf("no %s audit entry by sari", a)
				}
			}
			// The same database again: refused.
			errb.Reset()
			if code := Main(args, &out, &errb); code != 1 || !strings.Contains(errb.String(), "already holds a shop") {
				t.Fatalf("second init: exit %d, %s", code, errb.String())
			}
		})
	}

	// Bad input: refused before anything is written.
	t.Setenv("LUNAS_PASSWORD", testPassword)
	t.Setenv("LUNAS_MIDTRANS_SERVER_KEY", "")
	demo := filepath.Join(dir, "demo.db")
	if code := Main([]string{"--db", demo, "demo", "--duration", "1ns"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("demo for the refusal case did not run")
	}
	cases := []struct {
		name  string
		args  []string
		pw    string
		stdin string
		want  error
	}{
		{name: "short password", args: []string{"--owner", "sari"}, pw: "pendek", want: domain.ErrInvalid},
		{name: "bad setting", args: []string{"--owner", "sari", "--set", "aml.velocity_max=banyak"}, want: domain.ErrInvalid},
		{name: "secret as setting", args: []string{"--owner", "sari", "--set", "gateway.xendit.key1=x"}, want: errUnknownSetting},
		{name: "unknown zone", args: []string{"--owner", "sari", "--timezone", "Jawa/Barat"}, want: domain.ErrInvalid},
		{name: "reserved owner name", args: []string{"--owner", "engine"}, want: domain.ErrInvalid},
		{name: "no owner name", args: nil, want: errNoOwnerName},
		{name: "no password", args: []string{"--owner", "sari"}, pw: "-", want: errNoPassword},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shop.db")
			pw := c.pw
			if pw == "" {
				pw = testPassword
			}
			if pw == "-" {
				pw = ""
			}
			t.Setenv("LUNAS_PASSWORD", pw)
			e := &env{DBPath: path, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Stdin: strings.NewReader(c.stdin)}
			if err := runInit(e, c.args); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused init left %s behind (%v)", path, err)
			}
		})
	}
	t.Run("password from standard input", func(t *testing.T) {
		t.Setenv("LUNAS_PASSWORD", "")
		path := filepath.Join(t.TempDir(), "shop.db")
		e := &env{DBPath: path, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Stdin: strings.NewReader(testPassword + "\n")}
		if err := runInit(e, []string{"--owner", "sari"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refused PostgreSQL password", func(t *testing.T) {
		u, err := url.Parse(pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		pw, _ := u.User.Password()
		good := u.String()
		u.User = url.UserPassword(u.User.Username(), "salah-"+pw)
		var errb bytes.Buffer
		if code := Main([]string{"--db", u.String(), "init", "--owner", "sari"}, &bytes.Buffer{}, &errb); code != 1 ||
			!strings.Contains(errb.String(), "refused") || !strings.Contains(errb.String(), "menolak") || strings.Contains(errb.String(), "salah-"+pw) {
			t.Fatalf("init with a refused password: exit %d, %q", code, errb.String())
		}
		db := mustOpen(t, good)
		if has, err := hasShop(context.Background(), db); err != nil || has {
			t.Fatalf("something was written: %v %v", has, err)
		}
	})
	t.Run("a database holding a shop", func(t *testing.T) {
		e := &env{DBPath: demo, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
		if err := runInit(e, []string{"--owner", "budi"}); !errors.Is(err, errShopExists) {
			t.Fatalf("init over the demo: %v", err)
		}
	})
}

// TestTerminalQR: the half-block drawing carries the QR code's modules
// exactly (read back two rows per line), inside a light quiet zone.
func TestTerminalQR(t *testing.T) {
	const uri = "otpauth://totp/Lunas:sari?algorithm=SHA1&digits=6&issuer=Lunas&period=30&secret=JBSWY3DPEHPK3PXP"
	s, err := terminalQR(uri, false)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := qr.Encode(uri, qr.M, qr.Auto)
	n := want.Bounds().Dx()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != (n+4+1)/2 {
		t.Fatalf("%d lines for %d modules", len(lines), n)
	}
	light := func(x, y int) bool {
		line := []rune(lines[y/2])
		switch line[x] {
		case '█':
			return true
		case '▀':
			return y%2 == 0
		case '▄':
			return y%2 == 1
		}
		return false
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			r, _, _, _ := want.At(x, y).RGBA()
			if dark := r < 0x8000; dark == light(x+2, y+2) {
				t.Fatalf("module %d,%d drawn wrong", x, y)
			}
		}
	}
	for x := 0; x < n+4; x++ {
		if !light(x, 0) || !light(x, 1) {
			t.Fatalf("quiet zone not light at column %d", x)
		}
	}
	if a, _ := terminalQR(uri, true); !strings.HasPrefix(a, "\x1b[97;40m") {
		t.Fatal("no colours for a terminal")
	}
}

// FuzzSetFlag feeds arbitrary --set arguments to init's KEY=VALUE parser.
func FuzzSetFlag(f *testing.F) {
	for _, s := range []string{"aml.velocity_max=20", "=", "a", "limits.per_transfer=Rp1.000.000", "payout.route={\"a\":\"b\"}=", "gateway.xendit.key1=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		k, v, err := parseSetFlag(kv)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) && !errors.Is(err, errUnknownSetting) {
				t.Fatalf("%q: untyped error %v", kv, err)
			}
			return
		}
		if _, ok := settingSpecs[k]; !ok {
			t.Fatalf("%q accepted unknown key %q", kv, k)
		}
		if again, err := parseSettingValue(k, v); err != nil || again != v {
			t.Fatalf("%q: %q reads back as %q, %v", kv, v, again, err)
		}
	})
}

// FuzzParseRate feeds arbitrary --buyers values to the rate parser: an
// interval between 1 ms and a day, or errRateSyntax.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"5", "5/s", "30/m", "100/h", "0", "-1", "1e3", "NaN", "Inf", "1000", "1001", "0.5/h", "/", "5/d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseRate(s)
		if err != nil {
			if !errors.Is(err, errRateSyntax) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if d < time.Millisecond || d > 24*time.Hour {
			t.Fatalf("%q gives %s", s, d)
		}
	})
}

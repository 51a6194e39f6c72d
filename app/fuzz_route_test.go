package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"lunas/domain"
	"lunas/domain/sqlite"
	"lunas/security"
)

// strictRoute makes FuzzPayoutRouteReadBack fail on a payout.route that
// reads back although `lunas settings set` refuses it (an empty bank code or
// channel, a code over 40 characters, a channel name with other
// characters), or that names one bank code twice with different channels
// ({"bca":"iris","BCA":"xendit"}: which one wins depends on Go's map order).
// shopChannels does not check these today (see /work/review/fuzz15.md), so
// the default run checks that the write path refuses them (collisions
// aside) and that the route is one of those written; with the flag the
// first one fails:
//
//	go test -tags migrated_fynedo -run '^$' -fuzz '^FuzzPayoutRouteReadBack$' ./app/ -route.strict
var strictRoute = flag.Bool("route.strict", false, "FuzzPayoutRouteReadBack: fail when payout.route reads back routes the settings command refuses")

// FuzzPayoutRouteReadBack stores a payout.route value in a real shop's
// settings table (as an older version, an edit or damage may have left it)
// and reads it back the way serve, report and the desktop do: through
// shopChannels, which parses it inline. The shop has Xendit and Iris keys
// in its vault (no network is used). It never panics, and:
//
//   - Refused: exactly the values that are not JSON, or not an object (or
//     null) of strings (or nulls), as read here token by token. The error is
//     typed, *json.SyntaxError or *json.UnmarshalTypeError (errors.As),
//     names the setting, is not errNoGateways, and no channel set is
//     returned (nothing of the value is applied).
//   - Accepted: the routes are exactly the object's entries, each code
//     upper-cased and trimmed and each channel trimmed (the last of equal
//     keys wins; a null channel is ""); nothing else is routed and
//     payout.default is still xendit. A route to a channel that is not set
//     up (anything but xendit and iris) comes with the warning naming it;
//     a route to one that is, with none. A value `lunas settings set`
//     accepts gives the same routes once normalised; a route it refuses
//     (empty code or channel, code over 40 characters, a channel name with
//     other characters) is refused there with domain.ErrInvalid. Two keys
//     that become the same code with different channels route to one of
//     them; with -route.strict any of these fails the target.
func FuzzPayoutRouteReadBack(f *testing.F) {
	// More seeds in testdata/fuzz/FuzzPayoutRouteReadBack.
	for _, s := range []string{
		"", `{"MANDIRI":"iris"}`, ` {"mandiri": "iris"} `, `{"BCA":"doku"}`, `{"GOPAY":"h2h:pulsa","BCA":"xendit"}`,
		`{"BCA":""}`, `{"BCA":null}`, `{" bca ":" IRIS "}`, `{"bca":"iris","BCA":"xendit"}`, `{"BCA":"iris","BCA":"tidak ada"}`,
		`null`, `[]`, `{"BCA":1}`, `{"BCA":"iris"`, `{"BCA":"iris"}x`, `"iris"`,
	} {
		f.Add(s)
	}
	ctx := context.Background()
	vault := security.NewVault(security.VaultOptions{Params: testParams, Keychain: &memKeychain{}})
	db, err := openStore(ctx, &env{DBPath: filepath.Join(f.TempDir(), "lunas.db")}, sqlite.Options{Cipher: vault, SyncNormal: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	sec := security.New(db, vault, security.Options{PasswordParams: testParams})
	enr, err := sec.CreateOwner(ctx, "sari", testPassword)
	if err != nil {
		f.Fatal(err)
	}
	owner := domain.Actor{UserID: enr.UserID, Name: enr.Name, Role: domain.RoleOwner}
	for k, v := range map[string]string{secretXenditKey: "xnd_development_unused", secretIrisCreator: "iris-creator-unused"} {
		if err := sec.SetSecret(ctx, owner, k, v); err != nil {
			f.Fatal(err)
		}
	}
	sh := &shop{DB: db, Sec: sec}
	known := map[string]bool{"xendit": true, "iris": true}

	f.Fuzz(func(t *testing.T, raw string) {
		if err := db.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting(settingPayoutRoute, raw) }); err != nil {
			t.Fatal(err)
		}
		if back := settingOf(ctx, db, settingPayoutRoute); back != raw {
			t.Fatalf("the settings table gives back %q for %q", back, raw)
		}
		cs, err := shopChannels(ctx, sh, gatewayURLs{Sandbox: "http://127.0.0.1:1"}, nil)
		entries, ok := routeEntries(raw)
		if !ok {
			var syn *json.SyntaxError
			var typ *json.UnmarshalTypeError
			switch {
			case err == nil:
				t.Fatalf("%q is not an object of strings but reads as routes %v", raw, cs.Route)
			case cs != nil || errors.Is(err, errNoGateways):
				t.Fatalf("%q: %v with channels %+v", raw, err, cs)
			case !errors.As(err, &syn) && !errors.As(err, &typ):
				t.Fatalf("%q: untyped error %v", raw, err)
			case !strings.Contains(err.Error(), "setting "+settingPayoutRoute+":"):
				t.Fatalf("%q: error %q does not name the setting", raw, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q refused: %v", raw, err)
		}
		if cs.Default != "xendit" {
			t.Fatalf("%q: default %q", raw, cs.Default)
		}

		// The routes: each code's channels as written (more than one when
		// keys differ only in case or spaces).
		want := map[string][]string{}
		for code, ch := range entries {
			c := strings.ToUpper(strings.TrimSpace(code))
			want[c] = appendNew(want[c], strings.TrimSpace(ch))
		}
		if len(cs.Route) != len(want) {
			t.Fatalf("%q routes %v, want %v", raw, cs.Route, want)
		}
		var bad []string
		for code, chs := range want {
			got, ok := cs.Route[code]
			if !ok || !contains(chs, got) {
				t.Fatalf("%q routes %q to %q, want one of %q", raw, code, got, chs)
			}
			if len(chs) > 1 {
				bad = append(bad, "code "+code+" written with channels "+strings.Join(chs, ", "))
			}
			warned := contains(cs.Warnings, "route "+code+" -> "+got+": that channel is not set up; such transfers wait with a reason")
			if known[got] == warned {
				t.Fatalf("%q: route %s -> %q (set up: %v), warnings %q", raw, code, got, known[got], cs.Warnings)
			}
			if code == "" || len(code) > 40 || !channelName(got) {
				bad = append(bad, "route "+code+" -> "+got)
			}
		}

		// The write path: `lunas settings set payout.route`.
		stored, werr := parseSettingValue(settingPayoutRoute, raw)
		collide := false
		for _, chs := range want {
			collide = collide || len(chs) > 1
		}
		switch {
		case werr == nil && !collide:
			var m map[string]string
			if err := json.Unmarshal([]byte(stored), &m); err != nil || len(m) != len(cs.Route) {
				t.Fatalf("%q stored as %q: %v", raw, stored, err)
			}
			for code, ch := range m {
				if cs.Route[code] != ch {
					t.Fatalf("%q stored as %q, which routes %s to %q, read back %q", raw, stored, code, ch, cs.Route[code])
				}
			}
		case werr != nil && !errors.Is(werr, domain.ErrInvalid):
			t.Fatalf("%q: settings set: %v", raw, werr)
		}
		if len(bad) > 0 {
			if !collide && werr == nil {
				t.Fatalf("%q: settings set accepts %v", raw, bad)
			}
			if *strictRoute {
				t.Fatalf("payout.route %q reads back with %q (settings set: %v)", raw, bad, werr)
			}
		}
	})
}

// routeEntries reads a payout.route value as JSON tokens, without
// unmarshalling it into a map: ok for "" (no routes), null, or one object
// whose values are strings or null (""), the last of equal keys winning,
// with nothing after it.
func routeEntries(raw string) (map[string]string, bool) {
	if raw == "" {
		return nil, true
	}
	if !json.Valid([]byte(raw)) {
		return nil, false
	}
	d := json.NewDecoder(strings.NewReader(raw))
	tok, err := d.Token()
	if err != nil {
		return nil, false
	}
	if tok == nil {
		return nil, true
	}
	if tok != json.Delim('{') {
		return nil, false
	}
	out := map[string]string{}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil, false
		}
		v, err := d.Token()
		if err != nil {
			return nil, false
		}
		switch v := v.(type) {
		case string:
			out[k.(string)] = v
		case nil:
			out[k.(string)] = ""
		default:
			return nil, false
		}
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return nil, false
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, false
	}
	return out, true
}

func appendNew(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

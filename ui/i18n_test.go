package ui

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lunas/assets"
	"lunas/domain"
)

func readMessages(t *testing.T, lang string) map[string]string {
	t.Helper()
	data, err := assets.Translations.ReadFile("translations/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

// TestTranslationsComplete checks that both languages have the same keys,
// the same placeholders, and every key the code asks for.
func TestTranslationsComplete(t *testing.T) {
	en, id := readMessages(t, "en"), readMessages(t, "id")
	ph := regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)
	for k, v := range en {
		iv, ok := id[k]
		if !ok {
			t.Errorf("id.json lacks %q", k)
			continue
		}
		a, b := ph.FindAllString(v, -1), ph.FindAllString(iv, -1)
		if strings.Join(sortedCopy(a), ",") != strings.Join(sortedCopy(b), ",") {
			t.Errorf("%q: placeholders differ: en %v, id %v", k, a, b)
		}
	}
	for k := range id {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
	}
	// Every literal key in the code.
	files, _ := filepath.Glob("*.go")
	use := regexp.MustCompile(`\btrf?\("([a-z][A-Za-z0-9_.]*)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(src), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // a prefix; the value lists below cover it
			}
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses %q, missing from the translations", f, m[1])
			}
		}
	}
	// Keys built from values.
	for _, s := range domain.AllTransferStatuses {
		for _, p := range []string{"status.", "explain."} {
			if _, ok := en[p+string(s)]; !ok {
				t.Errorf("missing %s%s", p, s)
			}
		}
	}
	for _, s := range screenOrder {
		if _, ok := en["nav."+s]; !ok {
			t.Errorf("missing nav.%s", s)
		}
	}
	for _, tab := range transferTabs {
		if _, ok := en["transfers.tab."+tab]; !ok {
			t.Errorf("missing transfers.tab.%s", tab)
		}
	}
	for _, k := range reportKinds {
		if _, ok := en["report."+k]; !ok {
			t.Errorf("missing report.%s", k)
		}
	}
	for _, s := range orderStatuses {
		if _, ok := en["order."+string(s)]; !ok {
			t.Errorf("missing order.%s", s)
		}
	}
	for _, r := range []domain.Role{domain.RoleOwner, domain.RoleStaff, domain.RoleViewer} {
		if _, ok := en["role."+string(r)]; !ok {
			t.Errorf("missing role.%s", r)
		}
	}
	for _, s := range []domain.PaymentStatus{domain.PaymentPending, domain.PaymentSettled, domain.PaymentFailed, domain.PaymentExpired, domain.PaymentFlagged} {
		if _, ok := en["payment."+string(s)]; !ok {
			t.Errorf("missing payment.%s", s)
		}
	}
	for _, s := range []domain.ObligationStatus{domain.ObligationOpen, domain.ObligationPaid, domain.ObligationReopened, domain.ObligationVoid} {
		if _, ok := en["obligation."+string(s)]; !ok {
			t.Errorf("missing obligation.%s", s)
		}
	}
	for _, s := range []domain.VerificationState{domain.VerifyNone, domain.VerifyOK, domain.VerifyMismatch, domain.VerifyFailed} {
		if _, ok := en["verify."+string(s)]; !ok {
			t.Errorf("missing verify.%s", s)
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestLanguageSwitchAndFormats(t *testing.T) {
	defer SetLanguage(LangEnglish)
	wib := time.FixedZone("WIB", 7*3600)
	at := time.Date(2026, 8, 17, 2, 5, 0, 0, time.UTC) // 09.05 WIB
	for _, c := range []struct {
		lang               string
		nav, amount, when  string
		status, shortMonth string
	}{
		{LangIndonesian, "Beranda", "Rp1.250.000", "17 Agu 2026 09.05", "Hasil belum diketahui", "17 Agu"},
		{LangEnglish, "Dashboard", "Rp1,250,000", "17 Aug 2026 09:05", "Outcome not known yet", "17 Aug"},
	} {
		SetLanguage(c.lang)
		if got := tr("nav.dashboard"); got != c.nav {
			t.Errorf("%s: nav = %q, want %q", c.lang, got, c.nav)
		}
		if got := money(1_250_000); got != c.amount {
			t.Errorf("%s: money = %q, want %q", c.lang, got, c.amount)
		}
		if got := dateTime(at, wib); got != c.when {
			t.Errorf("%s: date = %q, want %q", c.lang, got, c.when)
		}
		if got := statusText(domain.TransferUnknown); got != c.status {
			t.Errorf("%s: status = %q, want %q", c.lang, got, c.status)
		}
		if got := shortDate(at.In(wib)); got != c.shortMonth {
			t.Errorf("%s: short date = %q, want %q", c.lang, got, c.shortMonth)
		}
	}
	if got := dateTime(time.Time{}, wib); got != "" {
		t.Errorf("zero time = %q, want empty", got)
	}
	SetLanguage(LangEnglish)
	if got := money(-5000); got != "-Rp5,000" {
		t.Errorf("negative = %q", got)
	}
}

func TestUserMessages(t *testing.T) {
	SetLanguage(LangEnglish)
	for _, c := range []struct {
		err  error
		want string
	}{
		{&domain.PermissionError{Role: domain.RoleStaff, Perm: domain.PermApprove}, "Your role may not do this. Ask the owner."},
		{domain.Invalid("amount", "must be more than Rp0"), "Please check: Amount: must be more than Rp0"},
		{domain.Invalid("", "must be more than Rp0"), "Please check: must be more than Rp0"},
		{errors.Join(errors.New("x"), domain.ErrUnsafe), "Refused: this could pay twice. Check the status first."},
		{context.DeadlineExceeded, "The gateway took too long to answer. Nothing was lost; try again in a moment."},
		{ErrBadCode, "That code is not right. Type the newest code from your authenticator app."},
		{errors.New("secret detail sk_test_123"), "Something went wrong. Please try again; the details are in the log file (Settings, Log file)."},
	} {
		if got := userMessage(c.err); got != c.want {
			t.Errorf("userMessage(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestNamesMatch(t *testing.T) {
	for _, c := range []struct {
		holder, name string
		want         bool
	}{
		{"ANI SURYANI", "Bu Ani Suryani", true},
		{"ANI S", "Ani Suryani", true},
		{"BUDI", "Ani Suryani", false},
		{"", "Ani", false},
		{"PT. BATIK SARI", "Batik Sari", false},
	} {
		if got := namesMatch(c.holder, c.name); got != c.want {
			t.Errorf("namesMatch(%q, %q) = %v, want %v", c.holder, c.name, got, c.want)
		}
	}
}

// TestPagerFetchesEachPageOnceAndDropsStaleAnswers uses a counting source:
// the pager's own logic, independent of any store.
func TestPagerFetchesEachPageOnceAndDropsStaleAnswers(t *testing.T) {
	var fetches atomic.Int32
	gen := atomic.Int32{}
	p := newPager(func(_ context.Context, off, lim int) ([]int, error) {
		fetches.Add(1)
		out := make([]int, 0, lim)
		for i := off; i < off+lim && i < 250; i++ {
			out = append(out, i+int(gen.Load())*1000)
		}
		return out, nil
	}, func(context.Context) (int, error) { return 250, nil })
	if n := p.Len(); n != 0 {
		t.Fatalf("Len before count = %d", n)
	}
	p.Wait()
	testQueue.drain()
	if n := p.Len(); n != 250 {
		t.Fatalf("Len = %d, want 250", n)
	}
	// The first page came with the count; asking again fetches nothing.
	for _, i := range []int{0, 5, 99} {
		if v, ok := p.Row(i); !ok || v != i {
			t.Fatalf("row %d = %d, %v", i, v, ok)
		}
	}
	p.Wait()
	if got := fetches.Load(); got != 1 {
		t.Fatalf("fetches = %d, want 1 for one page", got)
	}
	if _, ok := p.Row(249); ok {
		t.Fatal("last page cached before fetch")
	}
	p.Row(201) // same page: no second fetch
	p.Wait()
	if v, ok := p.Row(249); !ok || v != 249 {
		t.Fatalf("row 249 = %d, %v", v, ok)
	}
	if got := fetches.Load(); got != 2 {
		t.Fatalf("fetches = %d, want 2", got)
	}
	gen.Store(1)
	p.Reset()
	p.Wait()
	testQueue.drain()
	if v, _ := p.Row(0); v != 1000 {
		t.Fatalf("row 0 after reset = %d, want fresh data", v)
	}
}

// FuzzNamesMatch: holder names come from gateways (outside input). Any
// input must not panic, a name always matches itself when it has letters,
// and an empty side never matches.
func FuzzNamesMatch(f *testing.F) {
	for _, s := range [][2]string{{"ANI SURYANI", "Bu Ani Suryani"}, {"PT. BATIK", "Batik"}, {"", "x"}, {"Ñandú ÄÖ", "ñandú"}, {"\x00\xff", "a b"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, holder, name string) {
		got := namesMatch(holder, name)
		if strings.TrimSpace(holder) == "" && got {
			t.Fatalf("empty holder matched %q", name)
		}
		hasLetter := strings.IndexFunc(strings.ToUpper(name), func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0
		if hasLetter && !namesMatch(name, name) {
			t.Fatalf("%q does not match itself", name)
		}
	})
}

func TestSettingsLanguageSwitchRebuildsScreens(t *testing.T) {
	env := newTestEnv(t, false)
	u := newTestUI(t, env.services(), domain.RoleOwner)
	defer SetLanguage(LangEnglish)
	u.Navigate(ScreenSettings)
	if !markupHas(u, "Dashboard") {
		t.Fatal("not English to begin with")
	}
	// Choose Indonesian in the language select.
	var sel *widget.Select
	for _, o := range test.LaidOutObjects(u.win.Content()) {
		if w, ok := o.(*widget.Select); ok && len(w.Options) == 3 && w.Options[1] == "Bahasa Indonesia" {
			sel = w
		}
	}
	if sel == nil {
		t.Fatal("no language select")
	}
	sel.SetSelected("Bahasa Indonesia")
	waitIdle(u)
	if u.Current() != ScreenSettings || !markupHas(u, "Beranda") || !markupHas(u, "Pengaturan") {
		t.Fatal("screens not rebuilt in Indonesian")
	}
	if got := u.setting(SettingLanguage); got != LangIndonesian {
		t.Errorf("stored language = %q", got)
	}
}

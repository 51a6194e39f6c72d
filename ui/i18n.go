package ui

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"lunas/assets"
	"lunas/domain"
)

// Languages the desktop speaks. The default follows the system locale.
const (
	LangSystem     = ""
	LangIndonesian = "id"
	LangEnglish    = "en"
)

var (
	langMu     sync.Mutex
	langLoaded bool
	langChosen string // "" follows the system
)

// loadTranslations registers assets/translations with fyne's lang package once.
func loadTranslations() {
	langMu.Lock()
	defer langMu.Unlock()
	if langLoaded {
		return
	}
	langLoaded = true
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		fyne.LogError("loading translations", err)
	}
}

// SetLanguage chooses the desktop's language: LangIndonesian, LangEnglish or
// LangSystem. fyne's lang package always follows the system locale, so a
// choice that differs from it is applied by loading the chosen messages under
// the system language's tag; every key exists in both files, so the swap is
// complete. Screens built afterwards use the new language.
func SetLanguage(code string) {
	loadTranslations()
	langMu.Lock()
	defer langMu.Unlock()
	langChosen = code
	target := code
	if target == LangSystem {
		target = systemLanguage()
	}
	data, err := assets.Translations.ReadFile("translations/" + target + ".json")
	if err != nil {
		fyne.LogError("reading translations for "+target, err)
		return
	}
	sys := fyne.Locale(lang.SystemLocale().LanguageString())
	if err := lang.AddTranslationsForLocale(data, sys); err != nil {
		fyne.LogError("applying translations for "+target, err)
	}
}

// systemLanguage is "id" when the system prefers Indonesian, else "en".
func systemLanguage() string {
	base, _, _ := strings.Cut(lang.SystemLocale().String(), "-")
	if base == LangIndonesian {
		return LangIndonesian
	}
	return LangEnglish
}

// currentLanguage is the language in effect.
func currentLanguage() string {
	langMu.Lock()
	defer langMu.Unlock()
	if langChosen != LangSystem {
		return langChosen
	}
	return systemLanguage()
}

// tr translates a message key. A key missing from the files shows as itself,
// which the translation test catches.
func tr(key string) string {
	loadTranslations()
	return lang.X(key, key)
}

// trf translates a key whose message has {{.Name}} placeholders.
func trf(key string, data map[string]any) string {
	loadTranslations()
	return lang.X(key, key, data)
}

// money formats rupiah for the current language: Rp1.250.000 in Indonesian,
// Rp1,250,000 in English (domain.Rupiah.Format, the one way Lunas writes
// money). Never a decimal part: Lunas has no fractions.
func money(r domain.Rupiah) string { return r.Format(currentLanguage()) }

// Money is money for the language the desktop speaks now, for code outside
// the screens (notifications, the tray, app's messages).
func Money(r domain.Rupiah) string { return money(r) }

// Language is the language the desktop speaks now: LangIndonesian or
// LangEnglish (reports and messages follow it).
func Language() string { return currentLanguage() }

var monthsID = [...]string{"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"}

// dateTime formats a moment in the shop's zone: "22 Nov 2026 14.05" in
// Indonesian, "22 Nov 2026 14:05" in English; empty for a zero time.
func dateTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.Local
	}
	t = t.In(loc)
	if currentLanguage() == LangIndonesian {
		return strconv.Itoa(t.Day()) + " " + monthsID[t.Month()-1] + " " + strconv.Itoa(t.Year()) + " " + t.Format("15.04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// shortDate formats a day for the chart: "22 Nov" (Agu, Okt, Des, Mei in Indonesian).
func shortDate(t time.Time) string {
	if currentLanguage() == LangIndonesian {
		return strconv.Itoa(t.Day()) + " " + monthsID[t.Month()-1]
	}
	return t.Format("2 Jan")
}

// statusText is a transfer status in plain words.
func statusText(s domain.TransferStatus) string { return tr("status." + string(s)) }

// Package locale makes the process's language one Fyne can read, before
// Fyne's packages initialise. Fyne reads the locale from LC_ALL, LC_MESSAGES
// or LANG while its lang package initialises (before main runs) and logs
// "Error parsing user locale C" for the common C.UTF-8 and POSIX.UTF-8: the
// "C" in front is not a language. Here, before that, such a locale gets
// LANGUAGE=en (what Fyne falls back to for C anyway), which only names the
// language of messages: character handling (LC_CTYPE, UTF-8) is untouched.
//
// The package imports only os, so Go initialises it as soon as os is ready,
// long before fyne.io/fyne/v2/lang and its dependencies; main and app import
// it for that effect, and app's test checks that `lunas version` under
// LANG=C.UTF-8 prints only the version.
package locale

import "os"

func init() { Fix() }

// Fix sets LANGUAGE=en when the locale in effect is C or POSIX with an
// encoding ("C.UTF-8") and LANGUAGE is not set; otherwise it does nothing.
func Fix() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	v := ""
	for _, k := range [...]string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v = os.Getenv(k); v != "" {
			break
		}
	}
	base := v
	for i := 0; i < len(v); i++ {
		if v[i] == '.' || v[i] == '@' {
			base = v[:i]
			break
		}
	}
	if (base == "C" || base == "POSIX") && v != base {
		_ = os.Setenv("LANGUAGE", "en")
	}
}

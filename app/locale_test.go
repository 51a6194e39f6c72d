package app

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestVersionQuietUnderCLocale: `lunas version` under the C locales prints
// the version and nothing else (Fyne logged "Error parsing user locale C"
// three times under C.UTF-8). It runs this test binary again as the
// command, because the locale is read while the packages initialise.
func TestVersionQuietUnderCLocale(t *testing.T) {
	if os.Getenv("LUNAS_TEST_VERSION_CHILD") == "1" {
		os.Exit(Main([]string{"version"}, os.Stdout, os.Stderr))
	}
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE":
		default:
			env = append(env, kv)
		}
	}
	for _, loc := range []string{"LANG=C", "LANG=C.UTF-8", "LANG=POSIX", "LC_ALL=C.UTF-8", "LANG=POSIX.UTF-8", "LANG=en_US.UTF-8", "LANG=id_ID.UTF-8"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestVersionQuietUnderCLocale$")
		cmd.Env = append(append([]string(nil), env...), loc, "LUNAS_TEST_VERSION_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || string(out) != "lunas "+Version+"\n" {
			t.Errorf("%s lunas version: %v, printed %q; want only %q", loc, err, out, "lunas "+Version+"\n")
		}
	}
}

package h2h

import "regexp"

func mustRe(s string) *regexp.Regexp { return regexp.MustCompile(s) }

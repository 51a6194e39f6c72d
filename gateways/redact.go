package gateways

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/url"
	"strings"
	"sync"
)

// Redacted replaces secrets in text.
const Redacted = "[REDACTED]"

// Redactor removes known secret values (keys, PINs, passwords, OTPs) from
// text before it reaches a log or an error. It is safe for concurrent use;
// a nil *Redactor redacts nothing.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// NewRedactor returns a Redactor for the given secrets; empty values are ignored.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secrets. For each it also registers the forms the value
// takes on the wire: HTTP Basic credentials (base64 of "secret:") and URL
// query escaping.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		forms := []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s + ":"))}
		for _, f := range forms {
			if !contains(r.secrets, f) {
				r.secrets = append(r.secrets, f)
			}
		}
	}
	// Longest first, so a secret that contains another is removed whole.
	sortByLenDesc(r.secrets)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortByLenDesc(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && len(s[j]) > len(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// String returns s with every registered secret replaced by Redacted, and
// with the values of query parameters whose names look secret (pin,
// password, sign, key, otp, token) replaced too.
func (r *Redactor) String(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, sec := range r.secrets {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
		r.mu.RUnlock()
	}
	return redactQueryParams(s)
}

// sensitiveParams are query parameter names whose values are never shown,
// whether or not the value was registered.
var sensitiveParams = []string{"pin", "password", "pass", "pwd", "sign", "signature", "key", "secret", "otp", "token"}

// redactQueryParams hides name=value pairs whose name is sensitive.
func redactQueryParams(s string) string {
	if !strings.Contains(s, "=") {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			b.WriteString(s[i:])
			break
		}
		eq += i
		// name is the run of [A-Za-z_-] before '='.
		start := eq
		for start > i && isNameByte(s[start-1]) {
			start--
		}
		name := strings.ToLower(s[start:eq])
		b.WriteString(s[i : eq+1])
		end := eq + 1
		if isSensitive(name) {
			for end < len(s) && !strings.ContainsRune("&; \t\r\n\"',)", rune(s[end])) {
				end++
			}
			if end > eq+1 {
				b.WriteString(Redacted)
			}
		}
		i = end
	}
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isSensitive(name string) bool {
	for _, p := range sensitiveParams {
		if name == p || strings.HasSuffix(name, "_"+p) || strings.HasSuffix(name, "-"+p) {
			return true
		}
	}
	return false
}

// Handler wraps h so that every log message and string attribute is
// redacted by r before h sees it.
func (r *Redactor) Handler(h slog.Handler) slog.Handler { return &redactHandler{h: h, r: r} }

type redactHandler struct {
	h slog.Handler
	r *Redactor
}

func (rh *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return rh.h.Enabled(ctx, l) }

func (rh *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, rh.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(rh.attr(a))
		return true
	})
	return rh.h.Handle(ctx, out)
}

func (rh *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, rh.r.String(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]any, len(attrs))
		for i, g := range attrs {
			out[i] = rh.attr(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, rh.r.String(err.Error()))
		}
		return slog.String(a.Key, rh.r.String(v.String()))
	default:
		return slog.Attr{Key: a.Key, Value: v}
	}
}

func (rh *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = rh.attr(a)
	}
	return &redactHandler{h: rh.h.WithAttrs(out), r: rh.r}
}

func (rh *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: rh.h.WithGroup(name), r: rh.r}
}

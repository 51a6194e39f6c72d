package postgres

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"lunas/domain"
)

// micros stores a time as UTC microseconds since the epoch; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// nullID stores an optional reference: 0 becomes NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullStr stores an optional unique text: "" becomes NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rebound caches rebind's results by query text.
var rebound sync.Map

// rebind numbers the '?' placeholders of q as $1, $2, ... (outside quoted
// literals), so that queries read like their domain/sqlite twins.
func rebind(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	rebound.Store(q, out)
	return out
}

// notFound wraps ErrNotFound with what was looked up.
func notFound(what string, key any) error {
	return fmt.Errorf("%s %v: %w", what, key, domain.ErrNotFound)
}

// noRows maps sql.ErrNoRows to ErrNotFound.
func noRows(err error, what string, key any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what, key)
	}
	if err != nil {
		return fmt.Errorf("%s %v: %w", what, key, err)
	}
	return nil
}

// where accumulates AND-ed conditions ('?' placeholders) and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (?,?,...)" for a non-empty list.
func in[T ~string](w *where, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = string(v)
	}
	w.add(col+" IN ("+ph+")", args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// likeContains returns a LIKE pattern matching s anywhere, escaping with '\'.
// Searches use ILIKE: SQLite's LIKE ignores (ASCII) case, and so must this.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// pageSQL renders LIMIT/OFFSET for a domain.Page.
func pageSQL(p domain.Page) string {
	if p.Limit <= 0 && p.Offset <= 0 {
		return ""
	}
	lim := "ALL"
	if p.Limit > 0 {
		lim = strconv.Itoa(p.Limit)
	}
	return fmt.Sprintf(" LIMIT %s OFFSET %d", lim, max(p.Offset, 0))
}

// casFailed distinguishes a missing row from a lost compare-and-set after an
// UPDATE ... WHERE key=? AND status=? touched no row.
func (t *Tx) casFailed(table, keyCol string, key any, what string, from any) error {
	var cur string
	err := t.queryRow("SELECT status FROM "+table+" WHERE "+keyCol+" = ?", key).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what, key)
	}
	if err != nil {
		return fmt.Errorf("%s %v: %w", what, key, err)
	}
	return fmt.Errorf("%s %v is %s, not %v: %w", what, key, cur, from, domain.ErrConflict)
}

package storetest_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"lunas/domain/postgres"
	"lunas/domain/sqlite"
)

// methods returns the exported methods of t by name with their signatures.
func methods(t reflect.Type) map[string]string {
	out := map[string]string{}
	for i := range t.NumMethod() {
		m := t.Method(i)
		sig := m.Type.String()[strings.Index(m.Type.String(), "("):]
		// The stores' own types (*sqlite.Tx, *postgres.Tx) stand for each other.
		out[m.Name] = strings.NewReplacer("*sqlite.", "*store.", "*postgres.", "*store.").Replace(sig)
	}
	return out
}

// receiverless removes the receiver from a method signature string.
func receiverless(sig string) string {
	sig = strings.TrimPrefix(sig, "(")
	if i := strings.IndexAny(sig, ",)"); i >= 0 {
		if sig[i] == ',' {
			return "(" + strings.TrimSpace(sig[i+1:])
		}
		return "(" + sig[i+1:]
	}
	return sig
}

// TestStoresOfferTheSameMethods: every method of the SQLite store's
// transaction and database types exists on the PostgreSQL store's with the
// same signature, so that whatever the application asserts on one
// (tx.(engine.WatchStore), tx.(ui.TransferSeeker), ...) it finds on the
// other. A method added to one store must be added to the other.
func TestStoresOfferTheSameMethods(t *testing.T) {
	for _, c := range []struct {
		name      string
		sqlite    reflect.Type
		postgres  reflect.Type
		fileOnly  []string // methods that only make sense for a file
		serveOnly []string
	}{
		{"Tx", reflect.TypeFor[*sqlite.Tx](), reflect.TypeFor[*postgres.Tx](), nil,
			// Saving round trips to a server: optional ports the engine
			// uses when a store has them (engine.Prefetcher, engine.MailQueuer,
			// engine.TransferQueuer).
			[]string{"PrefetchPayments", "PrefetchTransfers", "QueueMail", "QueueTransfer"}},
		{"DB", reflect.TypeFor[*sqlite.DB](), reflect.TypeFor[*postgres.DB](),
			[]string{"Path", "Check", "Backup"}, // a server has its own integrity and backups (pg_dump)
			[]string{"Where", "Load"}},          // a server's name; a shop copied in (db copy)
	} {
		sm, pm := methods(c.sqlite), methods(c.postgres)
		for name, sig := range sm {
			if slices.Contains(c.fileOnly, name) {
				continue
			}
			psig, ok := pm[name]
			switch {
			case !ok:
				t.Errorf("*postgres.%s lacks %s%s (implement it in domain/postgres and test it in domain/storetest)", c.name, name, receiverless(sig))
			case name == "SQL":
				// Each store's own statements, for tests and tools.
			case receiverless(psig) != receiverless(sig):
				t.Errorf("*postgres.%s.%s is %s, *sqlite.%s.%s is %s", c.name, name, receiverless(psig), c.name, name, receiverless(sig))
			}
		}
		for name, sig := range pm {
			if _, ok := sm[name]; !ok && !slices.Contains(c.serveOnly, name) && name != "SQL" {
				t.Errorf("*sqlite.%s lacks %s%s that *postgres.%s has", c.name, name, receiverless(sig), c.name)
			}
		}
	}
}

// TestMigrationsAreTwins: every SQLite migration has a PostgreSQL twin with
// the same number and name, and the other way round.
func TestMigrationsAreTwins(t *testing.T) {
	list := func(dir string) []string {
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			if strings.HasSuffix(e.Name(), ".sql") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	s, p := list("../sqlite/migrations"), list("../postgres/migrations")
	for _, n := range s {
		if !slices.Contains(p, n) {
			t.Errorf("domain/sqlite/migrations/%s has no twin in domain/postgres/migrations", n)
		}
	}
	for _, n := range p {
		if !slices.Contains(s, n) {
			t.Errorf("domain/postgres/migrations/%s has no twin in domain/sqlite/migrations", n)
		}
	}
}

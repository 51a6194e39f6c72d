package security

import (
	"bytes"
	"os"
	"testing"

	"lunas/domain"
)

func readDBFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(path + suffix)
		if err == nil {
			out[path+suffix] = b
		}
	}
	return out
}

func containsAny(files map[string][]byte, needles ...string) bool {
	for _, b := range files {
		for _, n := range needles {
			if n != "" && bytes.Contains(b, []byte(n)) {
				return true
			}
		}
	}
	return false
}

// TestNoPlaintextSecretsOnDisk stores payees (through the store with the
// vault as cipher), gateway keys, a PIN, the SMTP password and a TOTP secret,
// then scans the raw bytes of the database file and its WAL, both while the
// WAL still holds the writes and after the database is closed (checkpointed).
func TestNoPlaintextSecretsOnDisk(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, enr := f.owner()
	_, staffEnr := f.user(owner, "ani", domain.RoleStaff)
	payees := []struct{ name, acct string }{{"Siti Aminah", "8831234567"}, {"Budi Santoso", "0029876543210"}, {"Wayan", "7770001112"}}
	plain := []string{enr.Secret, staffEnr.Secret}
	for _, p := range payees {
		f.payee(p.name, p.acct, "")
		plain = append(plain, p.acct)
	}
	secrets := map[string]string{
		"xendit.secret_key":     "xnd_development_Zq8JrQyT4pLmN2vBc7DsF1hKoW3eA6gU",
		"midtrans.server_key":   "SB-Mid-server-9fGh2JkLmNoPqRsTuVwX",
		"midtrans.iris_approve": "IRIS-APPROVER-KEY-5544332211",
		"h2h.supplier_a.pin":    "739146",
		SecretSMTPPassword:      "smtp-pass-Kucing-Oren-77",
	}
	for k, v := range secrets {
		if err := f.svc.SetSecret(f.ctx, owner, k, v); err != nil {
			t.Fatal(err)
		}
		plain = append(plain, v)
	}
	// The values must round-trip before we look at the disk.
	for k, v := range secrets {
		if got, err := f.svc.Secret(f.ctx, k); err != nil || got != v {
			t.Fatalf("secret %s = %q, %v", k, got, err)
		}
	}

	check := func(when string, files map[string][]byte) {
		t.Helper()
		for _, s := range plain {
			for name, b := range files {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: %q found in plain text in %s", when, s, name)
				}
			}
		}
	}
	// Before the checkpoint: the writes are in the WAL.
	open := readDBFiles(t, f.path)
	wal := open[f.path+"-wal"]
	if len(wal) == 0 {
		t.Fatal("no WAL to scan while the database is open")
	}
	if !bytes.Contains(wal, []byte("Siti Aminah")) {
		t.Fatal("the WAL does not hold the payee rows: the scan would prove nothing")
	}
	check("open (WAL)", open)

	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	closed := readDBFiles(t, f.path)
	if !bytes.Contains(closed[f.path], []byte("Siti Aminah")) {
		t.Fatal("the main file does not hold the payee rows after checkpoint")
	}
	check("closed", closed)
	f.open()
}

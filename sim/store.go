package sim

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lunas/domain"
	"lunas/domain/sqlite"
)

// crashStore is the store as the simulated process sees it. At the crash
// point it stops the world: the write transaction that is about to commit
// is rolled back (an uncommitted transaction is lost with the process), and
// every later read or write fails, so that nothing the dying process still
// does reaches the database. The simulator then throws the engine away and
// starts a new one on the same file (only what was committed survives).
type crashStore struct {
	inner domain.Store
	w     *world
}

func (s *crashStore) Read(ctx context.Context, fn func(domain.ReadTx) error) error {
	if s.w.crashed {
		return errCrashed
	}
	s.w.model.stats.Reads++
	s.w.txDepth++
	defer func() { s.w.txDepth-- }()
	return s.inner.Read(ctx, fn)
}

func (s *crashStore) Write(ctx context.Context, fn func(domain.Tx) error) error {
	if s.w.crashed {
		return errCrashed
	}
	s.w.model.stats.Writes++
	s.w.interleave("before a write", false)
	if s.w.crashed {
		return errCrashed
	}
	s.w.txDepth++
	err := s.inner.Write(ctx, func(tx domain.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		s.w.commits++
		if p := s.w.crashPlan; p.at == crashAtCommit && p.n == s.w.commits && !p.after {
			s.w.crash(fmt.Sprintf("before commit %d", p.n))
			return errCrashed // rolled back: lost with the process
		}
		return nil
	})
	s.w.txDepth--
	if err == nil {
		if p := s.w.crashPlan; p.at == crashAtCommit && p.n == s.w.commits && p.after {
			s.w.crash(fmt.Sprintf("just after commit %d", p.n))
		}
	}
	return err
}

func (s *crashStore) Close() error { return nil }

// simCipher is AES-256-GCM with a fixed key: the simulated shop's sealed
// account numbers are test data, and a fixed key lets every run open the
// same template database.
type simCipher struct{ a cipher.AEAD }

func newSimCipher() *simCipher {
	key := make([]byte, 32)
	copy(key, "lunas-sim-fixed-test-key-32bytes")
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return &simCipher{a}
}

func (c *simCipher) ad(r domain.FieldRef) []byte {
	return fmt.Appendf(nil, "%s/%s/%d", r.Table, r.Column, r.Row)
}

func (c *simCipher) Seal(p string, r domain.FieldRef) ([]byte, error) {
	n := make([]byte, c.a.NonceSize())
	rand.Read(n) // a nonce is not part of any trace
	return c.a.Seal(n, n, []byte(p), c.ad(r)), nil
}

func (c *simCipher) Open(ct []byte, r domain.FieldRef) (string, error) {
	ns := c.a.NonceSize()
	if len(ct) < ns {
		return "", errors.New("sealed value too short")
	}
	p, err := c.a.Open(nil, ct[:ns], ct[ns:], c.ad(r))
	return string(p), err
}

// template is the shop every run starts from: a migrated database with the
// payees, payout rules and products of shop.go, made once per process and
// copied for each run (migrating a fresh file costs more than a short run).
var template struct {
	once sync.Once
	data []byte
	err  error
}

// templateDB returns the bytes of the template database.
func templateDB(dir string) ([]byte, error) {
	template.once.Do(func() {
		tdir, err := os.MkdirTemp(dir, "lunas-sim-template-")
		if err != nil {
			template.err = err
			return
		}
		defer os.RemoveAll(tdir)
		path := filepath.Join(tdir, "shop.db")
		ctx := context.Background()
		db, err := sqlite.Open(ctx, path, sqlite.Options{Cipher: newSimCipher(), Now: func() time.Time { return simEpoch }, SyncNormal: true, OpenCheck: sqlite.CheckNone, Readers: 1})
		if err != nil {
			template.err = err
			return
		}
		if err := seedShop(ctx, db); err != nil {
			db.Close()
			template.err = fmt.Errorf("seed the simulated shop: %w", err)
			return
		}
		if err := db.Close(); err != nil {
			template.err = err
			return
		}
		template.data, template.err = os.ReadFile(path)
	})
	return template.data, template.err
}

// scratchDir is where run databases live: tmpfs when the machine has one.
func scratchDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

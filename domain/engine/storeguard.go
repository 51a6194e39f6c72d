package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"lunas/domain"
)

// storeRetry is how often a store that went away is tried again.
const storeRetry = time.Second

// storeGuard is the engine's view of the store. While the store answers it
// passes every call through. After an answer matching
// domain.ErrStoreUnavailable (a database server that went away) the engine
// pauses: it publishes EventStoreDown once, lets one call through per
// storeRetry and refuses the rest at once, so that its loops neither hammer
// the server nor flood the log; the first call that gets an answer resumes it
// (EventStoreUp). Nothing is lost meanwhile: a transaction that did not
// commit left nothing behind, and every loop picks its work up again from
// the store.
type storeGuard struct {
	inner domain.Store
	e     *Engine

	mu      sync.Mutex
	down    bool
	last    error
	nextTry time.Time
}

func (g *storeGuard) Read(ctx context.Context, fn func(domain.ReadTx) error) error {
	if err := g.gate(); err != nil {
		return err
	}
	err := g.inner.Read(ctx, fn)
	g.note(err)
	return err
}

func (g *storeGuard) Write(ctx context.Context, fn func(domain.Tx) error) error {
	if err := g.gate(); err != nil {
		return err
	}
	err := g.inner.Write(ctx, fn)
	g.note(err)
	return err
}

func (g *storeGuard) Close() error { return g.inner.Close() }

// gate refuses a call while the store is down, except one per storeRetry.
func (g *storeGuard) gate() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.down {
		return nil
	}
	now := g.e.now()
	if now.Before(g.nextTry) {
		return fmt.Errorf("engine paused until the database answers again: %w", g.last)
	}
	g.nextTry = now.Add(storeRetry)
	return nil
}

// note records whether the store answered.
func (g *storeGuard) note(err error) {
	unavailable := domain.IsStoreUnavailable(err)
	g.mu.Lock()
	was := g.down
	g.down = unavailable
	if unavailable {
		g.last = err
		if !was {
			g.nextTry = g.e.now().Add(storeRetry)
		}
	}
	g.mu.Unlock()
	switch {
	case unavailable && !was:
		g.e.log.Warn("database not answering; engine paused", "err", err)
		g.e.publish(Event{Kind: EventStoreDown, Message: "database tidak dapat dihubungi; pengiriman berhenti sampai kembali / " +
			"the database cannot be reached; sending is paused until it is back"})
	case !unavailable && was:
		g.e.log.Info("database answers again; engine resumed")
		g.e.publish(Event{Kind: EventStoreUp, Message: "database kembali; pengiriman berjalan lagi / the database is back; sending resumed"})
	}
}

// StoreDown reports whether the engine is paused because its database does
// not answer.
func (e *Engine) StoreDown() bool {
	e.guard.mu.Lock()
	defer e.guard.mu.Unlock()
	return e.guard.down
}

// warn logs a loop's error, except the store being unavailable, which the
// guard reports once.
func (e *Engine) warn(msg string, err error) {
	if domain.IsStoreUnavailable(err) {
		return
	}
	e.log.Warn(msg, "err", err)
}

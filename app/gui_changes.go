package app

import (
	"context"

	"lunas/ui"
)

// changeWatcher is a store that hears writes committed by other handles
// on the same database: other desks on a PostgreSQL shop (LISTEN/NOTIFY),
// or serve beside the desktop on one SQLite file (data_version).
type changeWatcher interface {
	WatchChanges(ctx context.Context, changed func()) error
}

// watchOtherDesks tells every subscriber (the desktop's screens) that
// something changed whenever db does, so a desk shows what another desk or
// the engine in another process did: the store hears a PostgreSQL commit
// at once and SQLite's within its poll, and the screens reload at most
// twice a second (ui.UI.subscribe). The returned stop ends the watch.
func (g *guiServices) watchOtherDesks(db shopDB) (stop func()) {
	w, ok := db.(changeWatcher)
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.WatchChanges(ctx, func() { g.broadcast(ui.Event{Kind: ui.EventChanged}) }); err != nil {
			g.log.Warn("watching for other desks' changes stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// broadcast hands ev to every subscriber.
func (g *guiServices) broadcast(ev ui.Event) {
	g.mu.Lock()
	fns := make([]func(ui.Event), 0, len(g.subs))
	for _, fn := range g.subs {
		fns = append(fns, fn)
	}
	g.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}

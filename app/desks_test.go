package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"lunas/domain"
	"lunas/ui"
)

// TestDesksSeeEachOthersChanges: two desktops on one shop (PostgreSQL, and
// a SQLite file shared with serve): a write committed by one reaches the
// other's screens as ui.EventChanged, which reloads the visible screen
// within half a second (ui.UI.subscribe; TestEngineEventsRefreshTheScreenAndNotify).
// The wait is on delivery, not on a deadline; the measured delay is logged.
func TestDesksSeeEachOthersChanges(t *testing.T) {
	for _, store := range []string{"postgres", "sqlite"} {
		t.Run(store, func(t *testing.T) {
			var path string
			if store == "postgres" {
				path = newPGTestShop(t, nil).Path
			} else {
				s := newTestShop(t, nil)
				path = s.Path
				s.DB.Close()
				path = filepath.Clean(path)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			ctx := context.Background()
			a, err := newGUIServices(ctx, path, log)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := newGUIServices(ctx, path, log)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			heard := make(chan time.Time, 64)
			unsub := a.Subscribe(func(ev ui.Event) {
				if ev.Kind == ui.EventChanged {
					select {
					case heard <- time.Now():
					default:
					}
				}
			})
			defer unsub()
			// Desk b writes until desk a hears it (a's watch may start
			// listening after b's first write).
			var wrote time.Time
			n := 0
			write := func() {
				n++
				wrote = time.Now()
				if err := b.store.Write(ctx, func(tx domain.Tx) error { return tx.SetSetting("desk.note", strconv.Itoa(n)) }); err != nil {
					t.Fatal(err)
				}
			}
			write()
			var at time.Time
			got := waitProgress(t, func() bool {
				select {
				case at = <-heard:
					return true
				case <-time.After(300 * time.Millisecond):
					write()
					return false
				}
			}, nil) // writing is not progress: it fails when nothing is heard for stallLimit
			if !got {
				t.Fatalf("desk a never heard desk b's %d writes", n)
			}
			t.Logf("%s: desk a heard desk b's write %s after its commit", store, at.Sub(wrote).Round(time.Millisecond))
		})
	}
}

package sqlite

import (
	"context"
	"time"
)

// changesEvery is how often WatchChanges looks at the file.
const changesEvery = 500 * time.Millisecond

// WatchChanges calls changed after write transactions commit, by this or
// any other process on the file, until ctx ends: it reads PRAGMA
// data_version, which changes when another connection has committed, on a
// read connection of its own twice a second.
func (db *DB) WatchChanges(ctx context.Context, changed func()) error {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return db.classify("watch changes", err)
	}
	defer conn.Close()
	var last int64
	if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&last); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return db.classify("watch changes", err)
	}
	t := time.NewTicker(changesEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var v int64
		if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return db.classify("watch changes", err)
		}
		if v != last {
			last = v
			changed()
		}
	}
}

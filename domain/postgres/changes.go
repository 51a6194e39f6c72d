package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the channel every committed write transaction notifies
// (NOTIFY in WriteTx), so that every desk on the shop refreshes at once.
const changesChannel = "lunas_changes"

// WatchChanges calls changed after write transactions commit, by this or
// any other process on the database, until ctx ends. It listens on a
// connection of its own (LISTEN lunas_changes); when that connection is
// lost it calls changed (something may have happened meanwhile) and listens
// again once the server answers, trying every second.
func (db *DB) WatchChanges(ctx context.Context, changed func()) error {
	for {
		err := db.listen(ctx, changed)
		if ctx.Err() != nil {
			return nil
		}
		_ = err // the server went away; try again
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
		changed()
	}
}

func (db *DB) listen(ctx context.Context, changed func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		changed()
	}
}

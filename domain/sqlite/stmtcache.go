package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the statements that transactions run again and again
// prepared on each connection of a pool, across transactions: parsing SQL
// was a fifth of the simulator's CPU time (docs/BENCHMARKS.md, sim), because
// a transaction's own cache (Tx.stmts) ends with it and most transactions
// run each text once.
//
// A text seen in a second transaction becomes a pool-level *sql.Stmt after
// that transaction has given its connection back (preparing it inside would
// wait for the single writer connection it holds). A later transaction
// takes it with Tx.StmtContext, which reuses the statement already prepared
// on its connection (or prepares it there once).
type stmtCache struct {
	mu        sync.Mutex
	seen      map[string]int8      // texts run, not yet kept
	keep      map[string]*sql.Stmt // kept on the pool
	wanted    []string             // to keep once a connection is free
	preparing bool                 // prepareWanted runs
	closed    bool
	running   sync.WaitGroup     // prepareWanted goroutines: Close waits for them
	stop      context.CancelFunc // ends a prepare waiting for a connection when the cache closes
	ctx       context.Context
}

const (
	// maxKeptStmts bounds the texts kept: texts built with a variable number
	// of placeholders are all different and are never kept once it is full.
	maxKeptStmts = 256
	// maxSeenStmts bounds the texts remembered while waiting for a second use.
	maxSeenStmts = 1024
)

// parent returns the pool-level statement for q, or nil; a nil also counts
// a use of q, and the second use asks for q to be kept.
func (c *stmtCache) parent(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.keep[q]; s != nil {
		return s
	}
	if c.closed || len(c.keep) >= maxKeptStmts {
		return nil
	}
	n, ok := c.seen[q]
	switch {
	case !ok && len(c.seen) >= maxSeenStmts:
	case n == 0:
		if c.seen == nil {
			c.seen = map[string]int8{}
		}
		c.seen[q] = 1
	case n == 1:
		c.seen[q] = 2
		c.wanted = append(c.wanted, q)
	}
	return nil
}

// prepareWanted prepares the texts asked for on pool, after the
// transaction that asked has given its connection back. A text that does
// not prepare (or a pool that closed) is forgotten: it runs directly, with
// its error, as before.
func (c *stmtCache) prepareWanted(pool *sql.DB) {
	c.mu.Lock()
	wanted, ctx := c.wanted, c.ctx
	c.wanted = nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.preparing = false
		c.mu.Unlock()
		c.running.Done()
	}()
	for _, q := range wanted {
		s, err := pool.PrepareContext(ctx, q)
		c.mu.Lock()
		delete(c.seen, q)
		switch {
		case err != nil:
		case c.closed || c.keep[q] != nil || len(c.keep) >= maxKeptStmts:
			s.Close()
		default:
			if c.keep == nil {
				c.keep = map[string]*sql.Stmt{}
			}
			c.keep[q] = s
		}
		c.mu.Unlock()
	}
}

// startPreparing reports whether texts wait to be prepared and no
// prepareWanted runs; the caller then runs it.
func (c *stmtCache) startPreparing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.wanted) == 0 || c.preparing || c.closed {
		return false
	}
	c.preparing = true
	c.running.Add(1)
	if c.ctx == nil {
		c.ctx, c.stop = context.WithCancel(context.Background())
	}
	return true
}

// close closes the kept statements (before their pool closes).
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.stop != nil {
		c.stop()
	}
	for _, s := range c.keep {
		s.Close()
	}
	c.keep, c.seen, c.wanted = nil, nil, nil
}

package app

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"lunas/domain/engine"
)

// defaultLeaseTTL is how long the engine lease lasts without renewal: how
// long a standby waits before it takes over from a holder that died or
// hung (on SQLite, a holder on the same computer that ended is noticed at
// the standby's next look, a third of this).
const defaultLeaseTTL = 15 * time.Second

// desktopLeaseTTL and desktopIntervals are the desktop engine's (zero
// intervals: the engine's defaults); tests shorten them.
var (
	desktopLeaseTTL  = defaultLeaseTTL
	desktopIntervals engine.Intervals
)

// engineLease is this process's claim on the shop's engine lease: only the
// holder sends transfers (domain/lease.go).
func engineLease(kind string, ttl time.Duration) *engine.LeaseOptions {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "?"
	}
	return &engine.LeaseOptions{Host: host, PID: os.Getpid(), Kind: kind, TTL: ttl}
}

// describeLease is serve's line about who sends.
func describeLease(st engine.LeaseState) string {
	if st.Holding {
		return fmt.Sprintf("lunas serve: this engine sends transfers (lease epoch %d)", st.Lease.Epoch)
	}
	return fmt.Sprintf("lunas serve: standing by; transfers are sent by %s (pid %d, %s, since %s) / siaga; transfer dikirim oleh %s",
		st.Lease.Host, st.Lease.PID, st.Lease.Kind, st.Lease.Since.Local().Format(time.DateTime), st.Lease.Host)
}

// printLeaseEvents writes a line to w whenever this engine takes, loses or
// waits for the lease, until events closes.
func printLeaseEvents(w io.Writer, e *engine.Engine, events <-chan engine.Event) {
	for ev := range events {
		switch ev.Kind {
		case engine.EventLeaseTaken, engine.EventStandby:
			fmt.Fprintln(w, describeLease(e.Lease()))
		case engine.EventLeaseLost:
			fmt.Fprintln(w, "lunas serve: lease lost; this engine stopped sending / berhenti mengirim:", ev.Message)
		}
	}
}

// lockedWriter serialises writes from several goroutines to one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

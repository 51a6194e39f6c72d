package engine

import (
	"sync"
	"sync/atomic"
	"time"

	"lunas/domain"
)

// EventKind names what happened.
type EventKind string

// Event kinds the UI and notifications react to.
const (
	EventPaymentSettled   EventKind = "payment.settled"
	EventPaymentFlagged   EventKind = "payment.flagged"
	EventPaymentClosed    EventKind = "payment.closed" // failed or expired
	EventTransferCreated  EventKind = "transfer.created"
	EventTransferStatus   EventKind = "transfer.status"
	EventNeedsApproval    EventKind = "transfer.needs_approval"
	EventNeedsAttention   EventKind = "transfer.needs_attention"
	EventTransferReversed EventKind = "transfer.reversed"
	EventLowBalance       EventKind = "balance.low"
	EventGatewayDown      EventKind = "gateway.down"
	EventGatewayUp        EventKind = "gateway.up"
	EventEnginePaused     EventKind = "engine.paused"
	EventEngineResumed    EventKind = "engine.resumed"
	EventMailFailed       EventKind = "mail.failed"
	EventStoreDown        EventKind = "store.down" // the database server cannot be reached: the engine pauses
	EventStoreUp          EventKind = "store.up"   // it answers again: the engine resumes
)

// Event is one thing that happened, published after its transaction committed.
type Event struct {
	Kind    EventKind
	At      time.Time
	RefID   string // transfer, if any
	Payment string // payment external id, if any
	Channel string // payout channel or gateway, if any
	Status  domain.TransferStatus
	Amount  domain.Rupiah
	Balance domain.Rupiah // for balance events
	Message string        // readable, for notifications
}

// Bus is a small publish/subscribe hub. Publishing never blocks: a subscriber
// whose buffer is full misses the event (and Dropped counts it), because a slow
// screen must never hold up money work.
type Bus struct {
	mu      sync.Mutex
	subs    map[int]chan Event
	next    int
	dropped atomic.Int64
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[int]chan Event{}} }

// Subscribe returns a channel receiving events from now on and a function that
// ends the subscription and closes the channel.
func (b *Bus) Subscribe(buffer int) (<-chan Event, func()) {
	if buffer < 1 {
		buffer = 1
	}
	ch := make(chan Event, buffer)
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = ch
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
			close(ch)
		})
	}
}

// Publish delivers e to every subscriber that has room.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- e:
		default:
			b.dropped.Add(1)
		}
	}
}

// Dropped reports how many deliveries were skipped because a subscriber was full.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }

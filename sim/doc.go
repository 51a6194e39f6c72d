// Package sim is a deterministic simulator of Lunas's whole money path, in
// the manner of FoundationDB's simulation and TigerBeetle's VOPR: it runs
// the real engine (domain/engine), the real SQLite store (domain/sqlite, on
// tmpfs) and the real gateway logic (gateways/sandbox behind the real
// Xendit, Midtrans, Iris and H2H adapters) on a virtual clock, with every
// order of events, every fault and every crash drawn from one seed, so that
// any failing schedule replays exactly from its seed.
//
// What makes a run deterministic:
//
//   - One virtual Clock is the time of everything: the engine (Config.Now,
//     Config.WithTimeout), the store's timestamps, the sandbox, the gateway
//     clients' retry waits, Retry-After dates and jitter, and the rate
//     limiters (gateways.Clock). Time moves only when the scheduler takes
//     the next event, or at once when a component waits (a backoff, a rate
//     limit, a request's latency, a hang until its deadline).
//   - Nothing runs in the background: the engine's loops (engine.Loops) are
//     events in one seeded queue, run one at a time with Concurrency 1, as
//     are the buyers, the owner at her desk and the environment.
//   - The network is an http.RoundTripper that calls the sandbox's handler
//     directly; REFIDs come from the seed (Config.NewRefID).
//
// A seed draws a profile (calm, flaky, storm, crashy, slow gateway), then
// the schedule: orders split between makers and suppliers and paid by
// several buyers (in full, short, over, late or never) through Xendit and
// Midtrans; payouts routed to Xendit, Iris and an H2H supplier; the owner
// approving, rejecting, retrying, checking, sending again (sometimes through
// another channel), cancelling, editing payees' accounts (to ones a gateway
// refuses or never completes), pausing and resuming, topping up, and
// resolving conflicts from what the gateway's dashboard shows; the app
// closing for a break, the night or a weekend, or the laptop sleeping; the
// gateway restarting (it refuses connections and keeps its books and keys)
// and banks sending payouts back. Each request may meet a fault: latency,
// refusal, 5xx, 429 with its reset, a hang before or after the gateway
// acted, a broken connection or a proxy's 502 after it acted, a stale,
// duplicated or older status answer, a search (Xendit payouts by
// reference_id, Iris statements) that does not find a payout yet, a payout
// that is later reversed. At
// seeded points the process crashes: at the n-th commit of a step (the
// transaction rolled back, or just committed) or at the n-th request (before
// it left, or after the gateway acted); everything the dying process still
// does is refused, and a new process starts from the database later.
//
// After every step the invariants are checked, and once more at the end
// after a drain that lets everything settle (faults off, days of virtual
// time so that the reversal watch looks):
//
//   - no REFID paid twice at the gateway, and no payout Lunas did not make;
//   - no obligation paid by two transfers; a transfer Lunas records as
//     failed, rejected or cancelled was not paid, unless an open conflict
//     says so; succeeded and reversed only when the gateway did it;
//   - the ledger balances; at the end it equals the gateway's book per
//     channel, and every settled obligation is paid exactly once or visibly
//     waiting with a reason (approval, pause, balance, failure, unknown with
//     a needs-attention);
//   - every status move is in the audit trail, allowed by the state machine
//     and continues from the previous one (no backward moves), and the audit
//     chain verifies;
//   - while the app runs, every accepted or unknown transfer is asked about
//     again within the tracker's longest wait, none stays in sending, and
//     approved ones are sent unless sending is paused;
//   - a payment settles only when its buyer paid exactly the order's total.
//
// Run TestSimulation for a fixed set of seeds, cmd/vopr for soaks and to
// replay one seed with its readable trace (docs/SIMULATION.md).
package sim

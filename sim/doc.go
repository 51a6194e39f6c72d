// Package sim is a deterministic simulator of Lunas's whole money path, in
// the manner of FoundationDB's simulation and TigerBeetle's VOPR: it runs
// the real engine (domain/engine), the real SQLite store (domain/sqlite, on
// tmpfs) and the real gateway logic (gateways/sandbox behind the real
// adapters) on a virtual clock, with every order of events, every fault and
// every crash drawn from one seed, so that any failing schedule replays
// exactly from its seed.
package sim

// Package domain holds Lunas's entities, money type, state machines, rules and
// the interfaces (ports) that the services consume. It imports only the
// standard library: storage, gateways, spreadsheets and the GUI are adapters
// that depend on it, never the other way round.
package domain

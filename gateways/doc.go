// Package gateways holds what every gateway adapter shares: one way to build
// an HTTP client (resty) with timeouts, auth and a user agent; the retry rules
// (GETs, and POSTs that carry an idempotency key, are retried with exponential
// backoff and jitter, honouring Retry-After on 429); the typed *APIError and
// *TransportError with helpers that say whether an outcome is unknown; and
// redaction, so that keys, PINs and passwords never reach logs or error text.
//
// Adapters live in sub-packages (xendit, midtrans, h2h); the simulator that
// speaks all of them is gateways/sandbox.
package gateways

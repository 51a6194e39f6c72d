// Package h2h speaks the OtomaX-style host-to-host protocol of Indonesian
// pulsa and e-wallet suppliers: a per-supplier request template (an HTTP query
// or a text message) with placeholders [product] [dest] [qty] [refid]
// [memberid] [pin] [sign], and free-text replies read with per-supplier
// regular expressions with named groups.
//
// The REFID rule (seed 004): a supplier never processes a REFID it already
// knows, it only reports that transaction's status again. A resend is
// therefore a status check, and Channel retries freely under the same REFID.
// A reply that does not parse, or that names another REFID ("salah kamar"),
// is OutcomeUnknown. The PIN and password never appear in logs or errors.
//
// Money invariant: a reply moves a transfer only when it names the REFID
// Lunas put in that request (R#refid, refid=, CLIENTID=); the supplier's own
// transaction id (TRXID:, TrxID=) is kept for reference and is never taken
// for a REFID, and a reply naming no REFID of ours stays unknown. The
// default patterns read every reply style suppliers document (testdata/wire);
// Presets narrow the reading to one family, chosen per supplier in settings.
package h2h

import (
	"crypto/sha1"
	"encoding/base64"
)

// Sign computes the OtomaX signature: URL-safe base64 without padding of the
// SHA-1 of "OtomaX|memberID|product|dest|refID|pin|password". Fields a
// request does not carry (a balance query has no product) are empty.
func Sign(memberID, product, dest, refID, pin, password string) string {
	sum := sha1.Sum([]byte("OtomaX|" + memberID + "|" + product + "|" + dest + "|" + refID + "|" + pin + "|" + password))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

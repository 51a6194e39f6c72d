// Package doku is Lunas's adapter for DOKU: DOKU Checkout (non-SNAP) for
// buyer payments and Kirim DOKU (SNAP) for payouts. It follows the wire
// formats of developers.doku.com as kept in testdata/wire (each fixture
// names its source) and is built on the shared gateways client.
//
// Payments: CreatePayment posts /checkout/v1/payment with the order's
// external id as order.invoice_number; PaymentStatus reads
// /orders/v1/status/{invoice_number}. Requests carry DOKU's non-SNAP
// signature (Client-Id, Request-Id, Request-Timestamp, Request-Target and,
// for a body, Digest; HMAC-SHA256 with the Secret Key, base64, prefixed
// "HMACSHA256="). A status is settled only when DOKU says SUCCESS; a
// response that carries a Signature header which does not verify never
// settles anything (Verified=false, ErrSignature). Notifications are
// verified the same way with the shop's notification path as the
// Request-Target; one that is unsigned or tampered is refused and logged.
//
// Payouts (money invariant): a transfer is sent under its REFID as
// partnerReferenceNo, with an X-EXTERNAL-ID derived from the REFID (DOKU:
// "unique in the same day"), after the account inquiry DOKU requires (its
// sessionId goes into the transfer). The transfer is posted once per Send;
// a resend (Attempt > 1) first asks DOKU's status inquiry about the REFID
// and posts again only when DOKU has no transfer under it, and only the
// engine decides a resend, inside KeyWindow. A duplicate answer (HTTP 409)
// is resolved by the status inquiry; every answer that is not a documented
// refusal leaves the REFID unknown, never failed. SNAP calls carry a B2B
// access token (RSA-SHA256 over client id|timestamp with the merchant's
// private key) and an HMAC-SHA512 X-SIGNATURE with the Secret Key.
package doku

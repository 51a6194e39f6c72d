// Package midtrans speaks Midtrans's documented wire formats: Snap (create a
// payment link), the Core API transaction status (verify a payment) and Iris
// (payouts). It implements domain.PaymentGateway (Gateway) and
// domain.PayoutChannel plus domain.ResendWindow (Iris).
//
// Payment status is read from the body: Midtrans answers HTTP 200 with a body
// status_code of 404 or 407, so the body decides. A 404 before the buyer has
// chosen a payment method is "still pending". Every status carries
// signature_key = hex(SHA-512(order_id+status_code+gross_amount+server_key));
// a status whose signature does not verify is returned with Verified=false and
// an error wrapping ErrSignature, so it can never settle an order.
//
// Iris approval: a payout created with the creator key sits "queued" until it
// is approved with the approver key and an OTP. Lunas drives that step itself
// when IrisConfig.ApproverKey and IrisConfig.OTP are set: Send creates the
// payout (X-Idempotency-Key = REFID, REFID in notes) and approves it at once.
// The OTP comes from an OTPSource: TOTP(secret) derives the Google
// Authenticator code from the approver's TOTP secret (kept encrypted by the
// vault like every other key); StaticOTP is for the sandbox, which accepts one
// fixed code. Without an approver key Send leaves the payout queued and a
// person approves it in the Iris portal; Status then reports it as accepted.
// The owner's own approval in Lunas (maker/checker) happens before Send, so the
// automatic Iris approval adds no second human step.
//
// Iris has no merchant reference to query by, only its own reference_no, and
// it purges idempotency keys at midnight UTC (read in its shortest form:
// IrisKeyWindow, see docs/GATEWAYS.md). Iris therefore keeps a RefBook from
// REFID to reference_no (StoreBook reads it back from the store after a
// restart). A create is posted once per Send; a REFID whose reference_no was
// never learnt is looked up in Iris's statements (the REFID is the first
// word of the payout's notes). Whether a same-REFID resend may be made is the
// engine's decision by the key window, never the adapter's.
package midtrans

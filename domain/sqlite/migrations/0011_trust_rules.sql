-- 0011_trust_rules: per-payee trust rules (domain/trust.go). One rule per
-- payee: "auto-send up to max_amount after min_payouts successful payouts
-- to the same account". Switched off (active = 0, off_reason) by any change
-- of the payee's bank or account number (the store does it in UpdatePayee)
-- and by a risk flag (the engine); only the owner switches it on again.
CREATE TABLE trust_rules (
    id          INTEGER PRIMARY KEY,
    payee_id    INTEGER NOT NULL UNIQUE REFERENCES payees (id),
    max_amount  INTEGER NOT NULL CHECK (max_amount > 0),
    min_payouts INTEGER NOT NULL CHECK (min_payouts > 0),
    active      INTEGER NOT NULL DEFAULT 1,
    off_reason  TEXT    NOT NULL DEFAULT '',
    off_at      INTEGER NOT NULL DEFAULT 0,
    set_by      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- 0011_trust_rules: twin of domain/sqlite/migrations/0011_trust_rules.sql:
-- per-payee trust rules, switched off by an account change (UpdatePayee)
-- or a risk flag (the engine).
CREATE TABLE trust_rules (
    id          BIGSERIAL PRIMARY KEY,
    payee_id    BIGINT  NOT NULL UNIQUE REFERENCES payees (id),
    max_amount  BIGINT  NOT NULL CHECK (max_amount > 0),
    min_payouts INTEGER NOT NULL CHECK (min_payouts > 0),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    off_reason  TEXT    NOT NULL DEFAULT '',
    off_at      BIGINT  NOT NULL DEFAULT 0,
    set_by      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

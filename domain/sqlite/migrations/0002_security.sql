-- 0002_security: users, two-factor, vault, encrypted secrets, risk flags,
-- watchlist, and the append-only guard on audit_log (security engineer).
-- Encrypted columns hold AES-256-GCM ciphertext bound to (table, column, id).

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (name <> ''),
    role           TEXT NOT NULL CHECK (role IN ('owner','staff','viewer')),
    password_hash  TEXT NOT NULL,          -- Argon2id, PHC string
    totp_secret    BLOB,                   -- ciphertext bound to (users, totp_secret, id)
    totp_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (totp_confirmed IN (0,1)),
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    failures       INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until   INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0,1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash    TEXT NOT NULL,                 -- SHA-256 of user id and code; never the code
    used_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, hash)
) WITHOUT ROWID;

-- One row: the data key wrapped by the owner's password key, with salt and
-- Argon2id parameters (JSON).
CREATE TABLE vault (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    header     BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE secrets (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,       -- e.g. "xendit.secret_key", "smtp.password"
    value      BLOB,                       -- ciphertext bound to (secrets, value, id)
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE flags (
    id          INTEGER PRIMARY KEY,
    refid       TEXT NOT NULL,
    payee_id    INTEGER REFERENCES payees(id),
    rule        TEXT NOT NULL,
    block       INTEGER NOT NULL DEFAULT 0 CHECK (block IN (0,1)),
    reason_id   TEXT NOT NULL,
    reason_en   TEXT NOT NULL,
    evidence    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','cleared','rejected')),
    note        TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX flags_status ON flags(status, id);
CREATE INDEX flags_refid ON flags(refid);
CREATE INDEX flags_payee ON flags(payee_id);

CREATE TABLE watchlist (
    id          INTEGER PRIMARY KEY,
    ref         TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL,
    aliases     TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    birth_date  TEXT NOT NULL DEFAULT '',
    birth_place TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT '',
    nationality TEXT NOT NULL DEFAULT ''
);

-- Which account (keyed fingerprint, not the number) each assessed transfer
-- was going to, so a payout to a changed account can be recognised.
CREATE TABLE risk_account_uses (
    refid    TEXT PRIMARY KEY,
    payee_id INTEGER NOT NULL,
    fp       TEXT NOT NULL,
    at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX risk_account_uses_payee ON risk_account_uses(payee_id, fp);

-- The audit log is append-only: no row may change or disappear.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

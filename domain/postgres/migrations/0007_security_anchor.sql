-- 0007_security_anchor: twin of domain/sqlite/migrations/0007_security_anchor.sql.
-- One row: the newest audit entry (updated by every append) and the newest
-- entry signed with an HMAC from the vault's key.
CREATE TABLE audit_anchor (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    head_seq    BIGINT NOT NULL,
    head_hash   TEXT NOT NULL,
    signed_seq  BIGINT NOT NULL DEFAULT 0,
    signed_hash TEXT NOT NULL DEFAULT '',
    mac         TEXT NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL
);

INSERT INTO audit_anchor(id, head_seq, head_hash, updated_at)
    SELECT 1, seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1;

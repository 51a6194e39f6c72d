-- 0007_security_anchor: the audit chain's anchor (security engineer).
-- One row: the newest entry (updated by every append) and the newest entry
-- signed with an HMAC from the vault's key. Without it, deleting the newest
-- entries or rewriting the whole chain would still verify.
CREATE TABLE audit_anchor (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    head_seq    INTEGER NOT NULL,
    head_hash   TEXT NOT NULL,
    signed_seq  INTEGER NOT NULL DEFAULT 0,
    signed_hash TEXT NOT NULL DEFAULT '',
    mac         TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);

-- A log written before this migration is anchored at its present head
-- (unsigned until the next append with the vault unlocked).
INSERT INTO audit_anchor(id, head_seq, head_hash, updated_at)
    SELECT 1, seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1;

-- 0009_audit_keyed: keyed audit chain and tamper alarm (issue 15).
-- keyed_from: the first entry whose hash is an HMAC with the vault's chain
-- key (covered by the anchor's signature); 0 while the log is plain.
-- alarm: what an append or an unlock found wrong with the log or its
-- anchor; while set, the anchor is never signed again.
ALTER TABLE audit_anchor ADD COLUMN keyed_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_anchor ADD COLUMN alarm TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_anchor ADD COLUMN alarm_at INTEGER NOT NULL DEFAULT 0;

-- Events recorded while the vault is locked (failed sign-ins after a
-- restart) wait here, outside the chain, until the next append with the
-- key chains them, marked as not authenticated.
CREATE TABLE audit_pending (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    subject TEXT    NOT NULL DEFAULT '',
    detail  TEXT    NOT NULL DEFAULT ''
);

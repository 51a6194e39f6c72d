-- Engine, second step.
-- transfer_destinations: the destination fixed when a transfer is created
-- (what the approver approves). The sender and every same-REFID resend use
-- it, never the payee's current data. Account number and holder name are
-- sealed with the store's FieldCipher (row = transfer id); never plaintext.
CREATE TABLE transfer_destinations (
    transfer_id    INTEGER PRIMARY KEY REFERENCES transfers (id),
    bank           TEXT    NOT NULL,          -- bank / e-wallet code (payee channel)
    account_number BLOB    NOT NULL,          -- sealed
    account_holder BLOB,                      -- sealed
    email          BLOB,                      -- sealed
    created_at     INTEGER NOT NULL
);

-- transfer_conflicts: a gateway contradicted a final status (e.g. success
-- news for a transfer recorded failed). While an unresolved conflict exists
-- for any attempt of an obligation, no new REFID is created for it.
CREATE TABLE transfer_conflicts (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES transfers (id),
    stored      TEXT    NOT NULL,             -- status Lunas had
    news        TEXT    NOT NULL,             -- what the gateway said
    detail      TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    resolved_at INTEGER NOT NULL DEFAULT 0,
    resolved_by TEXT    NOT NULL DEFAULT '',
    resolution  TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX transfer_conflicts_open ON transfer_conflicts (transfer_id) WHERE resolved_at = 0;

-- The reversal watch lists transfers that succeeded recently.
CREATE INDEX transfers_status_updated ON transfers (status, updated_at);

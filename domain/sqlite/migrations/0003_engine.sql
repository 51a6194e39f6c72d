-- Engine: the mail outbox. A confirmation is queued in the same transaction
-- as the money event it confirms and sent later; a mail failure never blocks money.
CREATE TABLE mail_outbox (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    mail_key   TEXT    NOT NULL UNIQUE,  -- one confirmation per event, even if settlement is retried
    to_addr    TEXT    NOT NULL,
    to_name    TEXT    NOT NULL DEFAULT '',
    lang       TEXT    NOT NULL DEFAULT 'id',
    data       TEXT    NOT NULL DEFAULT '{}', -- JSON template values
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT '',
    next_at    INTEGER NOT NULL DEFAULT 0,   -- microseconds UTC
    created_at INTEGER NOT NULL,
    sent_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_at);

-- Fixture: a database as Lunas left it when only migration 0001 existed,
-- with one of every record. Frozen copy of 0001_init.sql at that time: do not
-- update it when the schema changes; TestMigrateFromV1Fixture opens it with
-- the current binary and checks the data survives the newer migrations.
CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL);
-- 0001_init: the foundation schema (store engineer).
-- Conventions: money is INTEGER whole rupiah; times are INTEGER microseconds
-- since the Unix epoch in UTC (0 = not set); optional references are NULL.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE payout_rules (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE payees (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    channel        TEXT NOT NULL DEFAULT '',
    account_number BLOB,            -- AES-GCM ciphertext bound to (payees, account_number, id); never plaintext
    account_holder TEXT NOT NULL DEFAULT '',
    verification   TEXT NOT NULL DEFAULT 'unverified'
                   CHECK (verification IN ('unverified','verified','mismatch','failed')),
    email          TEXT NOT NULL DEFAULT '',
    payout_rule_id INTEGER REFERENCES payout_rules(id),
    daily_limit    INTEGER NOT NULL DEFAULT 0 CHECK (daily_limit >= 0),
    erased         INTEGER NOT NULL DEFAULT 0 CHECK (erased IN (0,1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX payees_name ON payees(name);

CREATE TABLE payout_shares (
    rule_id  INTEGER NOT NULL REFERENCES payout_rules(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role     TEXT NOT NULL CHECK (role IN ('seller','supplier','commission','fee')),
    payee_id INTEGER REFERENCES payees(id),
    bps      INTEGER NOT NULL DEFAULT 0 CHECK (bps BETWEEN 0 AND 10000),
    fixed    INTEGER NOT NULL DEFAULT 0 CHECK (fixed >= 0),
    PRIMARY KEY (rule_id, position)
) WITHOUT ROWID;

CREATE TABLE products (
    id         INTEGER PRIMARY KEY,
    sku        TEXT UNIQUE,          -- NULL when the shop uses no SKU
    name       TEXT NOT NULL,
    price      INTEGER NOT NULL CHECK (price >= 0),
    payee_id   INTEGER REFERENCES payees(id),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    external_id    TEXT NOT NULL UNIQUE,
    source         TEXT NOT NULL DEFAULT '',
    buyer_name     TEXT NOT NULL DEFAULT '',
    buyer_email    TEXT NOT NULL DEFAULT '',
    shipping       INTEGER NOT NULL DEFAULT 0 CHECK (shipping >= 0),
    fees           INTEGER NOT NULL DEFAULT 0 CHECK (fees >= 0),
    discount       INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0),
    total          INTEGER NOT NULL CHECK (total > 0), -- computed by the domain, stored for lists and reports
    payout_rule_id INTEGER REFERENCES payout_rules(id),
    status         TEXT NOT NULL
                   CHECK (status IN ('open','paid','expired','failed','cancelled','flagged')),
    created_at     INTEGER NOT NULL
);
CREATE INDEX orders_status ON orders(status, id);
CREATE INDEX orders_created ON orders(created_at);

CREATE TABLE order_items (
    order_id   INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    product_id INTEGER REFERENCES products(id),
    name       TEXT NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, position)
) WITHOUT ROWID;

CREATE TABLE payments (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders(id),
    gateway      TEXT NOT NULL,
    external_id  TEXT NOT NULL UNIQUE,
    gateway_ref  TEXT NOT NULL DEFAULT '',
    amount       INTEGER NOT NULL CHECK (amount > 0),
    paid_amount  INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL
                 CHECK (status IN ('pending','settled','failed','expired','flagged')),
    url          TEXT NOT NULL DEFAULT '',
    flag_reason  TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    settled_at   INTEGER NOT NULL DEFAULT 0,
    next_poll_at INTEGER NOT NULL DEFAULT 0,
    poll_count   INTEGER NOT NULL DEFAULT 0,
    last_checked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX payments_order ON payments(order_id);
CREATE INDEX payments_status_poll ON payments(status, next_poll_at);
CREATE INDEX payments_created ON payments(created_at);

CREATE TABLE obligations (
    id         INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    order_id   INTEGER NOT NULL REFERENCES orders(id),
    payee_id   INTEGER NOT NULL REFERENCES payees(id),
    role       TEXT NOT NULL CHECK (role IN ('seller','supplier','commission','fee')),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    status     TEXT NOT NULL CHECK (status IN ('open','paid','reopened','void')),
    created_at INTEGER NOT NULL
);
CREATE INDEX obligations_payment ON obligations(payment_id);
CREATE INDEX obligations_payee ON obligations(payee_id);
CREATE INDEX obligations_status ON obligations(status);

CREATE TABLE transfers (
    id             INTEGER PRIMARY KEY,
    refid          TEXT NOT NULL UNIQUE CHECK (refid <> ''),
    parent_refid   TEXT REFERENCES transfers(refid),
    obligation_id  INTEGER REFERENCES obligations(id),
    payee_id       INTEGER NOT NULL REFERENCES payees(id),
    channel        TEXT NOT NULL DEFAULT '',
    amount         INTEGER NOT NULL CHECK (amount > 0),
    status         TEXT NOT NULL CHECK (status IN ('awaiting_approval','approved','queued_balance',
                       'sending','accepted','unknown','succeeded','failed','reversed','rejected','cancelled')),
    gateway_ref    TEXT NOT NULL DEFAULT '',
    failure_code   TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '',
    hold_reason    TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_by     TEXT NOT NULL DEFAULT '',
    approved_by    TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    sent_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX transfers_status ON transfers(status, id);
CREATE INDEX transfers_created ON transfers(created_at);
CREATE INDEX transfers_payee ON transfers(payee_id, created_at);
CREATE INDEX transfers_obligation ON transfers(obligation_id);
CREATE INDEX transfers_parent ON transfers(parent_refid);

CREATE TABLE postings (
    id         INTEGER PRIMARY KEY,
    ref        TEXT NOT NULL,
    memo       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX postings_ref ON postings(ref);

CREATE TABLE posting_lines (
    posting_id INTEGER NOT NULL REFERENCES postings(id),
    position   INTEGER NOT NULL,
    account    TEXT NOT NULL CHECK (account <> ''),
    amount     INTEGER NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (posting_id, position)
) WITHOUT ROWID;
CREATE INDEX posting_lines_account ON posting_lines(account);

-- Append-only, hash-chained. Migration 0002 (security) adds triggers that
-- forbid UPDATE and DELETE.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit_log(subject);

INSERT INTO schema_migrations(version, name, applied_at) VALUES (1, '0001_init.sql', 1763800000000000);

-- Data written by a Lunas that only knew migration 0001.
INSERT INTO settings(key, value) VALUES ('shop.name', 'Batik Sari');
INSERT INTO payout_rules(id, name) VALUES (1, 'konsinyasi 80%');
INSERT INTO payees(id, name, channel, account_number, account_holder, verification, email, payout_rule_id, daily_limit, erased, created_at, updated_at)
  VALUES (1, 'Bu Ratna', 'BCA', NULL, 'RATNA', 'verified', 'ratna@example.com', 1, 0, 0, 1763800000000000, 1763800000000000);
INSERT INTO payout_shares(rule_id, position, role, payee_id, bps, fixed) VALUES (1, 0, 'seller', 1, 8000, 0), (1, 1, 'fee', NULL, 0, 4500);
INSERT INTO products(id, sku, name, price, payee_id, active, created_at, updated_at)
  VALUES (1, 'BTK-01', 'Batik tulis', 350000, 1, 1, 1763800000000000, 1763800000000000);
INSERT INTO orders(id, external_id, source, buyer_name, buyer_email, shipping, fees, discount, total, payout_rule_id, status, created_at)
  VALUES (1, 'INV-0001', 'manual', 'Andi', 'andi@example.com', 20000, 0, 0, 370000, 1, 'paid', 1763800100000000);
INSERT INTO order_items(order_id, position, product_id, name, qty, unit_price) VALUES (1, 0, 1, 'Batik tulis', 1, 350000);
INSERT INTO payments(id, order_id, gateway, external_id, gateway_ref, amount, paid_amount, status, url, flag_reason, created_at, expires_at, settled_at, next_poll_at, poll_count, last_checked)
  VALUES (1, 1, 'xendit', 'PAY-0001', 'inv_123', 370000, 370000, 'settled', 'https://checkout.example/inv_123', '', 1763800100000000, 1763886500000000, 1763800200000000, 0, 3, 1763800200000000);
INSERT INTO obligations(id, payment_id, order_id, payee_id, role, amount, status, created_at)
  VALUES (1, 1, 1, 1, 'seller', 296000, 'paid', 1763800200000000);
INSERT INTO transfers(id, refid, parent_refid, obligation_id, payee_id, channel, amount, status, gateway_ref, failure_code, failure_reason, hold_reason, attempts, created_by, approved_by, created_at, updated_at, sent_at)
  VALUES (1, 'LNS-0001', NULL, 1, 1, 'xendit', 296000, 'succeeded', 'disb_1', '', '', '', 1, 'engine', '', 1763800200000000, 1763800300000000, 1763800250000000);
INSERT INTO postings(id, ref, memo, created_at) VALUES (1, 'payment:PAY-0001', 'payment settled', 1763800200000000), (2, 'transfer:LNS-0001', 'transfer succeeded', 1763800300000000);
INSERT INTO posting_lines(posting_id, position, account, amount) VALUES
  (1, 0, 'clearing:xendit', 370000), (1, 1, 'payable:1', -296000), (1, 2, 'fees', -4500), (1, 3, 'commission', -69500),
  (2, 0, 'payable:1', 296000), (2, 1, 'paidout:xendit', -296000);
INSERT INTO audit_log(seq, at, actor, action, subject, detail, prev_hash, hash)
  VALUES (1, 1763800300000000, 'engine', 'transfer.status', 'transfer:LNS-0001', 'sending -> succeeded', '', '702b2e6511ed1d30a5525bba146f4f6a2c4f054edd71b7a5f007c94f7ba860fa');

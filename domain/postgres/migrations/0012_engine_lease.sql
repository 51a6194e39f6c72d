-- 0012_engine_lease: twin of domain/sqlite/migrations/0012_engine_lease.sql:
-- the engine lease (one engine at a time; the epoch is the fencing token).
CREATE TABLE engine_lease (
    name      TEXT PRIMARY KEY,
    holder    TEXT NOT NULL,
    host      TEXT NOT NULL,
    pid       BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    epoch     BIGINT NOT NULL CHECK (epoch > 0),
    since     BIGINT NOT NULL,
    renewed   BIGINT NOT NULL,
    expires   BIGINT NOT NULL,
    host_lock BOOLEAN NOT NULL DEFAULT FALSE
);

-- 0008_engine_watch: twin of domain/sqlite/migrations/0008_engine_watch.sql:
-- the reversal watch's schedule, one row per succeeded transfer watched.
CREATE TABLE transfer_watch (
    refid   TEXT PRIMARY KEY REFERENCES transfers (refid),
    next_at BIGINT NOT NULL, -- next check, UTC microseconds
    tries   BIGINT NOT NULL  -- checks made so far
);

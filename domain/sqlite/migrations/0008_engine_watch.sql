-- 0008_engine_watch: the reversal watch's schedule, one row per succeeded
-- transfer being watched. Kept in the file so that a check that falls due
-- while Lunas is closed is made up after the restart (paced by the watch's
-- own rate budget) instead of skipped, and a restart asks nothing twice.
CREATE TABLE transfer_watch (
    refid   TEXT PRIMARY KEY REFERENCES transfers (refid),
    next_at INTEGER NOT NULL, -- next check, UTC microseconds
    tries   INTEGER NOT NULL  -- checks made so far
) WITHOUT ROWID;

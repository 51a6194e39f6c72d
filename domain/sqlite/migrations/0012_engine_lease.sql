-- 0012_engine_lease: one engine at a time. The engine that holds the
-- lease named 'engine' is the only one that sends transfers; its epoch is
-- the fencing token every send transaction checks (domain/lease.go).
CREATE TABLE engine_lease (
    name      TEXT PRIMARY KEY,
    holder    TEXT NOT NULL,    -- random id of one engine run
    host      TEXT NOT NULL,
    pid       INTEGER NOT NULL,
    kind      TEXT NOT NULL,    -- serve | desktop
    epoch     INTEGER NOT NULL CHECK (epoch > 0),
    since     INTEGER NOT NULL, -- UTC microseconds
    renewed   INTEGER NOT NULL,
    expires   INTEGER NOT NULL,
    host_lock INTEGER NOT NULL DEFAULT 0 -- 1: the holder also holds the OS lock beside the file
) WITHOUT ROWID;

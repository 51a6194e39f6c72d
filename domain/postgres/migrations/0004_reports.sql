-- 0004_reports: twin of domain/sqlite/migrations/0004_reports.sql: indexes
-- for report periods.
CREATE INDEX IF NOT EXISTS postings_created ON postings(created_at);
CREATE INDEX IF NOT EXISTS audit_at ON audit_log(at);

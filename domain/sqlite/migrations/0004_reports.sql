-- 0004_reports: indexes for report periods (reports engineer).
CREATE INDEX IF NOT EXISTS postings_created ON postings(created_at);
CREATE INDEX IF NOT EXISTS audit_at ON audit_log(at);

-- 0010_sealed_contacts: twin of domain/sqlite/migrations/0010_sealed_contacts.sql:
-- payee and buyer emails sealed like account numbers (issue 15). New writes
-- keep the plaintext column empty and the sealed one filled; rows written
-- before are sealed, and their plaintext cleared, by DB.SealLegacyContacts
-- the first time the vault is unlocked (a SQL migration has no key).
ALTER TABLE payees ADD COLUMN email_sealed BYTEA;
ALTER TABLE orders ADD COLUMN buyer_email_sealed BYTEA;

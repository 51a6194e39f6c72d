-- 0010_sealed_contacts: payee and buyer emails sealed like account numbers
-- (issue 15). New writes keep the plaintext column empty and the sealed
-- one filled; rows written before are sealed, and their plaintext cleared,
-- by DB.SealLegacyContacts the first time the vault is unlocked (a SQL
-- migration has no key).
ALTER TABLE payees ADD COLUMN email_sealed BLOB;
ALTER TABLE orders ADD COLUMN buyer_email_sealed BLOB;

-- 0013_opening_once: a payout channel's opening balance (the balance it held
-- when Lunas connected it, domain/opening.go) is booked once: a second
-- posting with the same "opening:<channel>" reference is refused.
CREATE UNIQUE INDEX postings_opening_once ON postings(ref) WHERE ref LIKE 'opening:%';

-- The delivery listing of one revision of a purchaser's published statement, in file order
-- (the order build_delivery_listing.sql gives: case, REPORTED by reported date, REPRICING last).
-- Parameters: $cc (country code), $e (quarter end), $rev (revision).
SELECT * EXCLUDE (published_at) FROM main.delivery_listing
WHERE country_code = $cc AND period_end = $e AND revision = $rev
ORDER BY case_id, kind, reported_date, delivery_id

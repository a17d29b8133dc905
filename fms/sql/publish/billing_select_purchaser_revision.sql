-- One revision of a purchaser's published statement, to write its files from.
-- Parameters: $cc (country code), $e (quarter end), $rev (revision).
SELECT * FROM main.purchaser_statements
WHERE country_code = $cc AND period_end = $e AND revision = $rev

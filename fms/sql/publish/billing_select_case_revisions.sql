-- The case rows of one revision of a purchaser's published statement, in file order.
-- Parameters: $cc (country code), $e (quarter end), $rev (revision).
SELECT * FROM main.billing_statements
WHERE country_code = $cc AND period_end = $e AND revision = $rev
ORDER BY case_id

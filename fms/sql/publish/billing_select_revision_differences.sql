-- The difference report of one revision of a purchaser's published statement (none for
-- revision 1), in file order. Parameters: $cc (country code), $e (quarter end), $rev (revision).
SELECT * FROM main.billing_statement_differences
WHERE country_code = $cc AND period_end = $e AND revision = $rev
ORDER BY line

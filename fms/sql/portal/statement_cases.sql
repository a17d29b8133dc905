-- The case statements of one published purchaser statement, with every part of their
-- derivation (fms-domain.md "Quarterly billing", SAMM C9.T11), in scope, a page at a time.
SELECT *, count(*) OVER () AS rows_in_scope
FROM billing_statements
WHERE country_code = $code AND period_end = $period_end AND revision = $revision
  AND ($country IS NULL OR country_code = $country)
ORDER BY case_id
LIMIT $limit OFFSET $offset

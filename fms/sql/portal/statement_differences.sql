-- What changed from the previous revision (the difference report written with each revision
-- after the first), for one purchaser in scope.
SELECT period_end, revision, previous_revision, line, level, case_id, field, old_value, new_value
FROM billing_statement_differences
WHERE country_code = $code AND ($country IS NULL OR country_code = $country)
ORDER BY period_end DESC, revision DESC, line

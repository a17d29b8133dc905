-- One published purchaser statement (a quarter and a revision), in scope.
SELECT *
FROM purchaser_statements
WHERE country_code = $code AND period_end = $period_end AND revision = $revision
  AND ($country IS NULL OR country_code = $country)

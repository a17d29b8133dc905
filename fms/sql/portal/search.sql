-- The search box: purchaser codes and case ids that start with the text typed
-- (case-insensitive), in scope; an exact match first.
SELECT kind, key FROM (
    SELECT 'purchaser' AS kind, country_code AS key, 0 AS rank FROM countries
    WHERE starts_with(upper(country_code), upper(trim($q)))
      AND ($country IS NULL OR country_code = $country)
    UNION ALL
    SELECT 'case', case_id, 1 FROM cases
    WHERE starts_with(upper(case_id), upper(trim($q)))
      AND ($country IS NULL OR country_code = $country)
)
ORDER BY upper(key) <> upper(trim($q)), rank, key
LIMIT 50

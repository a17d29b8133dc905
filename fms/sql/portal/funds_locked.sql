-- Funds locked in cases ready to close, by purchaser in scope.
SELECT country_code,
       count(*) FILTER (WHERE ready) AS cases_ready,
       count(*) FILTER (WHERE NOT ready) AS cases_blocked,
       coalesce(sum(excess_funds) FILTER (WHERE ready), 0) AS funds_locked
FROM closure_readiness
WHERE $country IS NULL OR country_code = $country
GROUP BY country_code
ORDER BY funds_locked DESC, country_code

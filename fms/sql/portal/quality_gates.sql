-- The latest gate of each suite: its run, when, how many expectations and which failed.
-- Analysts only ($country NULL): gates span every purchaser's rows.
SELECT suite, run_id, max(checked_at) AS checked_at,
       count(*) AS expectations,
       count(*) FILTER (WHERE NOT success AND severity = 'critical') AS critical_failed,
       count(*) FILTER (WHERE NOT success AND severity <> 'critical') AS warnings,
       string_agg(expectation, '; ' ORDER BY expectation) FILTER (WHERE NOT success) AS unmet
FROM dq_results
WHERE $country IS NULL
GROUP BY suite, run_id
QUALIFY row_number() OVER (PARTITION BY suite ORDER BY max(checked_at) DESC) = 1
ORDER BY critical_failed DESC, warnings DESC, suite

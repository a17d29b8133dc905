-- Run report, the top closable cases: cases ready to close, most funds released first, then
-- longest since SSC (the oldest ready cases and the locked-up funds must be impossible to miss,
-- fms-domain "Closure readiness"). At most $limit rows.
-- Parameters: $readiness_table, $limit, $purchaser, $case_id (NULL: all).
SELECT
    r.case_id,
    r.country_code,
    coalesce(n.name, r.country_code) AS purchaser_name,
    r.supply_services_complete_date,
    r.days_since_ssc,
    r.overdue,
    r.final_value,
    r.collections,
    r.excess_funds
FROM query_table($readiness_table) AS r
LEFT JOIN countries AS n ON n.country_code = r.country_code
WHERE r.ready
    AND ($purchaser IS NULL OR r.country_code = $purchaser)
    AND ($case_id IS NULL OR r.case_id = $case_id)
ORDER BY r.excess_funds DESC, r.days_since_ssc DESC NULLS LAST, r.case_id
LIMIT $limit

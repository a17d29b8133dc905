-- Run report, funds locked in closable cases per purchaser, from the closure_readiness table
-- named by $readiness_table: what its ready cases would release to its Holding Account if closed
-- now (excess_funds, C9.11.5), how many are ready, how much of it sits in cases overdue for
-- closure, and the provisional excess of its blocked cases (excess_if_ready). Most funds locked
-- first.
-- Parameters: $readiness_table, $purchaser, $case_id (NULL: all).
SELECT
    r.country_code,
    coalesce(any_value(n.name), r.country_code) AS purchaser_name,
    count(*) AS cases_in_scope,
    count(*) FILTER (WHERE r.ready) AS ready_cases,
    count(*) FILTER (WHERE r.ready AND r.overdue) AS overdue_ready_cases,
    CAST(coalesce(sum(r.excess_funds) FILTER (WHERE r.ready), 0) AS DECIMAL(38, 2))
        AS funds_locked_in_ready_cases,
    CAST(coalesce(sum(r.excess_funds) FILTER (WHERE r.ready AND r.overdue), 0) AS DECIMAL(38, 2))
        AS funds_locked_in_overdue_ready_cases,
    max(r.days_since_ssc) FILTER (WHERE r.ready) AS oldest_ready_days_since_ssc,
    CAST(coalesce(sum(r.excess_if_ready) FILTER (WHERE NOT r.ready), 0) AS DECIMAL(38, 2))
        AS excess_if_ready_in_blocked_cases
FROM query_table($readiness_table) AS r
LEFT JOIN countries AS n ON n.country_code = r.country_code
WHERE ($purchaser IS NULL OR r.country_code = $purchaser)
    AND ($case_id IS NULL OR r.case_id = $case_id)
GROUP BY r.country_code
ORDER BY funds_locked_in_ready_cases DESC, ready_cases DESC, r.country_code

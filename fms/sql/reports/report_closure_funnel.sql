-- Run report, the closure funnel from the closure_readiness table named by $readiness_table:
-- cases in closure scope (implemented or SSC) -> supply/services complete (an SSC date) ->
-- ready to close (no blocker; a ready case is SSC, NOT_SSC blocks otherwise) -> ready and
-- overdue (SSC more than 12 months ago). With the funds closing would release (excess_funds,
-- C9.11.5: 0 while blocked) and the oldest ready case.
-- Parameters: $readiness_table, $purchaser, $case_id (NULL: all).
SELECT
    count(*) AS in_scope,
    count(*) FILTER (WHERE supply_services_complete_date IS NOT NULL) AS ssc,
    count(*) FILTER (WHERE ready) AS ready,
    count(*) FILTER (WHERE ready AND overdue) AS overdue_ready,
    count(*) FILTER (WHERE overdue) AS overdue,
    CAST(coalesce(sum(excess_funds) FILTER (WHERE ready), 0) AS DECIMAL(38, 2))
        AS funds_locked_in_ready_cases,
    CAST(coalesce(sum(excess_funds) FILTER (WHERE ready AND overdue), 0) AS DECIMAL(38, 2))
        AS funds_locked_in_overdue_ready_cases,
    max(days_since_ssc) FILTER (WHERE ready) AS oldest_ready_days_since_ssc,
    max(as_of) AS as_of
FROM query_table($readiness_table)
WHERE ($purchaser IS NULL OR country_code = $purchaser)
    AND ($case_id IS NULL OR case_id = $case_id)

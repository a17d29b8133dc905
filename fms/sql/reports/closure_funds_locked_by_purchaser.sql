-- Funds locked in cases that could close, per purchaser (fms-domain "Closure readiness": the
-- oldest ready cases and the locked-up funds must be impossible to miss). From the
-- closure_readiness table named by $readiness_table; every purchaser in it has a row, most
-- funds locked first.
-- funds_locked_in_ready_cases: the excess the purchaser's ready cases would release to its
-- Holding Account if closed now. excess_if_ready_in_blocked_cases: the same figure for its
-- blocked cases at today's numbers, provisional until their blockers clear.
-- listing_position: the row's place in that order (the files are written in it; not shown).
-- The sums are file figures, never published in a table: DECIMAL(38,2), as wide as they come.
WITH per_purchaser AS (
    SELECT
        r.country_code,
        any_value(n.name) AS purchaser_name,
        count(*) FILTER (WHERE r.ready) AS ready_cases,
        CAST(coalesce(sum(r.excess_funds) FILTER (WHERE r.ready), 0) AS DECIMAL(38, 2))
            AS funds_locked_in_ready_cases,
        min(r.supply_services_complete_date) FILTER (WHERE r.ready) AS oldest_ready_ssc_date,
        max(r.days_since_ssc) FILTER (WHERE r.ready) AS longest_ready_days_since_ssc,
        count(*) FILTER (WHERE r.ready AND r.overdue) AS overdue_ready_cases,
        count(*) AS cases_in_scope,
        count(*) FILTER (WHERE NOT r.ready) AS blocked_cases,
        CAST(coalesce(sum(r.excess_if_ready) FILTER (WHERE NOT r.ready), 0) AS DECIMAL(38, 2))
            AS excess_if_ready_in_blocked_cases,
        any_value(r.as_of) AS as_of
    FROM query_table($readiness_table) AS r
    LEFT JOIN countries AS n ON n.country_code = r.country_code
    GROUP BY r.country_code
)
SELECT
    *,
    row_number() OVER (
        ORDER BY funds_locked_in_ready_cases DESC, oldest_ready_ssc_date NULLS LAST, country_code
    ) AS listing_position
FROM per_purchaser
ORDER BY listing_position

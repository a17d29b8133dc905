-- Run report, what keeps cases open: per blocker code, the cases it blocks and the amount
-- behind it (money for ESTIMATED_PRICES, PERFORMANCE_OVER_VALUE, SCML_MINIMUM, UNDERCOLLECTED;
-- a count of lines or buy backs for the others), in the order of $blocker_codes (the domain
-- table's order). Parameters: $readiness_table, $blocker_codes, $purchaser, $case_id.
WITH blockers AS (
    SELECT unnest(blockers) AS b
    FROM query_table($readiness_table)
    WHERE ($purchaser IS NULL OR country_code = $purchaser)
        AND ($case_id IS NULL OR case_id = $case_id)
)

SELECT
    b.code AS code,
    count(*) AS cases,
    CAST(sum(b.amount) AS DECIMAL(38, 2)) AS amount
FROM blockers
GROUP BY b.code
ORDER BY coalesce(list_position($blocker_codes, b.code), 99), b.code

-- Run report, billing trend: what the published statements billed for each quarter ended on or
-- before $as_of: amount due, arrearage and interest summed over the latest revision of every
-- purchaser's statement (purchaser level: a Special Billing Arrangement's bill counts once).
-- With a case selection ($case_id), that case's statements instead.
-- Parameters: $purchaser_statements_table, $case_statements_table, $as_of DATE, $purchaser,
-- $case_id.
WITH bills AS (
    SELECT country_code AS billed, period_end, revision, amount_due, arrearage, interest
    FROM query_table($purchaser_statements_table)
    WHERE $case_id IS NULL
        AND period_end <= CAST($as_of AS DATE)
        AND ($purchaser IS NULL OR country_code = $purchaser)
    UNION ALL
    SELECT case_id AS billed, period_end, revision, amount_due, arrearage, interest
    FROM query_table($case_statements_table)
    WHERE case_id = $case_id
        AND period_end <= CAST($as_of AS DATE)
),

latest AS (
    SELECT *
    FROM bills
    QUALIFY revision = max(revision) OVER (PARTITION BY billed, period_end)
)

SELECT
    period_end,
    count(*) AS statements,
    CAST(sum(amount_due) AS DECIMAL(38, 2)) AS amount_due,
    CAST(sum(arrearage) AS DECIMAL(38, 2)) AS arrearage,
    CAST(sum(interest) AS DECIMAL(38, 2)) AS interest
FROM latest
GROUP BY period_end
ORDER BY period_end

-- Run report, totals by purchaser: the amount due on each purchaser's latest published
-- statement (DD Form 645 column 14) for a quarter ended on or before $as_of, latest revision.
-- Purchaser level ($purchaser_statements_table): the bill, so a Special Billing Arrangement's
-- purchaser-level bill counts once. With a case selection ($case_id), that case's row of its
-- latest statement ($case_statements_table) instead.
-- Parameters: $purchaser_statements_table, $case_statements_table, $as_of DATE, $purchaser,
-- $case_id.
WITH bills AS (
    SELECT country_code, period_end, revision, amount_due, arrearage, interest
    FROM query_table($purchaser_statements_table)
    WHERE $case_id IS NULL
        AND period_end <= CAST($as_of AS DATE)
        AND ($purchaser IS NULL OR country_code = $purchaser)
    UNION ALL
    SELECT country_code, period_end, revision, amount_due, arrearage, interest
    FROM query_table($case_statements_table)
    WHERE case_id = $case_id
        AND period_end <= CAST($as_of AS DATE)
)

SELECT country_code, period_end, revision, amount_due, arrearage, interest
FROM bills
QUALIFY row_number() OVER (
    PARTITION BY country_code ORDER BY period_end DESC, revision DESC
) = 1
ORDER BY country_code

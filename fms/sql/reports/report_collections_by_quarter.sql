-- Run report, billing trend: the $quarters calendar quarters up to the one holding $as_of, with
-- the collections received in each (to cases and Holding Accounts, refunds netted; the last
-- quarter only up to $as_of, flagged to_date). Every quarter of the window has a row, 0 when
-- nothing was received. Parameters: $as_of DATE, $quarters (count), $purchaser, $case_id.
WITH quarters AS (
    SELECT CAST(q AS DATE) AS quarter_start
    FROM generate_series(
        CAST(date_trunc('quarter', CAST($as_of AS DATE)) AS TIMESTAMP)
        - to_months(3 * (CAST($quarters AS INTEGER) - 1)),
        CAST(date_trunc('quarter', CAST($as_of AS DATE)) AS TIMESTAMP),
        INTERVAL 3 MONTH
    ) AS t(q)
),

received AS (
    SELECT CAST(date_trunc('quarter', received_date) AS DATE) AS quarter_start, sum(amount) AS amount
    FROM collections
    WHERE received_date <= CAST($as_of AS DATE)
        AND ($purchaser IS NULL OR country_code = $purchaser)
        AND ($case_id IS NULL OR case_id = $case_id)
    GROUP BY ALL
)

SELECT
    year(q.quarter_start) || 'Q' || quarter(q.quarter_start) AS quarter,
    q.quarter_start,
    CAST(q.quarter_start + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS quarter_end,
    CAST(q.quarter_start + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) > CAST($as_of AS DATE)
        AS to_date,
    CAST(coalesce(r.amount, 0) AS DECIMAL(38, 2)) AS collections
FROM quarters AS q
LEFT JOIN received AS r ON r.quarter_start = q.quarter_start
ORDER BY q.quarter_start

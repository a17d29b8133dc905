-- The payment schedule review's cases needing a revision, one row per case, ranked: the
-- published summary (payment_schedule_review_<quarter>.csv / .xlsx) and the run report's top
-- cases read this one ranking. SAMM C9.9.3: a schedule is revised when requirements change
-- substantively; fms-domain "Payment schedule review": when some payment date's |variance|
-- exceeds the threshold (revision_needed, built with the table).
-- A case's largest |variance| over its reviewed payment dates (the earliest date on a tie) ranks
-- it, largest first, and gives its direction: SHORT, the schedule below the USG's requirements
-- (the USG would finance the case); AHEAD, above them (the purchaser's cash would sit in it).
-- next_payment_date, next_revised_quarterly: what the revised schedule asks on the first
-- payment date (0.00 when what was received already covers it).
-- Parameters: $table (a payment_schedule_review table), $purchaser, $case_id (NULL: all),
-- $limit (NULL: every case needing a revision).
WITH selected AS (
    SELECT *
    FROM query_table($table)
    WHERE ($purchaser IS NULL OR country_code = $purchaser)
        AND ($case_id IS NULL OR case_id = $case_id)
),
largest AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY case_id ORDER BY abs(variance) DESC NULLS LAST, payment_number
        ) AS place_in_case
    FROM selected
    WHERE revision_needed
),
ranked AS (
    SELECT
        row_number() OVER (ORDER BY abs(l.variance) DESC, l.case_id) AS "rank",
        l.country_code,
        n.name AS purchaser_name,
        l.case_id,
        l.direction,
        l.variance AS largest_variance,
        l.payment_date AS largest_variance_payment_date,
        l.threshold,
        l.scheduled_before,
        l.collections_received,
        f.payment_date AS next_payment_date,
        f.revised_quarterly AS next_revised_quarterly,
        l.estimated_total_cost,
        l.as_of
    FROM largest AS l
    LEFT JOIN countries AS n ON n.country_code = l.country_code
    LEFT JOIN selected AS f ON f.case_id = l.case_id AND f.payment_number = 1
    WHERE l.place_in_case = 1
)
SELECT *
FROM ranked
WHERE $limit IS NULL OR "rank" <= $limit
ORDER BY "rank"

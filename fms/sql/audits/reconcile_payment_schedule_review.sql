-- Dataset of suite reconcile_payment_schedule_review, as of the quarter end $as_of for the run's
-- selection:
-- - collections received by the reviewed cases, recomputed from the current input tables;
-- - per case, the first requirement R_1 against the billing's forecast_cumulative for the same
--   quarter end (staging.review_billing_statements, built by the billing's own builder in the
--   same run): one rule, two products, one figure (fms-domain "Payment schedule review").
-- A figure the mart could not publish (NULL) is failed by the mart suite, naming its row; the
-- loaded side leaves that case out too.
WITH scope AS (
    SELECT case_id FROM cases AS c
    WHERE c.status = 'IMPLEMENTED'
        AND c.implementation_date <= $as_of
        AND ($purchaser IS NULL OR c.country_code = $purchaser)
        AND ($case_id IS NULL OR c.case_id = $case_id)
),
first_rows AS (
    SELECT * FROM staging.payment_schedule_review WHERE payment_number = 1
),
collections AS (
    SELECT
        (SELECT coalesce(sum(amount), 0) FROM collections
            WHERE received_date <= $as_of AND case_id IN (SELECT case_id FROM scope)
                AND case_id NOT IN (SELECT case_id FROM first_rows
                    WHERE collections_received IS NULL)) AS loaded_total,
        (SELECT coalesce(sum(collections_received), 0) FROM first_rows) AS mart_total
)
SELECT
    'collections received' AS measure,
    loaded_total,
    mart_total,
    CAST(loaded_total - mart_total AS VARCHAR) AS difference
FROM collections
UNION ALL
SELECT
    'first requirement of ' || r.case_id || ' = billing forecast_cumulative',
    b.forecast_cumulative,
    r.requirement_cumulative,
    coalesce(CAST(b.forecast_cumulative - r.requirement_cumulative AS VARCHAR), 'not billed')
FROM first_rows AS r
LEFT JOIN staging.review_billing_statements AS b USING (case_id)
WHERE r.requirement_cumulative IS NOT NULL

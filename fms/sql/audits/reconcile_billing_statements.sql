-- Dataset of suite reconcile_billing_statements: collections and performance in the staged
-- statements reconciled to the cent with what was loaded, recomputed from the current input
-- tables for the cases in scope at the quarter end $as_of (IMPLEMENTED or
-- SUPPLY_SERVICE_COMPLETE, implemented by the quarter end) of the run's selection, and the
-- holding accounts of the purchasers billed.
-- A figure the mart could not publish (NULL: 10^16 dollars or more) is failed by the mart suite's
-- rule "every amount fits", naming its row; the loaded side leaves that row out too, so the
-- reconciliation covers the published figures and never shows an unpublishable amount.
WITH scope AS (
    SELECT case_id, country_code FROM cases AS c
    WHERE c.status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE')
        AND c.implementation_date <= $as_of
        AND ($purchaser IS NULL OR c.country_code = $purchaser)
        AND ($case_id IS NULL OR c.case_id = $case_id)
),
loaded AS (
    SELECT
        (SELECT coalesce(sum(amount), 0) FROM collections
            WHERE received_date <= $as_of AND case_id IN (SELECT case_id FROM scope)
                AND case_id NOT IN (SELECT case_id FROM staging.billing_statements
                    WHERE collections_cumulative IS NULL))
            AS collections,
        (SELECT coalesce(sum(amount), 0) FROM expenditures
            WHERE expenditure_date <= $as_of AND case_id IN (SELECT case_id FROM scope)
                AND case_id NOT IN (SELECT case_id FROM staging.billing_statements
                    WHERE performance IS NULL))
        + (SELECT coalesce(sum(delivered_value), 0) FROM deliveries
            WHERE reported_date <= $as_of AND case_id IN (SELECT case_id FROM scope)
                AND case_id NOT IN (SELECT case_id FROM staging.billing_statements
                    WHERE performance IS NULL))
            AS performance
),
marts AS (
    SELECT coalesce(sum(collections_cumulative), 0) AS collections,
        coalesce(sum(performance), 0) AS performance
    FROM staging.billing_statements
)
SELECT 'collections' AS measure, l.collections AS loaded_total, m.collections AS mart_total,
    CAST(l.collections - m.collections AS VARCHAR) AS difference
FROM loaded AS l, marts AS m
UNION ALL
SELECT 'performance (deliveries + expenditures)', l.performance, m.performance,
    CAST(l.performance - m.performance AS VARCHAR) FROM loaded AS l, marts AS m

-- Dataset of suite reconcile_closure_readiness: collections, expenditures and deliveries in
-- the staged closure readiness reconciled to the cent with what was loaded, recomputed from the
-- current input tables for the cases in scope as of $as_of (IMPLEMENTED or
-- SUPPLY_SERVICE_COMPLETE, implemented by $as_of) of the run's selection.
-- A figure the mart could not publish (NULL: 10^16 dollars or more) is failed by the mart suite's
-- rule "every amount fits", naming its row; the loaded side leaves that row out too, so the
-- reconciliation covers the published figures and never shows an unpublishable amount.
WITH scope AS (
    SELECT case_id FROM cases AS c
    WHERE c.status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE')
        AND (c.implementation_date IS NULL OR c.implementation_date <= $as_of)
        AND ($purchaser IS NULL OR c.country_code = $purchaser)
        AND ($case_id IS NULL OR c.case_id = $case_id)
),
loaded AS (
    SELECT
        (SELECT coalesce(sum(amount), 0) FROM collections
            WHERE received_date <= $as_of AND case_id IN (SELECT case_id FROM scope)
                AND case_id NOT IN (SELECT case_id FROM staging.closure_readiness
                    WHERE collections IS NULL))
            AS collections,
        (SELECT coalesce(sum(amount), 0) FROM expenditures
            WHERE expenditure_date <= $as_of AND case_id IN (SELECT case_id FROM scope)
                AND case_id NOT IN (SELECT case_id FROM staging.closure_readiness
                    WHERE expenditures IS NULL))
            AS expenditures,
        (SELECT coalesce(sum(delivered_value), 0) FROM deliveries
            WHERE reported_date <= $as_of AND case_id IN (SELECT case_id FROM scope)
                AND case_id NOT IN (SELECT case_id FROM staging.closure_readiness
                    WHERE delivered_value IS NULL))
            AS delivered
),
marts AS (
    SELECT coalesce(sum(collections), 0) AS collections,
        coalesce(sum(expenditures), 0) AS expenditures,
        coalesce(sum(delivered_value), 0) AS delivered
    FROM staging.closure_readiness
)
SELECT 'collections' AS measure, l.collections AS loaded_total, m.collections AS mart_total,
    CAST(l.collections - m.collections AS VARCHAR) AS difference
FROM loaded AS l, marts AS m
UNION ALL
SELECT 'expenditures', l.expenditures, m.expenditures,
    CAST(l.expenditures - m.expenditures AS VARCHAR) FROM loaded AS l, marts AS m
UNION ALL
SELECT 'deliveries', l.delivered, m.delivered, CAST(l.delivered - m.delivered AS VARCHAR)
FROM loaded AS l, marts AS m

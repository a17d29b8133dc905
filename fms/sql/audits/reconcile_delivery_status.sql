-- Dataset of suite reconcile_delivery_status: the staged delivery status reconciled to the
-- cent with the deliveries loaded, recomputed from the current input tables: every delivery
-- reported by $as_of on a line of an open case (IMPLEMENTED or SUPPLY_SERVICE_COMPLETE,
-- implemented by $as_of) of the run's selection ($purchaser, $case_id; NULL = all).
-- A figure the mart could not publish (NULL: 10^16 dollars or more) is failed by the mart suite's
-- rule "every amount fits", naming its row; the loaded side leaves that row out too, so the
-- reconciliation covers the published figures and never shows an unpublishable amount.
WITH unpublished AS (
    SELECT case_id, line_number FROM staging.delivery_status WHERE delivered_value IS NULL
),
loaded AS (
    SELECT
        coalesce(sum(d.delivered_value) FILTER (WHERE u.case_id IS NULL), 0) AS value,
        coalesce(sum(d.quantity), 0) AS quantity
    FROM deliveries AS d
    JOIN case_lines AS l USING (case_id, line_number)
    JOIN cases AS c USING (case_id)
    LEFT JOIN unpublished AS u ON u.case_id = d.case_id AND u.line_number = d.line_number
    WHERE d.reported_date <= $as_of
        AND c.status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE')
        AND (c.implementation_date IS NULL OR c.implementation_date <= $as_of)
        AND ($purchaser IS NULL OR c.country_code = $purchaser)
        AND ($case_id IS NULL OR c.case_id = $case_id)
),
marts AS (
    SELECT coalesce(sum(delivered_value), 0) AS value, coalesce(sum(delivered_quantity), 0)
        AS quantity
    FROM staging.delivery_status
)
SELECT 'delivered value' AS measure, loaded.value AS loaded_total, marts.value AS mart_total,
    CAST(loaded.value - marts.value AS VARCHAR) AS difference
FROM loaded, marts
UNION ALL
-- whole quantities: the union compares them as DECIMAL(38,2), exactly
SELECT 'delivered quantity', loaded.quantity, marts.quantity,
    CAST(loaded.quantity - marts.quantity AS VARCHAR)
FROM loaded, marts

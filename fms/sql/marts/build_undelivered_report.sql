-- The quarterly undelivered report (SAMM C9.15.2.3.1): every open case (delivery_open_cases:
-- IMPLEMENTED or SUPPLY_SERVICE_COMPLETE, not implemented after $as_of) with its implementation
-- date, total order value, delivered value and undelivered value as of $as_of.
-- Each figure is the sum of the case's delivery_status lines, so the two reports reconcile:
--   total_order_value = sum of line_value of the non-SCML lines (the case value of fms-domain;
--     the SCML is an administrative charge, not an order of articles or services);
--   delivered_value = sum of delivered_value of every line (every delivery reported by $as_of);
--   undelivered_value = sum of the lines' undelivered_value (see delivery_macros.sql).
-- A case without lines is still listed, with zeros. Optional filters $purchaser, $case_id.
-- Sums in DECIMAL(38,2), published in DECIMAL(18,2) by published_amount() (NULL when a figure
-- does not fit, which the audit fails naming the case).
WITH lines AS (
    SELECT
        case_id,
        sum(line_value) FILTER (WHERE line_kind <> 'SCML') AS total_order_value,
        sum(delivered_value) AS delivered_value,
        sum(undelivered_value) AS undelivered_value,
        sum(estimated_value_outstanding) AS estimated_value_outstanding,
        count(*) AS lines,
        count(*) FILTER (WHERE undelivered_value > 0) AS lines_with_undelivered_value
    FROM delivery_line_status(CAST($as_of AS DATE))
    GROUP BY case_id
)
SELECT
    CAST($as_of AS DATE) AS as_of,
    c.case_id,
    c.country_code,
    c.status AS case_status,
    c.implementation_date,
    published_amount(coalesce(l.total_order_value, 0)) AS total_order_value,
    published_amount(coalesce(l.delivered_value, 0)) AS delivered_value,
    published_amount(coalesce(l.undelivered_value, 0)) AS undelivered_value,
    published_amount(coalesce(l.estimated_value_outstanding, 0)) AS estimated_value_outstanding,
    CAST(coalesce(l.lines, 0) AS BIGINT) AS lines,
    CAST(coalesce(l.lines_with_undelivered_value, 0) AS BIGINT) AS lines_with_undelivered_value
FROM delivery_open_cases(CAST($as_of AS DATE)) AS c
LEFT JOIN lines AS l ON l.case_id = c.case_id
WHERE ($purchaser IS NULL OR c.country_code = $purchaser)
    AND ($case_id IS NULL OR c.case_id = $case_id)
ORDER BY c.case_id

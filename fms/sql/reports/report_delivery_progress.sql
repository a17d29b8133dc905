-- Run report, delivery progress by purchaser, from the delivery_status table named by
-- $delivery_status_table (one row per line of every open case, as of its as_of): order value,
-- value delivered and still to deliver (SCML lines: nothing to deliver), estimated billings
-- still to convert to actual (C9.13.2). Most undelivered value first.
-- Parameters: $delivery_status_table, $purchaser, $case_id (NULL: all).
SELECT
    d.country_code,
    coalesce(any_value(n.name), d.country_code) AS purchaser_name,
    count(DISTINCT d.case_id) AS cases,
    count(*) AS lines,
    CAST(sum(d.line_value) AS DECIMAL(38, 2)) AS order_value,
    CAST(sum(d.delivered_value) AS DECIMAL(38, 2)) AS delivered_value,
    CAST(sum(d.undelivered_value) AS DECIMAL(38, 2)) AS undelivered_value,
    CAST(sum(d.estimated_value_outstanding) AS DECIMAL(38, 2)) AS estimated_value_outstanding,
    max(d.as_of) AS as_of
FROM query_table($delivery_status_table) AS d
LEFT JOIN countries AS n ON n.country_code = d.country_code
WHERE ($purchaser IS NULL OR d.country_code = $purchaser)
    AND ($case_id IS NULL OR d.case_id = $case_id)
GROUP BY d.country_code
ORDER BY undelivered_value DESC, d.country_code

-- Audit frame for suite mart_delivery_status: the staged table, whole, with exact checks.
SELECT
    s.* EXCLUDE (line_value, delivered_value, undelivered_value, estimated_value_outstanding,
        value_delivered_over_line_value),
    count(*) OVER (PARTITION BY s.case_id, s.line_number) AS key_count,
    s.delivered_value >= 0 AS delivered_value_not_negative,
    s.undelivered_value >= 0 AS undelivered_value_not_negative,
    coalesce(s.estimated_value_outstanding, 0) >= 0 AS estimated_value_not_negative,
    s.undelivered_value <= s.line_value AS undelivered_within_line_value,
    s.delivered_quantity <= s.ordered_quantity AS delivered_within_ordered
FROM staging.delivery_status AS s

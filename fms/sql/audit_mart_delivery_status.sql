-- Audit frame for suite mart_delivery_status: the staged table, whole, with exact checks.
-- amounts_too_large: the figures published_amount() could not publish in the contract's
-- DECIMAL(18,2) (10^16 dollars or more: NULL in the mart), by name; NULL when all fit.
SELECT
    s.* EXCLUDE (line_value, delivered_value, undelivered_value, estimated_value_outstanding,
        value_delivered_over_line_value),
    count(*) OVER (PARTITION BY s.case_id, s.line_number) AS key_count,
    s.delivered_value >= 0 AS delivered_value_not_negative,
    s.undelivered_value >= 0 AS undelivered_value_not_negative,
    coalesce(s.estimated_value_outstanding, 0) >= 0 AS estimated_value_not_negative,
    s.undelivered_value <= s.line_value AS undelivered_within_line_value,
    s.delivered_quantity <= s.ordered_quantity AS delivered_within_ordered,
    nullif(array_to_string(list_transform(list_filter(map_entries(MAP {
        'line_value': s.line_value,
        'delivered_value': s.delivered_value,
        'undelivered_value': s.undelivered_value,
        'estimated_value_outstanding': s.estimated_value_outstanding,
        'value_delivered_over_line_value': s.value_delivered_over_line_value
    }), lambda e: e.value IS NULL), lambda e: e.key), ', '), '') AS amounts_too_large
FROM staging.delivery_status AS s

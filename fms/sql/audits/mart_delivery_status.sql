-- Dataset of suite mart_delivery_status: the staged table, whole, with exact checks.
-- amounts_too_large: the figures published_amount() could not publish in the contract's
-- DECIMAL(18,2) (10^16 dollars or more: NULL in the mart), by name; NULL when all fit.
SELECT
    s.*,
    count(*) OVER (PARTITION BY s.case_id, s.line_number) AS key_count,
    nullif(array_to_string(list_transform(list_filter(map_entries(MAP {
        'line_value': s.line_value,
        'delivered_value': s.delivered_value,
        'undelivered_value': s.undelivered_value,
        'estimated_value_outstanding': s.estimated_value_outstanding,
        'value_delivered_over_line_value': s.value_delivered_over_line_value
    }), lambda e: e.value IS NULL), lambda e: e.key), ', '), '') AS amounts_too_large
FROM staging.delivery_status AS s

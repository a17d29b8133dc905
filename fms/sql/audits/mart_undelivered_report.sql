-- Dataset of suite mart_undelivered_report: the staged report (C9.15.2.3.1).
-- amounts_too_large: the figures published_amount() could not publish in the contract's
-- DECIMAL(18,2) (10^16 dollars or more: NULL in the mart), by name; NULL when all fit.
SELECT
    s.case_id,
    s.country_code,
    s.implementation_date,
    s.delivered_value,
    s.undelivered_value,
    count(*) OVER (PARTITION BY s.case_id) AS key_count,
    nullif(array_to_string(list_transform(list_filter(map_entries(MAP {
        'total_order_value': s.total_order_value,
        'delivered_value': s.delivered_value,
        'undelivered_value': s.undelivered_value,
        'estimated_value_outstanding': s.estimated_value_outstanding
    }), lambda e: e.value IS NULL), lambda e: e.key), ', '), '') AS amounts_too_large
FROM staging.undelivered_report AS s

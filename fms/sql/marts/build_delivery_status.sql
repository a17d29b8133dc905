-- delivery_status: one row per line of every open case, as of $as_of (contract "Published
-- tables"; rules in delivery_macros.sql). Optional ad-hoc filters: $purchaser (country code),
-- $case_id; NULL means all. Amounts in the contract's DECIMAL(18,2) (published_amount: NULL
-- when a figure does not fit, which the audit fails naming the line).
SELECT
    as_of,
    case_id,
    line_number,
    ordered_quantity,
    delivered_quantity,
    line_value,
    published_amount(delivered_value) AS delivered_value,
    published_amount(undelivered_value) AS undelivered_value,
    published_amount(estimated_value_outstanding) AS estimated_value_outstanding,
    oldest_estimated_days,
    country_code,
    case_status,
    generic_code,
    unit_of_issue,
    line_kind,
    published_amount(value_delivered_over_line_value) AS value_delivered_over_line_value,
    estimated_deliveries,
    oldest_estimated_shipment_date,
    estimated_over_30_days,
    estimated_over_90_days,
    late_reported_deliveries
FROM delivery_line_status(CAST($as_of AS DATE))
WHERE ($purchaser IS NULL OR country_code = $purchaser)
    AND ($case_id IS NULL OR case_id = $case_id)
ORDER BY case_id, line_number

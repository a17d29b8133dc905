-- Audit frame for suite mart_billing_statements: the staged candidate statements, with exact
-- money checks and the statement dates checked against Table C9.T16 by date arithmetic
-- (independent of fms.billing.timeline, which built them): the statement is dated the 15th of
-- the month after the quarter end, payment is due two months later, and the payment covers the
-- quarter that starts three months after the quarter ended.
-- amounts_too_large: the figures published_amount() could not publish in the contract's
-- DECIMAL(18,2) (10^16 dollars or more: NULL in the mart), by name; NULL when all fit.
SELECT
    s.case_id,
    s.country_code,
    s.period_end,
    s.billed_at_purchaser_level,
    count(*) OVER (PARTITION BY s.case_id, s.period_end) AS key_count,
    s.amount_due >= 0 AS amount_due_not_negative,
    s.arrearage >= 0 AS arrearage_not_negative,
    s.interest >= 0 AS interest_not_negative,
    s.amount_due = greatest(s.requirement - s.collections_cumulative, 0) AS amount_due_formula,
    s.requirement = greatest(s.scheduled_cumulative, s.forecast_cumulative) AS requirement_formula,
    s.forecast_cumulative
        = s.performance + s.forecast_costs + s.termination_liability + s.surcharge
        AS forecast_cumulative_formula,
    s.statement_date = s.period_end + INTERVAL 15 DAY AS statement_date_per_t16,
    s.payment_due_date = s.statement_date + INTERVAL 2 MONTH AS payment_due_date_per_t16,
    s.covers_start = s.period_end + INTERVAL 1 DAY + INTERVAL 3 MONTH AS covers_start_per_t16,
    s.covers_end = s.covers_start + INTERVAL 3 MONTH - INTERVAL 1 DAY AS covers_end_per_t16,
    month(s.period_end + INTERVAL 1 DAY) IN (1, 4, 7, 10) AND day(s.period_end + INTERVAL 1 DAY) = 1
        AS period_end_is_quarter_end,
    sum(s.interest) OVER (PARTITION BY s.country_code) = max(s.purchaser_interest)
        OVER (PARTITION BY s.country_code) AS case_interest_sums_to_purchaser,
    nullif(array_to_string(list_transform(list_filter(map_entries(MAP {
        'scheduled_cumulative': s.scheduled_cumulative,
        'forecast_cumulative': s.forecast_cumulative,
        'collections_cumulative': s.collections_cumulative,
        'amount_due': s.amount_due,
        'arrearage': s.arrearage,
        'interest': s.interest,
        'delivered_value': s.delivered_value,
        'expenditures': s.expenditures,
        'performance': s.performance,
        'forecast_current_quarter': s.forecast_current_quarter,
        'forecast_covered_quarter': s.forecast_covered_quarter,
        'forecast_costs': s.forecast_costs,
        'termination_liability_reported': s.termination_liability_reported,
        'termination_liability': s.termination_liability,
        'surcharge': s.surcharge,
        'requirement': s.requirement,
        'previous_requirement': s.previous_requirement,
        'purchaser_interest': s.purchaser_interest
    }), lambda e: e.value IS NULL), lambda e: e.key), ', '), '') AS amounts_too_large
FROM staging.billing_statements AS s

-- Audit frame for suite mart_billing_statements: the staged candidate statements, with exact
-- money checks and the statement dates checked against Table C9.T16 by date arithmetic
-- (independent of fms.billing.timeline, which built them): the statement is dated the 15th of
-- the month after the quarter end, payment is due two months later, and the payment covers the
-- quarter that starts three months after the quarter ended.
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
        OVER (PARTITION BY s.country_code) AS case_interest_sums_to_purchaser
FROM staging.billing_statements AS s

-- One billing statement per purchaser for the quarter ended $period_end, from the case statements
-- of the same run ($statements_table, a table name resolved by query_table, never formatted in).
-- Purchaser figures are sums of its case rows, so they reconcile to the cent, except:
-- - Special Billing Arrangement (C9.10.2): the bill is the forthcoming requirements less the cash
--   available: max(0, sum forecast_cumulative - sum collections_cumulative - holding account
--   balance as of E). The payment schedule plays no part. The SBA overrides column 14 only, so
--   arrearage and interest stay those of the case rows.
-- - holding_account_balance: collections with no case_id received by E (C9.11.4).
-- Sums are DECIMAL(38,2); published_amount() publishes each in DECIMAL(18,2), NULL when it does
-- not fit (the audit fails it, naming the purchaser).
WITH cases AS (
    SELECT *
    FROM query_table($statements_table)
    WHERE period_end = $period_end
),

holding AS (
    SELECT country_code, sum(amount) AS holding_account_balance
    FROM collections
    WHERE case_id IS NULL AND received_date <= $period_end
    GROUP BY country_code
),

totals AS (
    SELECT
        country_code,
        any_value(statement_date) AS statement_date,
        any_value(payment_due_date) AS payment_due_date,
        any_value(covers_start) AS covers_start,
        any_value(covers_end) AS covers_end,
        bool_or(billed_at_purchaser_level) AS special_billing_arrangement,
        count(*) AS cases,
        sum(scheduled_cumulative) AS scheduled_cumulative,
        sum(forecast_cumulative) AS forecast_cumulative,
        sum(collections_cumulative) AS collections_cumulative,
        sum(amount_due) AS case_amount_due_total,
        sum(arrearage) AS arrearage,
        sum(interest) AS interest,
        sum(previous_requirement) AS previous_requirement,
        any_value(selection) AS selection
    FROM cases
    GROUP BY country_code
)

SELECT
    t.country_code,
    CAST($period_end AS DATE) AS period_end,
    CAST(NULL AS INTEGER) AS revision,  -- assigned when published (fms.billing.publication)
    published_amount(
        CASE
            WHEN t.special_billing_arrangement THEN greatest(
                t.forecast_cumulative - t.collections_cumulative
                    - coalesce(h.holding_account_balance, 0),
                0
            )
            ELSE t.case_amount_due_total
        END
    ) AS amount_due,
    published_amount(t.arrearage) AS arrearage,
    published_amount(t.interest) AS interest,
    published_amount(coalesce(h.holding_account_balance, 0)) AS holding_account_balance,
    -- Extras: what the statement heading and totals show.
    c.name AS purchaser_name,
    t.special_billing_arrangement,
    CAST(t.cases AS INTEGER) AS cases,
    t.statement_date,
    t.payment_due_date,
    t.covers_start,
    t.covers_end,
    published_amount(t.scheduled_cumulative) AS scheduled_cumulative,
    published_amount(t.forecast_cumulative) AS forecast_cumulative,
    published_amount(t.collections_cumulative) AS collections_cumulative,
    published_amount(t.case_amount_due_total) AS case_amount_due_total,
    published_amount(t.previous_requirement) AS previous_requirement,
    -- The purchaser's net arrearage at E: an overpaid case offsets arrears on another (C9.11.8.1).
    published_amount(greatest(t.previous_requirement - t.collections_cumulative, 0))
        AS net_arrearage,
    t.selection
FROM totals AS t
LEFT JOIN holding AS h ON h.country_code = t.country_code
LEFT JOIN countries AS c ON c.country_code = t.country_code
ORDER BY t.country_code

-- Dataset of suite mart_purchaser_statements: the staged purchaser statements, checked
-- against the staged case statements they were built from.
-- amounts_too_large: the figures published_amount() could not publish in the contract's
-- DECIMAL(18,2) (10^16 dollars or more: NULL in the mart), by name; NULL when all fit.
WITH cases AS (
    SELECT country_code, sum(amount_due) AS amount_due, sum(arrearage) AS arrearage,
        sum(interest) AS interest, bool_or(billed_at_purchaser_level) AS sba
    FROM staging.billing_statements
    GROUP BY country_code
)
SELECT
    p.country_code,
    p.period_end,
    p.amount_due,
    p.arrearage,
    p.interest,
    p.holding_account_balance,
    c.amount_due AS cases_amount_due,
    c.arrearage AS cases_arrearage,
    c.interest AS cases_interest,
    c.sba AS cases_billed_at_purchaser_level,
    count(*) OVER (PARTITION BY p.country_code, p.period_end) AS key_count,
    nullif(array_to_string(list_transform(list_filter(map_entries(MAP {
        'amount_due': p.amount_due,
        'arrearage': p.arrearage,
        'interest': p.interest,
        'holding_account_balance': p.holding_account_balance,
        'scheduled_cumulative': p.scheduled_cumulative,
        'forecast_cumulative': p.forecast_cumulative,
        'collections_cumulative': p.collections_cumulative,
        'case_amount_due_total': p.case_amount_due_total,
        'previous_requirement': p.previous_requirement,
        'net_arrearage': p.net_arrearage
    }), lambda e: e.value IS NULL), lambda e: e.key), ', '), '') AS amounts_too_large
FROM staging.purchaser_statements AS p
LEFT JOIN cases AS c USING (country_code)

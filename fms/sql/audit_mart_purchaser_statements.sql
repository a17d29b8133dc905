-- Audit frame for suite mart_purchaser_statements: the staged purchaser statements, checked
-- against the staged case statements they were built from.
WITH cases AS (
    SELECT country_code, sum(amount_due) AS amount_due, sum(arrearage) AS arrearage,
        sum(interest) AS interest, bool_or(billed_at_purchaser_level) AS sba
    FROM staging.billing_statements
    GROUP BY country_code
)
SELECT
    p.country_code,
    p.period_end,
    count(*) OVER (PARTITION BY p.country_code, p.period_end) AS key_count,
    p.amount_due >= 0 AS amount_due_not_negative,
    p.holding_account_balance IS NOT NULL AS holding_account_given,
    coalesce(c.sba, false) OR p.amount_due = c.amount_due AS amount_due_sums_cases,
    p.arrearage = c.arrearage AS arrearage_sums_cases,
    p.interest = c.interest AS interest_sums_cases
FROM staging.purchaser_statements AS p
LEFT JOIN cases AS c USING (country_code)

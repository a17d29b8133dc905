-- Inputs of the Table C9.T13 initial-deposit check, one row per case with a payment schedule.
-- The rule itself is fms/billing/initial_deposit.py (initial_deposit_requirement): this query
-- only gathers, set-based, what the contract carries about each case.
-- Parameters: $purchaser (country code, NULL = all).
-- Closed and cancelled cases are left out: their schedules are history, not incoming data.
-- Sums in DECIMAL(38,2): a case's lines may add up past DECIMAL(18,2).
WITH lines AS (
    SELECT
        case_id,
        sum(line_value) FILTER (WHERE line_kind <> 'SCML') AS line_value,
        sum(line_value) FILTER (WHERE line_kind = 'SCML') AS scml_value
    FROM case_lines
    GROUP BY case_id
),
deposits AS (
    SELECT case_id, sum(amount) FILTER (WHERE is_initial_deposit) AS initial_deposit
    FROM payment_schedules
    GROUP BY case_id
),
forecasts AS (
    SELECT
        case_id,
        list(
            {
                'quarter_start': quarter_start,
                'forecast_amount': forecast_amount,
                'termination_liability': termination_liability
            }
            ORDER BY quarter_start
        ) AS forecasts
    FROM requirements_forecasts
    GROUP BY case_id
)
SELECT
    c.case_id,
    c.country_code,
    c.terms_of_sale,
    -- Table C9.T12 is keyed on the acceptance date, or the offer expiration date until then.
    coalesce(c.acceptance_date, c.offer_expiration_date) AS key_date,
    CAST(coalesce(l.line_value, 0) AS DECIMAL(38, 2)) AS line_value,
    CAST(coalesce(l.scml_value, 0) AS DECIMAL(38, 2)) AS scml_value,
    r.surcharge_rate,
    c.sblc_in_place,
    CAST(coalesce(d.initial_deposit, 0) AS DECIMAL(38, 2)) AS initial_deposit,
    f.forecasts  -- NULL when the case has no forecast rows
FROM cases AS c
JOIN deposits AS d USING (case_id)
JOIN case_surcharge_rate() AS r USING (case_id)
LEFT JOIN lines AS l USING (case_id)
LEFT JOIN forecasts AS f USING (case_id)
WHERE c.status NOT IN ('CLOSED', 'CANCELLED')
    AND coalesce(c.acceptance_date, c.offer_expiration_date) IS NOT NULL
    AND ($purchaser IS NULL OR c.country_code = $purchaser)
ORDER BY c.case_id

-- DD Form 645 quarterly billing statements (SAMM C9.10, C9.11.8):
-- one row per case in scope at the quarter end E = $period_end, with every figure behind its
-- amounts. Set-based over all cases; run by fms.billing.statements.build_billing_statements.
--
-- Money is computed in DECIMAL(38,2) (create_rule_macros.sql) and published in DECIMAL(18,2)
-- by published_amount(): NULL for a figure of 10^16 dollars or more, which the audit fails.
--
-- Parameters:
--   The timeline of E, from fms.billing.timeline.billing_timeline (no date rule lives here):
--     $period_end, $statement_date, $payment_due_date, $covers_start, $covers_end,
--     $current_quarter_start, $current_quarter_end, $previous_period_end,
--     $quarter_start (first day of quarter E: interest accrues from it through E).
--   $periods: LIST(STRUCT(period_end, payment_due_date, current_quarter_start, covers_start)) for
--     E and the two quarter ends before it. The requirement is computed for all three in one pass
--     by the same rules, each as of its own quarter end: E's for the bill, E-1's for the
--     arrearage, E-2's and E-1's for the amounts due before each day of quarter E (interest).
--   $purchaser, $case_id: ad-hoc filters (NULL = all). Interest is a purchaser figure (net
--     arrearage), so a case filter still computes the case's whole purchaser and returns only
--     that case's row: its figures are exactly those of a full run.
--   $selection: recorded on every row ('all' for a full run); an ad-hoc candidate is never published.
WITH periods AS (
    SELECT unnest($periods, recursive := true)
),

purchasers AS (
    SELECT country_code, has_special_billing_arrangement
    FROM countries
    WHERE ($purchaser IS NULL OR country_code = $purchaser)
        AND ($case_id IS NULL OR country_code IN (
            SELECT country_code FROM cases WHERE case_id = $case_id
        ))
),

-- Scope: status IMPLEMENTED or SUPPLY_SERVICE_COMPLETE and implemented by E. The status is the
-- case's current one (the contract keeps no status history).
statement_cases AS (
    SELECT
        c.case_id,
        c.country_code,
        c.status,
        c.implementation_date,
        c.sblc_in_place,
        p.has_special_billing_arrangement
    FROM cases AS c
    JOIN purchasers AS p USING (country_code)
    WHERE c.status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE')
        AND c.implementation_date <= $period_end
),

-- Each statement case under each of the three periods. A case implemented after a period's end
-- was not on that period's statement, so nothing was billed to it then (requirement 0).
case_periods AS (
    SELECT
        p.period_end,
        p.payment_due_date,
        p.current_quarter_start,
        p.covers_start,
        s.case_id,
        s.sblc_in_place,
        s.implementation_date <= p.period_end AS on_statement
    FROM periods AS p
    CROSS JOIN statement_cases AS s
),

-- Performance(D) per case, D = each period end (shared macro: create_rule_macros.sql).
performance AS (
    SELECT p.period_end, cp.case_id, cp.delivered_value, cp.expenditures, cp.performance
    FROM periods AS p, LATERAL case_performance(p.period_end) AS cp
),

-- Payment schedule amounts due by the period's payment due date P.
scheduled AS (
    SELECT cp.period_end, cp.case_id, sum(ps.amount) AS scheduled_cumulative
    FROM case_periods AS cp
    JOIN payment_schedules AS ps
        ON ps.case_id = cp.case_id AND ps.due_date <= cp.payment_due_date
    GROUP BY cp.period_end, cp.case_id
),

-- The forecast through the covered quarter Q (billing_rule_macros.sql: N and Q, and the
-- termination liability reserve level of Q), and for the statement the forecast of N and of Q
-- apart.
forecasts AS (
    SELECT p.period_end, f.case_id, f.forecast_costs, f.termination_liability_reported
    FROM periods AS p,
        LATERAL case_forecasts_through(p.current_quarter_start, p.covers_start) AS f
),

forecasts_by_quarter AS (
    SELECT
        cp.period_end,
        cp.case_id,
        sum(f.forecast_amount) FILTER (WHERE f.quarter_start = cp.current_quarter_start)
            AS forecast_current_quarter,
        sum(f.forecast_amount) FILTER (WHERE f.quarter_start = cp.covers_start)
            AS forecast_covered_quarter
    FROM case_periods AS cp
    JOIN requirements_forecasts AS f
        ON f.case_id = cp.case_id
        AND f.quarter_start IN (cp.current_quarter_start, cp.covers_start)
    GROUP BY cp.period_end, cp.case_id
),

figures AS (
    SELECT
        cp.period_end,
        cp.payment_due_date,
        cp.case_id,
        cp.on_statement,
        cp.sblc_in_place,
        CAST(coalesce(pf.delivered_value, 0) AS DECIMAL(38, 2)) AS delivered_value,
        CAST(coalesce(pf.expenditures, 0) AS DECIMAL(38, 2)) AS expenditures,
        CAST(coalesce(pf.performance, 0) AS DECIMAL(38, 2)) AS performance,
        CAST(coalesce(fq.forecast_current_quarter, 0) AS DECIMAL(38, 2)) AS forecast_current_quarter,
        CAST(coalesce(fq.forecast_covered_quarter, 0) AS DECIMAL(38, 2)) AS forecast_covered_quarter,
        coalesce(f.forecast_costs, 0) AS forecast_costs,
        CAST(coalesce(f.termination_liability_reported, 0) AS DECIMAL(38, 2))
            AS termination_liability_reported,
        r.surcharge_rate,
        CAST(coalesce(s.scheduled_cumulative, 0) AS DECIMAL(38, 2)) AS scheduled_cumulative
    FROM case_periods AS cp
    JOIN case_surcharge_rate() AS r ON r.case_id = cp.case_id
    LEFT JOIN performance AS pf ON pf.period_end = cp.period_end AND pf.case_id = cp.case_id
    LEFT JOIN forecasts AS f ON f.period_end = cp.period_end AND f.case_id = cp.case_id
    LEFT JOIN forecasts_by_quarter AS fq
        ON fq.period_end = cp.period_end AND fq.case_id = cp.case_id
    LEFT JOIN scheduled AS s ON s.period_end = cp.period_end AND s.case_id = cp.case_id
),

charged AS (
    SELECT
        *,
        termination_liability_billed(sblc_in_place, termination_liability_reported)
            AS termination_liability,
        forecast_surcharge(performance, forecast_costs, surcharge_rate) AS surcharge
    FROM figures
),

requirements AS (
    SELECT
        *,
        forecast_requirement(performance, forecast_costs, termination_liability, surcharge)
            AS forecast_cumulative
    FROM charged
),

required AS (
    SELECT
        *,
        financial_requirement(on_statement, scheduled_cumulative, forecast_cumulative)
            AS requirement,
        requirement_basis(scheduled_cumulative, forecast_cumulative) AS requirement_basis
    FROM requirements
),

collected AS (
    SELECT s.case_id, sum(co.amount) AS collections_cumulative
    FROM statement_cases AS s
    JOIN collections AS co ON co.case_id = s.case_id AND co.received_date <= $period_end
    GROUP BY s.case_id
),

-- ---- Interest (C9.11.8): simple, actual/365, on the purchaser's daily net arrearage over E ----

quarter_days AS (
    SELECT CAST(d.day AS DATE) AS day
    FROM range(
        CAST($quarter_start AS TIMESTAMP),
        CAST($period_end AS TIMESTAMP) + INTERVAL 1 DAY,
        INTERVAL 1 DAY
    ) AS d(day)
),

-- The annual rate in force on each day (effective-dated ref_interest_rates).
rated_days AS (
    SELECT q.day, r.annual_rate
    FROM quarter_days AS q
    ASOF JOIN ref_interest_rates AS r ON q.day >= r.effective_from
),

-- Requirement of each earlier statement, due from the day after its payment due date.
due_steps AS (
    SELECT case_id, payment_due_date, requirement
    FROM required
    WHERE period_end < $period_end
),

collection_steps AS (
    SELECT
        co.case_id,
        co.received_date,
        sum(sum(co.amount)) OVER (PARTITION BY co.case_id ORDER BY co.received_date)
            AS collected_to_date
    FROM collections AS co
    JOIN statement_cases AS s ON s.case_id = co.case_id
    WHERE co.received_date <= $period_end
    GROUP BY co.case_id, co.received_date
),

case_days AS (
    SELECT s.case_id, s.country_code, d.day, d.annual_rate
    FROM statement_cases AS s
    CROSS JOIN rated_days AS d
),

-- Each case on each day d: the requirement of the latest statement due before d, less its
-- collections as of d. Negative for an overpaid case (it offsets arrears elsewhere).
case_day_arrears AS (
    SELECT
        cd.case_id,
        cd.country_code,
        cd.day,
        cd.annual_rate,
        coalesce(ds.requirement, 0) - coalesce(cs.collected_to_date, 0) AS arrears
    FROM case_days AS cd
    ASOF LEFT JOIN due_steps AS ds
        ON ds.case_id = cd.case_id AND cd.day > ds.payment_due_date
    ASOF LEFT JOIN collection_steps AS cs
        ON cs.case_id = cd.case_id AND cd.day >= cs.received_date
),

purchaser_days AS (
    SELECT country_code, day, annual_rate, greatest(sum(arrears), 0) AS net_arrearage
    FROM case_day_arrears
    GROUP BY country_code, day, annual_rate
),

-- Interest = sum over days of net arrearage x annual rate / 365, half up to the cent
-- (interest_cents). The sum has scale 8: times 10^8 it is a whole number of 10^-8 dollars.
purchaser_interest AS (
    SELECT
        country_code,
        CAST(
            sum(CAST(net_arrearage AS DECIMAL(38, 2)) * annual_rate) * 100000000 AS HUGEINT
        ) AS numerator,
        count(*) FILTER (WHERE net_arrearage > 0) AS interest_days
    FROM purchaser_days
    GROUP BY country_code
),

purchaser_interest_cents AS (
    SELECT
        country_code,
        interest_days,
        interest_cents(numerator) AS interest_cents
    FROM purchaser_interest
),

-- A case's arrearage-days: the sum over the days on which the purchaser's net arrearage bore
-- interest of the case's own arrears that day when positive (dollar-days). The allocation key.
case_weights AS (
    SELECT
        a.case_id,
        a.country_code,
        count(*) FILTER (WHERE a.arrears > 0) AS arrearage_days,
        CAST(coalesce(sum(a.arrears) FILTER (WHERE a.arrears > 0 AND p.net_arrearage > 0), 0)
            AS DECIMAL(38, 2)) AS arrearage_dollar_days
    FROM case_day_arrears AS a
    JOIN purchaser_days AS p ON p.country_code = a.country_code AND p.day = a.day
    GROUP BY a.case_id, a.country_code
),

-- Shares of the purchaser's interest in proportion to arrearage-days, in whole cents.
shares AS (
    SELECT
        w.case_id,
        w.country_code,
        w.arrearage_days,
        w.arrearage_dollar_days,
        pi.interest_cents,
        pi.interest_days,
        row_number() OVER (
            PARTITION BY w.country_code ORDER BY w.arrearage_dollar_days DESC, w.case_id
        ) AS weight_rank,
        CAST(w.arrearage_dollar_days * 100 AS HUGEINT) AS weight,
        sum(CAST(w.arrearage_dollar_days * 100 AS HUGEINT)) OVER (PARTITION BY w.country_code)
            AS total_weight
    FROM case_weights AS w
    JOIN purchaser_interest_cents AS pi ON pi.country_code = w.country_code
),

-- Each share is interest_cents x weight / total_weight, exact in HUGEINT within the bounds of
-- interest_share_is_exact.
exact_shares AS (
    SELECT *, interest_share_is_exact(interest_cents, total_weight) AS exact
    FROM shares
),

rounded_shares AS (
    SELECT
        *,
        CASE WHEN total_weight = 0 THEN 0
            WHEN exact THEN mul_add_div(2 * interest_cents, weight, total_weight, 2 * total_weight)
        END AS share_half_up,
        CASE WHEN total_weight = 0 THEN 0
            WHEN exact THEN mul_add_div(interest_cents, weight, 0, total_weight)
        END AS share_down
    FROM exact_shares
),

-- The rest left to the case with the most arrearage-days, after the others' shares rounded
-- half up or down (case_interest_cents).
allocated AS (
    SELECT
        *,
        interest_cents - sum(CASE WHEN weight_rank > 1 THEN share_half_up ELSE 0 END)
            OVER (PARTITION BY country_code) AS rest_half_up,
        interest_cents - sum(CASE WHEN weight_rank > 1 THEN share_down ELSE 0 END)
            OVER (PARTITION BY country_code) AS rest_down
    FROM rounded_shares
),

case_interest AS (
    SELECT
        case_id,
        arrearage_days,
        arrearage_dollar_days,
        interest_days,
        CAST(interest_cents AS DECIMAL(38, 0)) * CAST(0.01 AS DECIMAL(3, 2)) AS purchaser_interest,
        CAST(
            case_interest_cents(
                exact, weight_rank, share_half_up, rest_half_up, share_down, rest_down
            ) AS DECIMAL(38, 0)
        ) * CAST(0.01 AS DECIMAL(3, 2)) AS interest
    FROM allocated
)

SELECT
    s.case_id,
    s.country_code,
    CAST($period_end AS DATE) AS period_end,
    CAST(NULL AS INTEGER) AS revision,  -- assigned when published (fms.billing.publication)
    CAST($statement_date AS DATE) AS statement_date,
    CAST($payment_due_date AS DATE) AS payment_due_date,
    CAST($covers_start AS DATE) AS covers_start,
    CAST($covers_end AS DATE) AS covers_end,
    published_amount(cur.scheduled_cumulative) AS scheduled_cumulative,
    published_amount(cur.forecast_cumulative) AS forecast_cumulative,
    published_amount(coalesce(co.collections_cumulative, 0)) AS collections_cumulative,
    -- Column 14, Amount Due and Payable: includes any arrearage still unpaid.
    published_amount(unpaid(cur.requirement, co.collections_cumulative)) AS amount_due,
    published_amount(unpaid(prev.requirement, co.collections_cumulative)) AS arrearage,
    -- 0 without arrears (no row in case_interest); NULL when it could not be computed exactly.
    published_amount(CASE WHEN ci.case_id IS NULL THEN 0 ELSE ci.interest END) AS interest,
    -- Special Billing Arrangement (C9.10.2): the purchaser statement carries the bill.
    s.has_special_billing_arrangement AS billed_at_purchaser_level,
    -- How each amount was reached.
    s.status,
    s.implementation_date,
    CAST($current_quarter_start AS DATE) AS current_quarter_start,
    CAST($current_quarter_end AS DATE) AS current_quarter_end,
    published_amount(cur.delivered_value) AS delivered_value,
    published_amount(cur.expenditures) AS expenditures,
    published_amount(cur.performance) AS performance,
    published_amount(cur.forecast_current_quarter) AS forecast_current_quarter,
    published_amount(cur.forecast_covered_quarter) AS forecast_covered_quarter,
    published_amount(cur.forecast_costs) AS forecast_costs,
    published_amount(cur.termination_liability_reported) AS termination_liability_reported,
    s.sblc_in_place,
    published_amount(cur.termination_liability) AS termination_liability,
    CAST(cur.surcharge_rate AS DECIMAL(9, 6)) AS surcharge_rate,
    published_amount(cur.surcharge) AS surcharge,
    published_amount(cur.requirement) AS requirement,
    cur.requirement_basis,
    CAST($previous_period_end AS DATE) AS previous_period_end,
    prev.payment_due_date AS previous_payment_due_date,
    published_amount(prev.requirement) AS previous_requirement,
    CAST(coalesce(ci.arrearage_days, 0) AS INTEGER) AS arrearage_days,
    CAST(coalesce(ci.arrearage_dollar_days, 0) AS DECIMAL(38, 2)) AS arrearage_dollar_days,
    CAST(coalesce(ci.interest_days, 0) AS INTEGER) AS purchaser_interest_days,
    published_amount(coalesce(ci.purchaser_interest, 0)) AS purchaser_interest,
    CAST($selection AS VARCHAR) AS selection
FROM statement_cases AS s
JOIN required AS cur ON cur.case_id = s.case_id AND cur.period_end = $period_end
JOIN required AS prev ON prev.case_id = s.case_id AND prev.period_end = $previous_period_end
LEFT JOIN collected AS co ON co.case_id = s.case_id
LEFT JOIN case_interest AS ci ON ci.case_id = s.case_id
WHERE $case_id IS NULL OR s.case_id = $case_id
ORDER BY s.country_code, s.case_id

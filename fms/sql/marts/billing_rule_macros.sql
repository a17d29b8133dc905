-- Quarterly billing rules (SAMM C9.10, C9.11.8), each defined once for
-- build_billing_statements.sql and build_payment_schedule_review.sql; (re)created by their
-- builders (fms.billing.statements, fms.billing.schedule_review) before a build.

-- An SBLC guarantees termination payments instead of a termination liability reserve, so none is
-- billed (C9.9.1.5.3-4).
CREATE OR REPLACE MACRO termination_liability_billed(sblc_in_place, reported) AS
    CASE WHEN sblc_in_place THEN CAST(0 AS DECIMAL(38, 2)) ELSE reported END;

-- The forecast of financial requirements through a coming quarter C (C9.10.1, C9.9.3): the
-- forecast costs of every quarter from the first (N, the quarter after the quarter end E)
-- through C, and the termination liability reserve level of C (a level: never summed across
-- quarters). The billing's forecast is this with C = the covered quarter Q (N and Q); the
-- payment schedule review's requirement through each coming payment date is this with C =
-- the quarter that payment covers. No forecast row in the range: no row here (the caller's
-- coalesce makes it 0).
CREATE OR REPLACE MACRO case_forecasts_through(first_quarter_start, last_quarter_start) AS TABLE
SELECT
    case_id,
    CAST(sum(forecast_amount) AS DECIMAL(38, 2)) AS forecast_costs,
    CAST(
        coalesce(sum(termination_liability) FILTER (WHERE quarter_start = last_quarter_start), 0)
        AS DECIMAL(38, 2)
    ) AS termination_liability_reported
FROM requirements_forecasts
WHERE quarter_start BETWEEN first_quarter_start AND last_quarter_start
GROUP BY case_id;

-- The surcharge on a forecast: on performance and forecast costs, never on TL or an SCML
-- (C9.9.1.5.2.8).
CREATE OR REPLACE MACRO forecast_surcharge(performance, forecast_costs, surcharge_rate) AS
    surcharge_on(performance + forecast_costs, surcharge_rate);

-- forecast_cumulative: what the case will need by the end of C, cumulative (C9.10.1).
CREATE OR REPLACE MACRO forecast_requirement(
    performance, forecast_costs, termination_liability, surcharge
) AS CAST(performance + forecast_costs + termination_liability + surcharge AS DECIMAL(38, 2));

-- The financial requirement billed: the greater of the payment schedule and the forecast of
-- financial requirements, both cumulative (C9.10.1); 0 for a case not yet on the statement of
-- that quarter end (implemented after it).
CREATE OR REPLACE MACRO financial_requirement(
    on_statement, scheduled_cumulative, forecast_cumulative
) AS CASE
    WHEN NOT on_statement THEN CAST(0 AS DECIMAL(38, 2))
    ELSE greatest(scheduled_cumulative, forecast_cumulative)
END;

CREATE OR REPLACE MACRO requirement_basis(scheduled_cumulative, forecast_cumulative) AS CASE
    WHEN scheduled_cumulative >= forecast_cumulative THEN 'PAYMENT_SCHEDULE'
    ELSE 'FORECAST'
END;

-- What a requirement leaves unpaid after the collections: DD Form 645 column 14 (Amount Due and
-- Payable) for this quarter's requirement, the arrearage for the previous quarter's.
CREATE OR REPLACE MACRO unpaid(requirement, collections) AS
    greatest(requirement - coalesce(collections, 0), 0);

-- Interest in cents from N, the sum over the quarter's days of net arrearage x annual rate times
-- 10^8 (a whole number of 10^-8 dollars): N / (365 x 10^6) cents, actual/365, rounded half up
-- as (2N + D) // 2D with D = 365,000,000 (C9.11.8). DuckDB divides DECIMALs as DOUBLE: this
-- division stays on exact integers.
CREATE OR REPLACE MACRO interest_cents(numerator) AS (2 * numerator + 365000000) // 730000000;

-- The purchaser's interest is shared among its cases by arrearage dollar-days with mul_add_div
-- (create_rule_macros.sql), exact in HUGEINT within these bounds: interest and weights below
-- 10^27 cents (arrears of 10^23 dollars a day) and interest x weights below 10^47. Beyond them
-- the case interest is NULL, never an overflow: the audit fails it, naming the case.
CREATE OR REPLACE MACRO interest_share_is_exact(interest_cents, total_weight) AS
    total_weight < 1000000000000000000000000000  -- 10^27
    AND interest_cents < 1000000000000000000000000000
    AND 2 * interest_cents + 2
        <= 10000000000000000000000000000000000000 // (total_weight // 10000000000 + 1);

-- A case's interest in cents: every case but the one with the most arrearage-days (rank 1) gets
-- its share rounded half up and that one the rest (the last cent), so the case figures sum to
-- the purchaser's; when rounding up would leave the rest below zero (a few cents over many
-- cases), the shares round down instead. NULL when not exact.
CREATE OR REPLACE MACRO case_interest_cents(
    exact, weight_rank, share_half_up, rest_half_up, share_down, rest_down
) AS CASE
    WHEN NOT exact THEN NULL
    WHEN rest_half_up >= 0 AND weight_rank = 1 THEN rest_half_up
    WHEN rest_half_up >= 0 THEN share_half_up
    WHEN weight_rank = 1 THEN rest_down
    ELSE share_down
END;

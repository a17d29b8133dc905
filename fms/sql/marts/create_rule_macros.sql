-- Rules shared by billing and closure, each defined once.
-- Table macros over the current input tables; created after the tables and reference tables.

-- Money is computed wide: sums and products of amounts in DECIMAL(38, x), rounded to the cent
-- once, so no valid input (an amount up to 9,999,999,999,999,999.99, or many of them) can make a
-- build fail with an overflow. A mart publishes each figure in the contract's DECIMAL(18,2)
-- through this macro: NULL when the figure does not fit (10^16 dollars or more), which the
-- mart's audit fails as a critical expectation naming the row ("amounts_too_large").
-- `amount` is already rounded to the cent: TRY_CAST would round a longer scale.
CREATE OR REPLACE MACRO published_amount(amount) AS TRY_CAST(amount AS DECIMAL(18, 2));

-- floor((a x b + d) / c) for whole numbers a, b, d >= 0 and c > 0, in HUGEINT without forming
-- a x b, which passes HUGEINT's 1.7 x 10^38 long before the result does: with b = b1 x K + b0
-- (K = 10^10) and a x b1 = q x c + r, (a x b + d) / c = q x K + (r x K + a x b0 + d) / c.
-- Exact while a x b1 and r x K + a x b0 + d stay below 10^38 and the result fits (b <= c
-- keeps it at most a); the caller checks its bounds.
CREATE OR REPLACE MACRO mul_add_div(a, b, d, c) AS
    ((CAST(a AS HUGEINT) * (CAST(b AS HUGEINT) // 10000000000)) // c) * 10000000000
    + (
        ((CAST(a AS HUGEINT) * (CAST(b AS HUGEINT) // 10000000000)) % c) * 10000000000
        + CAST(a AS HUGEINT) * (CAST(b AS HUGEINT) % 10000000000)
        + d
    ) // c;

-- Surcharge rate r per case: the case's own admin_surcharge_rate when given, else the rate in
-- force on its acceptance date (ref_admin_surcharge_rates), or on its offer expiration date
-- while it is not accepted (the key date of Table C9.T12 too); 0 when the surcharge is waived.
CREATE OR REPLACE MACRO case_surcharge_rate() AS TABLE
SELECT
    c.case_id,
    CASE
        WHEN c.admin_surcharge_waived THEN CAST(0 AS DECIMAL(9, 6))
        ELSE coalesce(
            c.admin_surcharge_rate,
            (
                SELECT r.rate
                FROM ref_admin_surcharge_rates AS r
                WHERE r.effective_from <= coalesce(c.acceptance_date, c.offer_expiration_date)
                ORDER BY r.effective_from DESC
                LIMIT 1
            ),
            CAST(0 AS DECIMAL(9, 6))
        )
    END AS surcharge_rate
FROM cases AS c;

-- Performance(D), the accrued expenditures of each case as of D: delivered value of deliveries
-- reported by D plus expenditures dated by D (liquidations are negative expenditures).
CREATE OR REPLACE MACRO case_performance(as_of) AS TABLE
WITH delivered AS (
    SELECT case_id, sum(delivered_value) AS delivered_value
    FROM deliveries
    WHERE reported_date <= as_of
    GROUP BY case_id
),
expended AS (
    SELECT case_id, sum(amount) AS expenditures
    FROM expenditures
    WHERE expenditure_date <= as_of
    GROUP BY case_id
)
SELECT
    c.case_id,
    CAST(coalesce(d.delivered_value, 0) AS DECIMAL(38, 2)) AS delivered_value,
    CAST(coalesce(e.expenditures, 0) AS DECIMAL(38, 2)) AS expenditures,
    CAST(coalesce(d.delivered_value, 0) + coalesce(e.expenditures, 0) AS DECIMAL(38, 2))
        AS performance
FROM cases AS c
LEFT JOIN delivered AS d USING (case_id)
LEFT JOIN expended AS e USING (case_id);

-- The administrative surcharge on an amount (C9.6.1, C9.9.1.5.2.8): rate x amount rounded half
-- up to the cent (DuckDB rounds DECIMAL half away from zero: half up for positive amounts).
-- Widened first: a DECIMAL(18,2) x DECIMAL(9,6) product is DECIMAL(18,8) and overflows early.
CREATE OR REPLACE MACRO surcharge_on(amount, rate) AS
    round(CAST(amount AS DECIMAL(38, 2)) * rate, 2);

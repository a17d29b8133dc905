-- Rules shared by billing and closure, each defined once (fms-domain.md).
-- Table macros over the current input tables; created after the tables and reference tables.

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
    CAST(coalesce(d.delivered_value, 0) AS DECIMAL(18, 2)) AS delivered_value,
    CAST(coalesce(e.expenditures, 0) AS DECIMAL(18, 2)) AS expenditures,
    CAST(coalesce(d.delivered_value, 0) + coalesce(e.expenditures, 0) AS DECIMAL(18, 2))
        AS performance
FROM cases AS c
LEFT JOIN delivered AS d USING (case_id)
LEFT JOIN expended AS e USING (case_id);

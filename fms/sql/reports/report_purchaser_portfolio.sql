-- Run report, totals by purchaser: its implemented cases, their value and what it has paid in.
-- Scope as in billing and closure: cases IMPLEMENTED or SUPPLY_SERVICE_COMPLETE, implemented on
-- or before $as_of (a missing implementation date does not hide a case the status says is
-- implemented). Case value: the non-SCML line values (fms-domain "Closure readiness").
-- Collections: every collection received by $as_of, to the purchaser's cases and to its Holding
-- Account (no case_id, C9.11.4), refunds and transfers out netted; with a case selection, that
-- case's collections only. Parameters: $as_of DATE, $purchaser, $case_id (NULL: all).
WITH scope AS (
    SELECT case_id, country_code
    FROM cases
    WHERE status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE')
        AND (implementation_date IS NULL OR implementation_date <= CAST($as_of AS DATE))
        AND ($purchaser IS NULL OR country_code = $purchaser)
        AND ($case_id IS NULL OR case_id = $case_id)
),

case_values AS (
    SELECT
        s.country_code,
        count(DISTINCT s.case_id) AS cases,
        coalesce(sum(l.line_value) FILTER (WHERE l.line_kind <> 'SCML'), 0) AS case_value
    FROM scope AS s
    LEFT JOIN case_lines AS l ON l.case_id = s.case_id
    GROUP BY s.country_code
),

received AS (
    SELECT
        country_code,
        sum(amount) AS collections,
        coalesce(sum(amount) FILTER (WHERE case_id IS NULL), 0) AS holding_account
    FROM collections
    WHERE received_date <= CAST($as_of AS DATE)
        AND ($purchaser IS NULL OR country_code = $purchaser)
        AND ($case_id IS NULL OR case_id = $case_id)
    GROUP BY country_code
)

SELECT
    country_code,
    coalesce(n.name, country_code) AS purchaser_name,
    coalesce(v.cases, 0) AS cases,
    CAST(coalesce(v.case_value, 0) AS DECIMAL(38, 2)) AS case_value,
    CAST(coalesce(r.collections, 0) AS DECIMAL(38, 2)) AS collections,
    CAST(coalesce(r.holding_account, 0) AS DECIMAL(38, 2)) AS holding_account
FROM case_values AS v
FULL JOIN received AS r USING (country_code)
LEFT JOIN countries AS n USING (country_code)
ORDER BY case_value DESC, country_code

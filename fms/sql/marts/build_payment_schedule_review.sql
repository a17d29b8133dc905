-- Payment schedule review as of a quarter end E = $as_of (SAMM C9.9.3, Table C9.T15): one row
-- per open case x coming payment date, comparing the schedule with the forecast of financial
-- requirements, and the revised schedule where they differ substantively. Set-based over all
-- cases; run by fms.billing.schedule_review.build_payment_schedule_review after the billing
-- rules (billing_rule_macros.sql) and the shared rules (create_rule_macros.sql).
--
-- Parameters:
--   $as_of: E. $current_quarter_start: N, the quarter after E (fms.billing.timeline).
--   $payments: LIST(STRUCT(payment_number, payment_date, covers_start, covers_end)), the SAMM
--     payment dates after E in order (fms.billing.timeline.coming_payment_dates), enough for
--     the case with the latest forecast and one more. No date rule lives here.
--   $purchaser, $case_id: ad-hoc filters (NULL = all). Every figure is the case's own.
WITH payments AS (
    SELECT unnest($payments, recursive := true)
),

-- Scope: IMPLEMENTED cases implemented by E; a supply/services complete case is closure's
-- business, not a schedule's.
review_cases AS (
    SELECT c.case_id, c.country_code, c.sblc_in_place
    FROM cases AS c
    WHERE c.status = 'IMPLEMENTED'
        AND c.implementation_date <= $as_of
        AND ($purchaser IS NULL OR c.country_code = $purchaser)
        AND ($case_id IS NULL OR c.case_id = $case_id)
),

-- d1..dK: the payment dates whose covered quarter is no later than the case's last forecast
-- quarter, always at least d1 (a case whose forecasts end earlier, or that has none).
reviewed_payments AS (
    SELECT
        rc.case_id,
        greatest(1, count(p.payment_number) FILTER (WHERE p.covers_start <= lf.last_quarter))
            AS reviewed_count
    FROM review_cases AS rc
    LEFT JOIN (
        SELECT case_id, max(quarter_start) AS last_quarter
        FROM requirements_forecasts
        GROUP BY case_id
    ) AS lf USING (case_id)
    CROSS JOIN payments AS p
    GROUP BY rc.case_id
),

-- Rows d1..dK, and d(K+1), the one more date that brings the schedule to the total cost.
case_payments AS (
    SELECT rc.case_id, rc.country_code, rc.sblc_in_place, rp.reviewed_count, p.*
    FROM review_cases AS rc
    JOIN reviewed_payments AS rp USING (case_id)
    JOIN payments AS p ON p.payment_number <= rp.reviewed_count + 1
),

-- The forecast through each payment's covered quarter C_k: forecasts of N..C_k, TL of C_k.
forecasts AS (
    SELECT p.payment_number, f.case_id, f.forecast_costs, f.termination_liability_reported
    FROM payments AS p,
        LATERAL case_forecasts_through($current_quarter_start, p.covers_start) AS f
),

-- S_k: the schedule due by d_k.
scheduled AS (
    SELECT cp.case_id, cp.payment_number, sum(ps.amount) AS scheduled_cumulative
    FROM case_payments AS cp
    JOIN payment_schedules AS ps ON ps.case_id = cp.case_id AND ps.due_date <= cp.payment_date
    GROUP BY cp.case_id, cp.payment_number
),

case_figures AS (
    SELECT
        rc.case_id,
        CAST(coalesce(pf.performance, 0) AS DECIMAL(38, 2)) AS performance,
        r.surcharge_rate,
        CAST(coalesce(v.case_value, 0) AS DECIMAL(38, 2)) AS case_value,
        CAST(coalesce(v.surchargeable_value, 0) AS DECIMAL(38, 2)) AS surchargeable_value,
        CAST(coalesce(sb.scheduled_before, 0) AS DECIMAL(38, 2)) AS scheduled_before,
        CAST(coalesce(co.collections_received, 0) AS DECIMAL(38, 2)) AS collections_received
    FROM review_cases AS rc
    JOIN case_surcharge_rate() AS r USING (case_id)
    LEFT JOIN case_performance($as_of) AS pf USING (case_id)
    LEFT JOIN (
        -- The case value is that of all its lines; the SCML bears no surcharge (C9.4.7).
        SELECT
            case_id,
            sum(line_value) AS case_value,
            sum(line_value) FILTER (WHERE line_kind <> 'SCML') AS surchargeable_value
        FROM case_lines
        GROUP BY case_id
    ) AS v USING (case_id)
    LEFT JOIN (
        SELECT case_id, sum(amount) AS scheduled_before
        FROM payment_schedules
        WHERE due_date <= $as_of
        GROUP BY case_id
    ) AS sb USING (case_id)
    LEFT JOIN (
        -- A: collections to the case as of E (the holding account is no case's).
        SELECT case_id, sum(amount) AS collections_received
        FROM collections
        WHERE received_date <= $as_of AND case_id IS NOT NULL
        GROUP BY case_id
    ) AS co USING (case_id)
),

-- R_k = Performance(E) + F_k + TL_k + surcharge on (Performance(E) + F_k), the billing's
-- forecast_cumulative extended through C_k (R_1 is the billing's own), on rows d1..dK.
requirements AS (
    SELECT
        cp.*,
        cf.performance,
        cf.case_value,
        cf.scheduled_before,
        cf.collections_received,
        CAST(coalesce(s.scheduled_cumulative, 0) AS DECIMAL(38, 2)) AS scheduled_cumulative,
        review_threshold(cf.case_value) AS threshold,
        estimated_total_cost(cf.case_value, cf.surchargeable_value, cf.surcharge_rate)
            AS estimated_total_cost,
        CASE WHEN cp.payment_number <= cp.reviewed_count THEN forecast_requirement(
            cf.performance,
            coalesce(f.forecast_costs, 0),
            termination_liability_billed(
                cp.sblc_in_place, coalesce(f.termination_liability_reported, 0)
            ),
            forecast_surcharge(cf.performance, coalesce(f.forecast_costs, 0), cf.surcharge_rate)
        ) END AS requirement_cumulative
    FROM case_payments AS cp
    JOIN case_figures AS cf USING (case_id)
    LEFT JOIN forecasts AS f
        ON f.case_id = cp.case_id AND f.payment_number = cp.payment_number
    LEFT JOIN scheduled AS s
        ON s.case_id = cp.case_id AND s.payment_number = cp.payment_number
),

variances AS (
    SELECT
        *,
        CAST(scheduled_cumulative - requirement_cumulative AS DECIMAL(38, 2)) AS variance,
        bool_or(abs(scheduled_cumulative - requirement_cumulative) > threshold)
            OVER (PARTITION BY case_id) AS revision_needed
    FROM requirements
),

-- Revised cumulative: C_0 = A, C_k = max(C_(k-1), R_k) through dK, then the total cost at
-- d(K+1) (never below C_K): never below what was received, never decreasing.
revised AS (
    SELECT
        *,
        revised_cumulative(
            collections_received,
            max(requirement_cumulative) OVER (
                PARTITION BY case_id ORDER BY payment_number ROWS UNBOUNDED PRECEDING
            ),
            CASE WHEN payment_number > reviewed_count THEN estimated_total_cost END
        ) AS revised
    FROM variances
)

SELECT
    CAST($as_of AS DATE) AS as_of,
    case_id,
    country_code,
    CAST(payment_number AS INTEGER) AS payment_number,
    payment_date,
    covers_start,
    covers_end,
    published_amount(
        scheduled_cumulative
        - coalesce(
            lag(scheduled_cumulative) OVER (PARTITION BY case_id ORDER BY payment_number),
            scheduled_before
        )
    ) AS scheduled_quarterly,
    published_amount(scheduled_cumulative) AS scheduled_cumulative,
    published_amount(requirement_cumulative) AS requirement_cumulative,
    published_amount(variance) AS variance,
    published_amount(collections_received) AS collections_received,
    published_amount(scheduled_before) AS scheduled_before,
    published_amount(performance) AS performance,
    published_amount(threshold) AS threshold,
    published_amount(estimated_total_cost) AS estimated_total_cost,
    revision_needed,
    schedule_direction(variance, threshold) AS direction,
    CASE WHEN revision_needed THEN published_amount(
        revised
        - coalesce(
            lag(revised) OVER (PARTITION BY case_id ORDER BY payment_number),
            collections_received
        )
    ) END AS revised_quarterly,
    CASE WHEN revision_needed THEN published_amount(revised) END AS revised_cumulative
FROM revised
ORDER BY case_id, payment_number

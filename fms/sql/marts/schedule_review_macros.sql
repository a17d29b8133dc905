-- Payment schedule review rules (SAMM C9.9.3, Table C9.T15), each defined once for
-- build_payment_schedule_review.sql; (re)created by fms.billing.schedule_review before a build.
-- The requirement itself is the billing's forecast rule (billing_rule_macros.sql).

-- A variance is substantive above T = max(minimum, share x case value), the share rounded half
-- up to the cent. The SAMM asks for a new schedule "whenever there is a substantive change in
-- payment requirements" (C9.9.3) but sets no figure: ours is reviewed configuration
-- (data/reference/schedule_review_threshold.csv, one row, checked by the builder).
CREATE OR REPLACE MACRO review_threshold(case_value) AS CAST(greatest(
    (SELECT minimum FROM ref_schedule_review_threshold),
    round(CAST(case_value AS DECIMAL(38, 2)) * (
        SELECT case_value_share FROM ref_schedule_review_threshold
    ), 2)
) AS DECIMAL(38, 2));

-- SHORT: the schedule falls below the requirement by more than T (the purchaser will be billed
-- above schedule); AHEAD: it runs above by more than T (the purchaser's cash sits in the
-- case). NONE within T, and on the last row (no requirement).
CREATE OR REPLACE MACRO schedule_direction(variance, threshold) AS CASE
    WHEN variance < -threshold THEN 'SHORT'
    WHEN variance > threshold THEN 'AHEAD'
    ELSE 'NONE'
END;

-- The estimated total cost a revised schedule reaches: the case value (all lines) and the
-- surcharge on every line but the SCML (C9.4.7, C9.6.1).
CREATE OR REPLACE MACRO estimated_total_cost(case_value, surchargeable_value, surcharge_rate) AS
    CAST(case_value + surcharge_on(surchargeable_value, surcharge_rate) AS DECIMAL(38, 2));

-- The revised cumulative at a payment date (C9.9.3.3: the revised schedule is based on the
-- requirements remaining, collections already received considered): never below what was
-- received, nor below any requirement up to that date, and on the last date the total cost.
-- GREATEST skips NULL: `total_cost` is NULL before the last date.
CREATE OR REPLACE MACRO revised_cumulative(received, requirement_so_far, total_cost) AS
    CAST(greatest(received, requirement_so_far, total_cost) AS DECIMAL(38, 2));

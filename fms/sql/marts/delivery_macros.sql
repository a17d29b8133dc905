-- Delivery reporting rules (SAMM C9.13), each defined once
-- and shared by build_delivery_status, build_undelivered_report and build_c1_transactions.
-- Table macros over the current input tables; (re)created by fms.delivery.macros before a build.

-- Deliveries known as of D: the current version of each delivery_id (the `deliveries` table
-- holds only that one, so a re-priced delivery is never counted twice) with reported_date <= D,
-- the same rule as case_performance(as_of). A reversal is a delivery resent with quantity and
-- value 0 (fms-domain "Money"): it adds nothing and is no estimated billing still to convert.
-- first_reported_date is when DFAS first heard of the delivery (its earliest version in
-- history): a later re-pricing resent with a new reported_date does not make the original
-- delivery report late (C9.13.1.1).
CREATE OR REPLACE MACRO deliveries_reported_by(as_of) AS TABLE
WITH first_reports AS (
    SELECT delivery_id, min(reported_date) AS first_reported_date
    FROM deliveries_history
    GROUP BY delivery_id
)
SELECT
    d.delivery_id,
    d.case_id,
    d.line_number,
    d.shipment_date,
    d.reported_date,
    least(d.reported_date, coalesce(f.first_reported_date, d.reported_date))
        AS first_reported_date,
    d.quantity,
    d.delivered_value,
    d.price_code,
    (d.quantity = 0 AND d.delivered_value = 0) AS is_reversal
FROM deliveries AS d
LEFT JOIN first_reports AS f USING (delivery_id)
WHERE d.reported_date <= as_of;

-- Open cases as of D (SAMM C9.15.2.3.1 "all open cases"): status IMPLEMENTED or
-- SUPPLY_SERVICE_COMPLETE (an SSC case is open until it is closed), not implemented after D. A
-- missing implementation date does not hide an implemented case (a data-quality matter).
CREATE OR REPLACE MACRO delivery_open_cases(as_of) AS TABLE
SELECT
    case_id,
    country_code,
    implementing_agency,
    case_designator,
    status,
    implementation_date
FROM cases
WHERE status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE')
    AND (implementation_date IS NULL OR implementation_date <= as_of);

-- Delivery status of every line of every open case as of D. Money in DECIMAL(38,2): a line's
-- deliveries may sum past DECIMAL(18,2); each mart publishes it with published_amount().
-- undelivered_value: what is still to deliver, valued at the line's value.
--   MATERIEL lines are complete by quantity: nothing is undelivered once the ordered quantity
--   is delivered (a lower actual price leaves unused case value, not undelivered articles);
--   until then line_value - delivered_value, floored at 0.
--   SERVICES and TRAINING lines are value based: line_value - delivered_value, floored at 0.
--   SCML lines: 0 (an administrative charge, C9.4.7, nothing to deliver).
--   value_delivered_over_line_value keeps the part of delivered_value above line_value, so
--   line_value = delivered_value + undelivered_value - value_delivered_over_line_value holds
--   exactly wherever undelivered_value is the floored difference.
-- Estimated billings (C9.13.2): deliveries still at price code E, reversals left out.
--   oldest_estimated_days = D - shipment date of the oldest of them (whole calendar days).
--   The actual price was expected within 30 days of shipment and estimated pricing becomes
--   mandatory at 90 days: day 30 and day 90 are still "within", so estimated_over_30_days
--   turns on at day 31 (shipment + 31) and estimated_over_90_days at day 91.
-- late_reported_deliveries (C9.13.1.1): deliveries first reported more than 30 days after
--   shipment (reported on day 30 is on time, day 31 is late), reversals left out.
CREATE OR REPLACE MACRO delivery_line_status(as_of) AS TABLE
WITH per_line AS (
    SELECT
        case_id,
        line_number,
        sum(quantity) AS delivered_quantity,
        sum(delivered_value) AS delivered_value,
        sum(delivered_value) FILTER (WHERE price_code = 'E' AND NOT is_reversal)
            AS estimated_value_outstanding,
        count(*) FILTER (WHERE price_code = 'E' AND NOT is_reversal) AS estimated_deliveries,
        min(shipment_date) FILTER (WHERE price_code = 'E' AND NOT is_reversal)
            AS oldest_estimated_shipment_date,
        count(*) FILTER (
            WHERE NOT is_reversal AND first_reported_date - shipment_date > 30
        ) AS late_reported_deliveries
    FROM deliveries_reported_by(as_of)
    GROUP BY case_id, line_number
),
lines AS (
    SELECT
        c.case_id,
        l.line_number,
        c.country_code,
        c.status AS case_status,
        l.generic_code,
        l.unit_of_issue,
        l.line_kind,
        l.ordered_quantity,
        l.line_value,
        CAST(coalesce(p.delivered_quantity, 0) AS BIGINT) AS delivered_quantity,
        CAST(coalesce(p.delivered_value, 0) AS DECIMAL(38, 2)) AS delivered_value,
        CAST(coalesce(p.estimated_value_outstanding, 0) AS DECIMAL(38, 2))
            AS estimated_value_outstanding,
        CAST(coalesce(p.estimated_deliveries, 0) AS BIGINT) AS estimated_deliveries,
        p.oldest_estimated_shipment_date,
        CAST(as_of - p.oldest_estimated_shipment_date AS BIGINT) AS oldest_estimated_days,
        CAST(coalesce(p.late_reported_deliveries, 0) AS BIGINT) AS late_reported_deliveries
    FROM delivery_open_cases(as_of) AS c
    JOIN case_lines AS l ON l.case_id = c.case_id
    LEFT JOIN per_line AS p ON p.case_id = l.case_id AND p.line_number = l.line_number
)
SELECT
    CAST(as_of AS DATE) AS as_of,
    case_id,
    line_number,
    country_code,
    case_status,
    generic_code,
    unit_of_issue,
    line_kind,
    ordered_quantity,
    delivered_quantity,
    line_value,
    delivered_value,
    CAST(
        CASE
            WHEN line_kind = 'SCML' THEN 0
            WHEN line_kind = 'MATERIEL' AND delivered_quantity >= ordered_quantity THEN 0
            ELSE greatest(line_value - delivered_value, 0)
        END AS DECIMAL(38, 2)
    ) AS undelivered_value,
    CAST(greatest(delivered_value - line_value, 0) AS DECIMAL(38, 2))
        AS value_delivered_over_line_value,
    estimated_value_outstanding,
    estimated_deliveries,
    oldest_estimated_shipment_date,
    oldest_estimated_days,
    coalesce(oldest_estimated_days > 30, false) AS estimated_over_30_days,
    coalesce(oldest_estimated_days > 90, false) AS estimated_over_90_days,
    late_reported_deliveries
FROM lines;

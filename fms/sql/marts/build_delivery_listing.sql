-- The quarterly delivery listing, the DD Form 645's delivery attachment (fms-domain.md,
-- "Quarterly delivery listing"; SAMM C9.13.1.1: deliveries are reported as they occur and billed
-- as accrued expenditures, C9.10): the deliveries behind the movement of each case's delivered
-- value over the quarter ended E = $period_end (started B = $quarter_start).
-- Run by fms.billing.delivery_listing.build_delivery_listing; set-based over every case of the
-- candidate statements, so its case scope is the statement's, stated once in
-- build_billing_statements.sql.
--
-- Per case on the statement:
-- - REPORTED: every delivery whose reported_date is in [B, E], its current version (a later
--   correction of the row replaces it: the listing shows what DFAS knows when the run is made);
-- - one REPRICING line for the rest of the movement, so that
--     delivered value on this statement - delivered value on the previous quarter's latest
--     published revision (0 when none) = sum of REPORTED + REPRICING
--   (an estimated price corrected to actual, C9.13.2; a reversal, a delivery resent with value 0;
--   a late correction of an earlier quarter's delivery; with no published previous quarter, the
--   value reported before B). Omitted when it is 0: nothing to explain. Its line_number,
--   delivery_id, dates, quantity and price_code are NULL: it belongs to no one delivery or line.
--
-- Parameters:
--   $period_end, $quarter_start, $previous_period_end: from fms.billing.timeline.billing_timeline.
--   $statements_table: the candidate case statements of E (a table name, via query_table).
--   $published_statements: main.billing_statements (every published revision), or an empty
--     stand-in when the warehouse has none yet.
--   $purchaser, $case_id: ad-hoc filters within those statements (NULL = all).
WITH statement_cases AS (
    SELECT s.case_id, s.country_code, s.period_end, s.delivered_value
    FROM query_table($statements_table) AS s
    WHERE s.period_end = $period_end
        AND ($purchaser IS NULL OR s.country_code = $purchaser)
        AND ($case_id IS NULL OR s.case_id = $case_id)
),

-- The previous quarter as published: each purchaser's latest revision (revisions are per
-- purchaser; a case dropped from that revision was not billed on it, so counts 0).
previous AS (
    SELECT case_id, delivered_value
    FROM (
        SELECT
            b.case_id,
            b.delivered_value,
            b.revision,
            max(b.revision) OVER (PARTITION BY b.country_code) AS latest_revision
        FROM query_table($published_statements) AS b
        WHERE b.period_end = $previous_period_end
    )
    WHERE revision = latest_revision
),

reported AS (
    SELECT
        s.country_code,
        s.period_end,
        d.case_id,
        d.line_number,
        d.delivery_id,
        d.shipment_date,
        d.reported_date,
        d.quantity,
        CAST(d.delivered_value AS DECIMAL(18, 2)) AS delivered_value,
        d.price_code,
        'REPORTED' AS kind
    FROM deliveries AS d
    JOIN statement_cases AS s USING (case_id)
    WHERE d.reported_date BETWEEN $quarter_start AND $period_end
),

repricing AS (
    SELECT
        s.country_code,
        s.period_end,
        s.case_id,
        CAST(NULL AS BIGINT) AS line_number,
        CAST(NULL AS VARCHAR) AS delivery_id,
        CAST(NULL AS DATE) AS shipment_date,
        CAST(NULL AS DATE) AS reported_date,
        CAST(NULL AS BIGINT) AS quantity,
        CAST(
            s.delivered_value - coalesce(p.delivered_value, 0) - coalesce(r.reported_value, 0)
            AS DECIMAL(18, 2)
        ) AS delivered_value,
        CAST(NULL AS VARCHAR) AS price_code,
        'REPRICING' AS kind
    FROM statement_cases AS s
    LEFT JOIN previous AS p USING (case_id)
    LEFT JOIN (
        SELECT case_id, sum(delivered_value) AS reported_value FROM reported GROUP BY case_id
    ) AS r USING (case_id)
)

SELECT
    country_code,
    period_end,
    CAST(NULL AS INTEGER) AS revision,
    case_id,
    line_number,
    delivery_id,
    shipment_date,
    reported_date,
    quantity,
    delivered_value,
    price_code,
    kind
FROM (
    SELECT * FROM reported
    UNION ALL BY NAME
    SELECT * FROM repricing WHERE delivered_value <> 0
)
ORDER BY country_code, case_id, kind, reported_date, delivery_id

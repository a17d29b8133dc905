-- Dataset of suite mart_delivery_listing: the staged delivery listing, one row per listing line,
-- plus one row (listed = false, line columns NULL) for each case on the staged statements that
-- has no line, so that a case whose delivered value moved with nothing listed is judged too.
-- The figures of the per-case reconciliation are recomputed here from the staged statements
-- (this statement's delivered value), the published statements (the previous quarter's latest
-- revision of the purchaser, 0 when none) and the current deliveries, independently of
-- fms/sql/marts/build_delivery_listing.sql.
WITH statement AS (
    SELECT case_id, country_code, period_end, previous_period_end, delivered_value
    FROM staging.billing_statements
),
previous AS (
    SELECT case_id, delivered_value
    FROM (
        SELECT
            b.case_id,
            b.delivered_value,
            b.revision,
            max(b.revision) OVER (PARTITION BY b.country_code, b.period_end) AS latest_revision
        FROM main.billing_statements AS b
        WHERE b.period_end IN (SELECT previous_period_end FROM statement)
    )
    WHERE revision = latest_revision
),
-- Deliveries reported in the quarter of a case on the statement that no REPORTED line lists.
unlisted AS (
    SELECT d.case_id, count(*) AS unlisted_deliveries
    FROM deliveries AS d
    JOIN statement AS s USING (case_id)
    WHERE d.reported_date BETWEEN date_trunc('quarter', s.period_end) AND s.period_end
        AND d.delivery_id NOT IN (
            SELECT delivery_id FROM staging.delivery_listing
            WHERE kind = 'REPORTED' AND delivery_id IS NOT NULL
        )
    GROUP BY d.case_id
),
lines AS (
    SELECT
        l.*,
        true AS listed,
        sum(l.delivered_value) OVER (PARTITION BY l.case_id) AS listed_total,
        count(*) FILTER (WHERE l.kind = 'REPRICING') OVER (PARTITION BY l.case_id)
            AS repricing_lines,
        CASE WHEN l.delivery_id IS NOT NULL
            THEN count(*) OVER (PARTITION BY l.delivery_id) END AS delivery_lines
    FROM staging.delivery_listing AS l
),
audited_lines AS (
    SELECT * FROM lines
    UNION ALL BY NAME
    SELECT
        s.case_id,
        false AS listed,
        CAST(0 AS DECIMAL(38, 2)) AS listed_total,
        0 AS repricing_lines
    FROM statement AS s
    WHERE s.case_id NOT IN (SELECT case_id FROM staging.delivery_listing)
)
SELECT
    a.case_id,
    a.delivery_id,
    a.kind,
    a.listed,
    a.country_code,
    c.country_code AS case_country_code,
    a.period_end,
    s.period_end AS statement_period_end,
    s.case_id IS NOT NULL AS on_statement,
    a.line_number,
    a.shipment_date,
    a.reported_date,
    a.quantity,
    a.price_code,
    a.delivered_value,
    d.case_id AS current_case_id,
    d.reported_date AS current_reported_date,
    d.delivered_value AS current_delivered_value,
    s.delivered_value AS statement_delivered_value,
    coalesce(p.delivered_value, 0) AS previous_delivered_value,
    a.listed_total,
    a.repricing_lines,
    a.delivery_lines,
    coalesce(u.unlisted_deliveries, 0) AS unlisted_deliveries
FROM audited_lines AS a
LEFT JOIN statement AS s USING (case_id)
LEFT JOIN cases AS c USING (case_id)
LEFT JOIN previous AS p USING (case_id)
LEFT JOIN unlisted AS u USING (case_id)
LEFT JOIN deliveries AS d ON d.delivery_id = a.delivery_id

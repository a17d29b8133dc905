-- A case's payment schedule against what was billed and collected, by calendar quarter:
-- scheduled (payment schedule amounts due in the quarter), billed (the amount due of the
-- latest revision of the statement for the quarter ended), collected (collections received in
-- the quarter); and each one cumulative.
WITH scoped AS (
    SELECT case_id FROM cases
    WHERE case_id = $case_id AND ($country IS NULL OR country_code = $country)
),
scheduled AS (
    SELECT date_trunc('quarter', due_date)::DATE AS quarter, sum(amount) AS scheduled
    FROM payment_schedules JOIN scoped USING (case_id) GROUP BY ALL
),
billed AS (
    SELECT date_trunc('quarter', period_end)::DATE AS quarter, amount_due AS billed
    FROM billing_statements JOIN scoped USING (case_id)
    QUALIFY row_number() OVER (PARTITION BY period_end ORDER BY revision DESC) = 1
),
collected AS (
    SELECT date_trunc('quarter', received_date)::DATE AS quarter, sum(amount) AS collected
    FROM collections JOIN scoped USING (case_id) GROUP BY ALL
),
quarters AS (
    SELECT quarter FROM scheduled UNION SELECT quarter FROM billed
    UNION SELECT quarter FROM collected
)
SELECT q.quarter,
       coalesce(s.scheduled, 0) AS scheduled,
       coalesce(b.billed, 0) AS billed,
       coalesce(c.collected, 0) AS collected,
       sum(coalesce(s.scheduled, 0)) OVER w AS scheduled_cumulative,
       sum(coalesce(b.billed, 0)) OVER w AS billed_cumulative,
       sum(coalesce(c.collected, 0)) OVER w AS collected_cumulative
FROM quarters q
LEFT JOIN scheduled s USING (quarter)
LEFT JOIN billed b USING (quarter)
LEFT JOIN collected c USING (quarter)
WINDOW w AS (ORDER BY q.quarter)
ORDER BY q.quarter

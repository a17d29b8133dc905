-- Every payment-date row of the cases needing a revision, for their Table C9.T15 workbooks
-- (SAMM C9.9.3.2): the cases of $listing_table (ranked, schedule_review_listing.sql) with
-- their rows of $table (a payment_schedule_review table), in the listing's order, then by
-- payment date (payment_number K + 1 last: the date that brings the schedule to the estimated
-- total cost).
-- Parameters: $table, $listing_table.
SELECT
    c."rank",
    c.purchaser_name,
    c.largest_variance,
    c.largest_variance_payment_date,
    c.direction AS largest_variance_direction,
    r.as_of,
    r.case_id,
    r.country_code,
    r.payment_number,
    r.payment_date,
    r.covers_start,
    r.covers_end,
    r.scheduled_quarterly,
    r.scheduled_cumulative,
    r.requirement_cumulative,
    r.variance,
    r.direction,
    r.revised_quarterly,
    r.revised_cumulative,
    r.collections_received,
    r.scheduled_before,
    r.threshold,
    r.estimated_total_cost
FROM query_table($listing_table) AS c
JOIN query_table($table) AS r ON r.case_id = c.case_id
ORDER BY c."rank", r.payment_number

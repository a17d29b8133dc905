-- Run report of a billing run: the quarter's delivery listing per purchaser (the DD 645's
-- delivery attachment): deliveries reported in the quarter, and the re-pricing of what was
-- delivered before, on the latest revision of each purchaser's listing of the quarter ended
-- $as_of (a candidate's revision is NULL: an ad-hoc or preliminary run reads its own).
-- Parameters: $listing_table, $as_of DATE, $purchaser, $case_id.
WITH latest AS (
    SELECT
        *,
        revision IS NOT DISTINCT FROM max(revision) OVER (PARTITION BY country_code)
            AS is_latest
    FROM query_table($listing_table)
    WHERE period_end = CAST($as_of AS DATE)
        AND ($purchaser IS NULL OR country_code = $purchaser)
        AND ($case_id IS NULL OR case_id = $case_id)
)

SELECT
    country_code,
    count(DISTINCT case_id) AS cases,
    count(*) FILTER (WHERE kind = 'REPORTED') AS deliveries_reported,
    coalesce(sum(delivered_value) FILTER (WHERE kind = 'REPORTED'), 0) AS reported_value,
    count(*) FILTER (WHERE kind = 'REPRICING') AS repricing_lines,
    coalesce(sum(delivered_value) FILTER (WHERE kind = 'REPRICING'), 0) AS repricing_value,
    coalesce(sum(delivered_value), 0) AS movement
FROM latest
WHERE is_latest
GROUP BY country_code
ORDER BY country_code

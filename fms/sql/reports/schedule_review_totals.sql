-- The payment schedule review in figures (the summary file's heading, the run report's card):
-- cases reviewed in $table (a payment_schedule_review table) and, from $listing_table (the
-- ranked cases needing a revision, schedule_review_listing.sql), how many need one, by the
-- direction of their largest variance, with the sum of those largest |variances|. A case's
-- variances at successive payment dates are cumulative figures: only its largest is summed.
-- Parameters: $table, $listing_table, $purchaser, $case_id (NULL: all; the listing is
-- already of the same selection).
WITH reviewed AS (
    SELECT count(DISTINCT case_id) AS cases_reviewed
    FROM query_table($table)
    WHERE ($purchaser IS NULL OR country_code = $purchaser)
        AND ($case_id IS NULL OR case_id = $case_id)
),
revisions AS (
    SELECT
        count(*) AS cases_to_revise,
        count(*) FILTER (WHERE direction = 'SHORT') AS short_cases,
        count(*) FILTER (WHERE direction = 'AHEAD') AS ahead_cases,
        CAST(coalesce(sum(abs(largest_variance)), 0) AS DECIMAL(38, 2)) AS total_variance,
        CAST(coalesce(sum(abs(largest_variance)) FILTER (WHERE direction = 'SHORT'), 0)
            AS DECIMAL(38, 2)) AS short_variance,
        CAST(coalesce(sum(abs(largest_variance)) FILTER (WHERE direction = 'AHEAD'), 0)
            AS DECIMAL(38, 2)) AS ahead_variance
    FROM query_table($listing_table)
)
SELECT reviewed.*, revisions.*
FROM reviewed, revisions

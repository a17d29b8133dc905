-- Dataset of suite mart_payment_schedule_review: the staged review with each row's neighbours.
-- amounts_too_large: the figures published_amount() could not publish in the contract's
-- DECIMAL(18,2) (10^16 dollars or more: NULL in the mart), by name; NULL when all fit. By
-- design the requirement and variance are NULL on the last row (d(K+1)), and the revised
-- figures on the rows of a case needing no revision.
WITH reviewed AS (
    SELECT
        s.*,
        count(*) OVER (PARTITION BY s.case_id, s.payment_number) AS key_count,
        lag(s.revised_cumulative) OVER (PARTITION BY s.case_id ORDER BY s.payment_number)
            AS previous_revised,
        s.payment_number = max(s.payment_number) OVER (PARTITION BY s.case_id) AS is_last,
        max(s.requirement_cumulative) OVER (PARTITION BY s.case_id) AS largest_requirement,
        bool_or(s.direction <> 'NONE') OVER (PARTITION BY s.case_id)
            AS case_has_substantive_variance
    FROM staging.payment_schedule_review AS s
)
SELECT
    r.*,
    nullif(array_to_string(list_transform(list_filter(map_entries(MAP {
        'scheduled_quarterly': r.scheduled_quarterly,
        'scheduled_cumulative': r.scheduled_cumulative,
        'requirement_cumulative': CASE WHEN r.is_last THEN 0 ELSE r.requirement_cumulative END,
        'variance': CASE WHEN r.is_last THEN 0 ELSE r.variance END,
        'collections_received': r.collections_received,
        'scheduled_before': r.scheduled_before,
        'performance': r.performance,
        'threshold': r.threshold,
        'estimated_total_cost': r.estimated_total_cost,
        'revised_quarterly': CASE WHEN r.revision_needed THEN r.revised_quarterly ELSE 0 END,
        'revised_cumulative': CASE WHEN r.revision_needed THEN r.revised_cumulative ELSE 0 END
    }), lambda e: e.value IS NULL), lambda e: e.key), ', '), '') AS amounts_too_large
FROM reviewed AS r

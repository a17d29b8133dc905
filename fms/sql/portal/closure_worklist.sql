-- The closure worklist in scope, in the nightly's order (worklist_rank: ready cases with the
-- most excess first, then the blocked), a page at a time ($limit rows from $offset).
SELECT as_of, case_id, country_code, ready, blocker_count, blocker_summary, days_since_ssc,
       overdue, final_value, collections, excess_funds, excess_if_ready, worklist_rank,
       count(*) OVER () AS rows_in_scope
FROM closure_readiness
WHERE $country IS NULL OR country_code = $country
ORDER BY worklist_rank
LIMIT $limit OFFSET $offset

-- One purchaser's cases: status, value, collections, delivery and closure state; a page at a
-- time ($limit cases from $offset, by case id).
-- Lines and collections are summed for that purchaser's cases only, not for every case before
-- the join (a purchaser of 204 cases: 26 ms against 19 ms on the large generated data,
-- tools/benchmarks/portal.py).
WITH scoped AS (
    SELECT *, count(*) OVER () AS rows_in_scope
    FROM cases
    WHERE country_code = $code AND ($country IS NULL OR country_code = $country)
    ORDER BY case_id
    LIMIT $limit OFFSET $offset
)
SELECT c.case_id, c.status, c.implementation_date, c.supply_services_complete_date,
       coalesce(v.case_value, 0) AS case_value,
       coalesce(p.collections, 0) AS collections,
       u.undelivered_value,
       r.ready, r.blocker_count, r.excess_funds, c.rows_in_scope
FROM scoped c
LEFT JOIN (
    SELECT case_id, sum(line_value) AS case_value
    FROM case_lines WHERE case_id IN (SELECT case_id FROM scoped) GROUP BY case_id
) v USING (case_id)
LEFT JOIN (
    SELECT case_id, sum(amount) AS collections
    FROM collections WHERE case_id IN (SELECT case_id FROM scoped) GROUP BY case_id
) p USING (case_id)
LEFT JOIN undelivered_report u USING (case_id)
LEFT JOIN closure_readiness r USING (case_id)
ORDER BY c.case_id

-- One purchaser's cases: status, value, collections, delivery and closure state.
SELECT c.case_id, c.status, c.implementation_date, c.supply_services_complete_date,
       coalesce(v.case_value, 0) AS case_value,
       coalesce(p.collections, 0) AS collections,
       u.undelivered_value,
       r.ready, r.blocker_count, r.excess_funds
FROM cases c
LEFT JOIN (SELECT case_id, sum(line_value) AS case_value FROM case_lines GROUP BY case_id) v
    USING (case_id)
LEFT JOIN (SELECT case_id, sum(amount) AS collections FROM collections GROUP BY case_id) p
    USING (case_id)
LEFT JOIN undelivered_report u USING (case_id)
LEFT JOIN closure_readiness r USING (case_id)
WHERE c.country_code = $code AND ($country IS NULL OR c.country_code = $country)
ORDER BY c.case_id

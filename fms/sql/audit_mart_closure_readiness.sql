-- Audit frame for suite mart_closure_readiness: the staged table with exact money checks.
SELECT
    s.case_id,
    s.country_code,
    s.ready,
    s.overdue,
    s.days_since_ssc,
    s.supply_services_complete_date,
    s.blocker_count,
    count(*) OVER (PARTITION BY s.case_id) AS key_count,
    len(list_filter(s.blockers, lambda b: NOT list_contains($blocker_codes, b.code)))
        AS unknown_blocker_codes,
    s.ready = (len(s.blockers) = 0) AS ready_iff_no_blockers,
    s.excess_funds >= 0 AS excess_not_negative,
    s.ready OR s.excess_funds = 0 AS excess_only_when_ready,
    s.final_value = s.performance + s.surcharge + s.scml_value AS final_value_adds_up,
    NOT s.ready OR s.excess_funds = greatest(s.collections - s.final_value, 0)
        AS excess_is_collections_less_final_value,
    EXISTS (SELECT 1 FROM cases AS c
        WHERE c.case_id = s.case_id AND c.status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE'))
        AS case_in_scope
FROM staging.closure_readiness AS s

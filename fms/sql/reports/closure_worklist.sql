-- The closure worklist as published: the closure_readiness table named by $readiness_table, in
-- worklist order (ready cases first, most funds released, longest since SSC, case id: the
-- worklist_rank built by build_closure_readiness.sql), blockers as one readable text.
SELECT
    worklist_rank,
    case_id,
    country_code,
    status,
    ready,
    blocker_summary AS blockers,
    excess_funds AS funds_released_on_closure,
    supply_services_complete_date,
    days_since_ssc,
    overdue,
    final_value,
    collections,
    excess_if_ready,
    case_value,
    performance,
    surcharge,
    scml_value,
    blocker_count,
    as_of
FROM query_table($readiness_table)
ORDER BY worklist_rank

-- Audit frame for suite mart_closure_readiness: the staged table with exact money checks.
-- amounts_too_large: the figures published_amount() could not publish in the contract's
-- DECIMAL(18,2) (10^16 dollars or more: NULL in the mart), by name; NULL when all fit.
-- scml_value_required is NULL by design where the SCML rule does not apply.
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
        AS case_in_scope,
    nullif(concat_ws(', ',
        nullif(array_to_string(list_transform(list_filter(map_entries(MAP {
            'final_value': s.final_value,
            'excess_funds': s.excess_funds,
            'excess_if_ready': s.excess_if_ready,
            'case_value': s.case_value,
            'delivered_value': s.delivered_value,
            'expenditures': s.expenditures,
            'performance': s.performance,
            'surcharge': s.surcharge,
            'scml_value': s.scml_value,
            'collections': s.collections,
            'scml_value_required': CASE WHEN s.scml_applies THEN s.scml_value_required ELSE 0 END
        }), lambda e: e.value IS NULL), lambda e: e.key), ', '), ''),
        nullif(array_to_string(list_transform(list_filter(s.blockers, lambda b: b.amount IS NULL),
            lambda b: 'blocker ' || b.code), ', '), '')
    ), '') AS amounts_too_large
FROM staging.closure_readiness AS s

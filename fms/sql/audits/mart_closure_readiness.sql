-- Dataset of suite mart_closure_readiness: the staged table with exact money checks.
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
    s.blockers,
    s.final_value,
    s.excess_funds,
    s.performance,
    s.surcharge,
    s.scml_value,
    s.collections,
    count(*) OVER (PARTITION BY s.case_id) AS key_count,
    len(list_filter(s.blockers, lambda b: NOT list_contains($blocker_codes, b.code)))
        AS unknown_blocker_codes,
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

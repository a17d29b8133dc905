-- Audit frame for suite input_cases: current case rows changed since batch $since_seq.
SELECT
    c.case_id,
    c.country_code,
    c.implementing_agency,
    c.case_designator,
    c.status,
    c.terms_of_sale,
    (SELECT count(*) FROM cases AS a WHERE a.case_id = c.case_id) AS key_count,
    c.case_id = concat_ws('-', c.country_code, c.implementing_agency, c.case_designator)
        AS case_id_agrees,
    EXISTS (SELECT 1 FROM countries AS k WHERE k.country_code = c.country_code)
        AS country_exists,
    c.acceptance_date <= c.implementation_date AS accepted_before_implemented,
    c.implementation_date <= c.supply_services_complete_date AS implemented_before_ssc,
    c.acceptance_date <= c.offer_expiration_date AS accepted_before_offer_expired,
    CASE WHEN c.status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE', 'CLOSED')
        THEN c.implementation_date IS NOT NULL END AS implemented_case_has_implementation_date,
    CASE WHEN c.status IN ('SUPPLY_SERVICE_COMPLETE', 'CLOSED')
        THEN c.supply_services_complete_date IS NOT NULL END AS ssc_case_has_ssc_date,
    c.admin_surcharge_rate >= 0 AND c.admin_surcharge_rate < 1 AS surcharge_rate_is_fraction
FROM cases AS c
WHERE c.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)

-- Dataset of suite input_cases: current case rows changed since batch $since_seq.
SELECT
    c.case_id,
    c.country_code,
    c.implementing_agency,
    c.case_designator,
    c.status,
    c.terms_of_sale,
    c.offer_expiration_date,
    c.acceptance_date,
    c.implementation_date,
    c.admin_surcharge_rate,
    c.supply_services_complete_date,
    (SELECT count(*) FROM cases AS a WHERE a.case_id = c.case_id) AS key_count
FROM cases AS c
WHERE c.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)

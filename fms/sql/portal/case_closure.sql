-- A case's closure readiness (as of the nightly's date): each blocker with its amount.
SELECT r.*
FROM closure_readiness r
WHERE r.case_id = $case_id AND ($country IS NULL OR r.country_code = $country)

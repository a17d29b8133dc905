-- Dataset of suite input_requirements_forecasts: forecasts changed since batch $since_seq.
SELECT
    f.case_id,
    f.quarter_start,
    f.forecast_amount,
    f.termination_liability,
    (SELECT count(*) FROM requirements_forecasts AS a
        WHERE a.case_id = f.case_id AND a.quarter_start = f.quarter_start) AS key_count
FROM requirements_forecasts AS f
WHERE f.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)

-- Audit frame for suite input_requirements_forecasts: forecasts changed since batch $since_seq.
SELECT
    f.case_id,
    f.quarter_start,
    (SELECT count(*) FROM requirements_forecasts AS a
        WHERE a.case_id = f.case_id AND a.quarter_start = f.quarter_start) AS key_count,
    EXISTS (SELECT 1 FROM cases AS c WHERE c.case_id = f.case_id) AS case_exists,
    day(f.quarter_start) = 1 AND month(f.quarter_start) IN (1, 4, 7, 10) AS starts_a_quarter,
    f.forecast_amount >= 0 AS forecast_amount_not_negative,
    f.termination_liability >= 0 AS termination_liability_not_negative
FROM requirements_forecasts AS f
WHERE f.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)

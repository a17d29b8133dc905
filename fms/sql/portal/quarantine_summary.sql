-- Quarantined input rows by entity and reason: how many wait for a corrected resubmission.
-- Analysts only ($country NULL): a rejected row may be any purchaser's.
SELECT entity, reason_code, count(*) AS rows_quarantined,
       count(*) FILTER (WHERE resolved_in_batch IS NULL) AS rows_open,
       min(batch) AS first_batch, max(batch) AS last_batch
FROM quarantine
WHERE $country IS NULL
GROUP BY entity, reason_code
ORDER BY rows_open DESC, entity, reason_code

-- Quarantined rows of entity $e that loaded on a retry (clean in `judged`) are resolved in
-- batch $batch; they keep their own batch, file and row as their trace.
UPDATE quarantine AS q SET resolved_in_batch = $batch
FROM judged AS j
WHERE len(j.problems) = 0
    AND q.entity = $e
    AND q.batch = j._batch
    AND q.row_number = j._row_number
    AND q.resolved_in_batch IS NULL

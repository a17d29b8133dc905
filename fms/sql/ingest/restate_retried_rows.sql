-- A retried row still failing may fail differently now (its case arrived with another
-- country): its reason is stated anew (quarantine_reasons.sql).
UPDATE quarantine AS q SET
    reason_code = primary_reason_code(j.problems, $reason_order),
    reason = reason_text(j.problems, $reason_order),
    retryable = waits_for_reference(j.problems, $retryable)
FROM judged AS j
WHERE len(j.problems) > 0
    AND q.entity = $e
    AND q.batch = j._batch
    AND q.row_number = j._row_number

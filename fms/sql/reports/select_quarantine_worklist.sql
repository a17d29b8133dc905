-- Rows to fix and resubmit: every quarantined row not resolved by a later batch, oldest first.
SELECT
    batch,
    entity,
    file,
    row_number,
    reason_code,
    reason,
    retryable AS waits_for_reference,
    "row" AS row_as_given
FROM quarantine
WHERE resolved_in_batch IS NULL
ORDER BY batch, entity, row_number

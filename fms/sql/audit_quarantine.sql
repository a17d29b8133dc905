-- Audit frame for suite quarantine: rows quarantined by the batches loaded since $since_seq.
SELECT
    q.batch,
    q.entity,
    q.row_number,
    q.reason_code,
    q.reason IS NOT NULL AND length(q.reason) > 0 AS has_reason,
    q.resolved_in_batch IS NULL OR q.retryable AS only_reference_rows_resolve
FROM quarantine AS q
WHERE q.batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)

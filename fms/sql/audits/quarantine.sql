-- Dataset of suite quarantine: rows quarantined by the batches loaded since $since_seq.
SELECT
    q.batch,
    q.entity,
    q.row_number,
    q.reason_code,
    q.reason,
    q.resolved_in_batch,
    q.retryable
FROM quarantine AS q
WHERE q.batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)

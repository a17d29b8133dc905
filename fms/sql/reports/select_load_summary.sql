-- Control totals per batch and entity: rows read = loaded + quarantined, and the dollars.
SELECT
    l.batch,
    l.entity,
    l.file,
    l.rows_read,
    l.rows_loaded,
    l.rows_quarantined,
    coalesce(r.rows_resolved, 0) AS rows_resolved_later,
    l.amount_column,
    l.amount_read,
    l.amount_loaded,
    l.amount_quarantined,
    l.rows_amount_unreadable,
    l.file_sha256
FROM load_log AS l
LEFT JOIN (
    SELECT batch, entity, count(*) AS rows_resolved
    FROM quarantine
    WHERE resolved_in_batch IS NOT NULL
    GROUP BY ALL
) AS r USING (batch, entity)
ORDER BY l.batch, l.entity

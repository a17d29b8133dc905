-- Run report, data-quality summary: rows of this run's batches ($batches, a list of batch
-- folder names) set aside in quarantine, per entity and reason, and how many a later batch
-- has since resolved (a missing reference that arrived).
SELECT
    entity,
    reason_code,
    count(*) AS rows_quarantined,
    count(*) FILTER (WHERE resolved_in_batch IS NOT NULL) AS rows_resolved
FROM quarantine
WHERE list_contains(CAST($batches AS VARCHAR[]), batch)
GROUP BY entity, reason_code
ORDER BY rows_quarantined DESC, entity, reason_code

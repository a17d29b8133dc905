-- Run report, the warehouse card: how much has been loaded into it: the batches, and the
-- latest one (by load order) with when it loaded (UTC).
SELECT
    count(*) AS batches,
    arg_max(batch, batch_seq) AS latest_batch,
    arg_max(loaded_at, batch_seq) AS latest_loaded_at
FROM batches

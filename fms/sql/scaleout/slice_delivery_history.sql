-- Scale-out: every version of the partition's current deliveries. The delivery rules read the
-- history by delivery_id (a delivery is late on its first report), so a version filed under
-- another case before a correction still counts. Parameters: $path.
SELECT *
FROM read_parquet($path)
WHERE delivery_id IN (SELECT delivery_id FROM deliveries)

-- Scale-out: a reference table (rates, C1 codes), whole, as the coordinator loaded it.
-- Parameters: $path.
SELECT *
FROM read_parquet($path)

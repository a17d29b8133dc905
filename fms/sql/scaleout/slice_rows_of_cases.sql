-- Scale-out: the rows of a table keyed by case (lines, deliveries, expenditures, payment
-- schedules, forecasts, buy backs) whose case is in the partition's `cases` table, which is
-- sliced first. Parameters: $path (the table's Parquet file).
SELECT *
FROM read_parquet($path)
WHERE case_id IN (SELECT case_id FROM cases)
